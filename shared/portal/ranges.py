"""The `from`/`to` query parameters (ISO date: a whole day; ISO date-time: UTC unless it says), their range."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.base_models import in_utc
from shared.errors import Unprocessable
from shared.ids import utc_now

DEFAULT_RANGE = timedelta(days=30)
MAX_RANGE = timedelta(days=366)

From = Annotated[str | None, Query(alias="from", max_length=40,
                                   description="start of the range: ISO date or date-time (default: 30 days ago)")]
To = Annotated[str | None, Query(alias="to", max_length=40,
                                 description="end of the range, inclusive: ISO date or date-time (default: now)")]


def parse_when(value: str | None, field: str, *, end_of_day: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time.max if end_of_day else time.min, UTC)
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Unprocessable.field(field, "an ISO date (2026-05-01) or date-time (2026-05-01T08:00:00Z)") from None
    try:
        return in_utc(at if at.tzinfo else at.replace(tzinfo=UTC))
    except ValueError as exc:
        raise Unprocessable.field(field, str(exc)) from None


def date_range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The range asked for (default: the 30 days up to `to`, or up to now), at most 366 days."""
    end = end or utc_now()
    if start is None and end < datetime.min.replace(tzinfo=UTC) + DEFAULT_RANGE:
        raise Unprocessable.field("to", f"is too early for the default range ({DEFAULT_RANGE.days} days before it)")
    start = start or end - DEFAULT_RANGE
    if start > end:
        raise Unprocessable.field("from", "must not be after `to`")
    if end - start > MAX_RANGE:
        raise Unprocessable.field("from", "the range may span at most 366 days")
    return start, end
