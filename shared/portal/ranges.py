"""The `from`/`to` query parameters: an ISO date (a whole day) or an ISO date-time (UTC unless it says)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.base_models import in_utc
from shared.errors import Unprocessable

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
