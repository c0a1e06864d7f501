"""Fleetrock's dates as it writes them (docs/fleetrock-contract.md): ISO 8601, or US `MM/DD/YYYY ...`.

A time without a zone is read in the integration's time zone (a field of the integration, UTC
by default). A value we cannot read raises FleetrockDateError carrying the raw value, so the
order it belongs to fails visibly (shown with that value) instead of being skipped.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.base_models import in_utc

US_DATE = re.compile(
    r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[AaPp][Mm])?)?$"
)


class FleetrockDateError(ValueError):
    """A date Fleetrock sent that we cannot read; `raw` is the value as it came."""

    def __init__(self, field: str, raw: object) -> None:
        self.field, self.raw = field, str(raw)[:100]
        super().__init__(f"{field}: cannot read the date {self.raw!r}")


@cache
def zone(name: str | None) -> tzinfo:
    """The IANA zone of that name (UTC for none); ValueError for an unknown name."""
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as America/New_York") from None


def _parse_us(text: str) -> datetime | None:
    match = US_DATE.match(text)
    if match is None:
        return None
    hour = int(match["H"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError("hour out of range for AM/PM")
        hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    return datetime(int(match["y"]), int(match["m"]), int(match["d"]), hour, int(match["M"] or 0),
                    int(match["S"] or 0))


def parse_time(value: object, time_zone: str | None = None, *, field: str = "date") -> datetime | None:
    """A Fleetrock date or date-time as an aware UTC datetime (None for an empty value).

    A value with no zone is in `time_zone` (the integration's; UTC by default)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        try:
            parsed = _parse_us(text) or datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise FleetrockDateError(field, value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(time_zone))
    try:
        return in_utc(parsed)
    except (ValueError, OverflowError):  # UTC cannot hold it (year 1 at +00:01)
        raise FleetrockDateError(field, value) from None


def parse_day(value: object, time_zone: str | None = None, *, field: str = "date") -> date | None:
    """The calendar day a Fleetrock date names, in the integration's zone (a bare date is that day)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise FleetrockDateError(field, value) from None
    parsed = parse_time(value, time_zone, field=field)
    return parsed.astimezone(zone(time_zone)).date() if parsed else None
