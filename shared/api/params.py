"""Query parameters shared by every list route, and what a route may read of the request itself."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.db.pagination import DEFAULT_LIMIT, MAX_LIMIT

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
DEFAULT_PAGE_SIZE = DEFAULT_LIMIT


def source_ip(raw_event: dict[str, Any]) -> str | None:
    """The caller's address as API Gateway saw it (requestContext.identity.sourceIp), if any."""
    context = raw_event.get("requestContext") or {}
    ip = (context.get("identity") or {}).get("sourceIp")
    return str(ip) if ip else None
