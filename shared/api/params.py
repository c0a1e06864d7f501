"""Query parameters shared by every list route."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.db.pagination import DEFAULT_LIMIT, MAX_LIMIT

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
DEFAULT_PAGE_SIZE = DEFAULT_LIMIT
