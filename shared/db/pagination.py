"""Opaque cursors for Query-backed lists.

A cursor is the Query's LastEvaluatedKey plus the partition it belongs to, base64url-encoded.
A cursor from another list (or another tenant's) is refused with 422 instead of reaching
DynamoDB, where it would start a Query somewhere it must not.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from shared.errors import Unprocessable

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(last_evaluated_key: dict[str, Any] | None, partition: str) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps({"p": partition, "k": last_evaluated_key}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, partition: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        key = data["k"]
        ok = data["p"] == partition and isinstance(key, dict)
    except (binascii.Error, ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise Unprocessable.field("cursor", "not a cursor of this list; start again without it")
    return key  # type: ignore[no-any-return]


def query_page(
    query: Callable[..., Any],
    partition: str,
    *,
    limit: int,
    cursor: str | None,
    convert: Callable[[Any], T],
    **query_kwargs: Any,
) -> Page[T]:
    """Run one page of `query(partition, ...)` (a PynamoDB Model.query) and build the Page."""
    results = query(
        partition,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, partition),
        **query_kwargs,
    )
    items = [convert(item) for item in results]
    return Page[T](items=items, next_cursor=encode_cursor(results.last_evaluated_key, partition))
