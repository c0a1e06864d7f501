"""Maintenance status rules (fleetrock.md), as pure functions: no I/O, so they are tested directly.

A repair order or a scheduled maintenance item becomes a Cause on its asset; an asset's statuses
are its causes, ordered by priority, and its top status is the first of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from shared.api.models import in_utc
from shared.fleetrock.models import PRIORITY, Cause, MaintenanceStatus

EASTERN = ZoneInfo("America/New_York")  # Fleetrock's dates are US Eastern

RO_STATUS: dict[str, MaintenanceStatus | None] = {
    "Not Started": MaintenanceStatus.AWAITING_SERVICE,
    "Waiting": MaintenanceStatus.IN_SHOP,
    "In Progress": MaintenanceStatus.IN_SHOP,
    "Finished": None,
    "Invoiced": None,
    "Paid": None,
    "Deleted": None,
}
OPEN_RO_STATUSES = tuple(s for s, m in RO_STATUS.items() if m is not None)
SM_STATE: dict[str, MaintenanceStatus | None] = {
    "almost_due": MaintenanceStatus.UPCOMING,
    "overdue": MaintenanceStatus.OVERDUE,
    "ok": None,
}


def repair_order_status(ro_status: str) -> MaintenanceStatus | None:
    """The status a repair order gives its asset; None when it is closed. ValueError if unknown."""
    if ro_status not in RO_STATUS:
        raise ValueError(f"unknown repair order status {ro_status!r}")
    return RO_STATUS[ro_status]


def maintenance_state_status(state: str) -> MaintenanceStatus | None:
    if state not in SM_STATE:
        raise ValueError(f"unknown scheduled maintenance state {state!r}")
    return SM_STATE[state]


def parse_time(value: object) -> datetime | None:
    """A Fleetrock date or time as an aware UTC datetime; naive values are US Eastern."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not a date or time: {str(value)[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=EASTERN)
    return in_utc(parsed)  # ValueError, as for any bad value, when UTC cannot hold it (year 1 at +00:01)


def parse_date(value: object) -> date | None:
    if value in (None, ""):
        return None
    return date.fromisoformat(str(value)[:10])


def today_eastern(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(EASTERN).date()


def effective(cause: Cause, today: date) -> Cause:
    """The cause as of `today`: an Upcoming item whose due date has passed is Overdue."""
    if cause.status is MaintenanceStatus.UPCOMING and cause.due_date is not None and cause.due_date < today:
        return cause.model_copy(update={"status": MaintenanceStatus.OVERDUE})
    return cause


def ordered(causes: Iterable[Cause], today: date) -> list[Cause]:
    """The statuses of an asset, highest priority first (ties: oldest cause first)."""
    current = [effective(c, today) for c in causes]
    return sorted(current, key=lambda c: (PRIORITY.index(c.status), c.since, c.source_id))


def top_status(causes: Iterable[Cause], today: date) -> MaintenanceStatus | None:
    statuses = ordered(causes, today)
    return statuses[0].status if statuses else None
