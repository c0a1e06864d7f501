"""Opaque cursors for Query-backed lists.

A cursor is the Query's LastEvaluatedKey plus the partition it belongs to, base64url-encoded.
A cursor from another list (or another tenant's) is refused with 422 instead of reaching
DynamoDB, where it would start a Query somewhere it must not. Lists that share a partition
(a vendor's customers, sites and users; a site's services between two dates) are told apart by
DynamoDB itself: a start key outside the Query's key condition is its ValidationException, a
422 on the cursor here too.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeGuard, TypeVar

from pynamodb.exceptions import QueryError

from shared.base_models import Model
from shared.db.table import INDEXES, PARTITION_KEY, key_attribute_names
from shared.errors import Unprocessable

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


class Page(Model, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(last_evaluated_key: dict[str, Any] | None, partition: str) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps({"p": partition, "k": last_evaluated_key}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, partition: str, partition_attr: str = PARTITION_KEY) -> dict[str, Any] | None:
    """The exclusive start key in `cursor`, checked to lie in `partition` (and to be keys only)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        key: object = data["k"]
        in_partition = data["p"] == partition
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        key, in_partition = None, False
    if not (in_partition and is_start_key(key, partition, partition_attr)):
        raise Unprocessable.field("cursor", "not a cursor of this list; start again without it")
    return key


def is_start_key(key: object, partition: str, partition_attr: str) -> TypeGuard[dict[str, Any]]:
    """Key attributes only, each a string, and the partition's."""
    return (
        isinstance(key, dict)
        and set(key) <= set(key_attribute_names())
        and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
        and key.get(partition_attr, {}).get("S") == partition
    )


@contextmanager
def refused_cursor(cursor: str | None) -> Iterator[None]:
    """A cursor DynamoDB refuses as a query's starting key is the client's mistake: 422 saying so."""
    try:
        yield
    except QueryError as exc:
        if cursor and exc.cause_response_code == "ValidationException" and "starting key" in str(
                exc.cause_response_message):
            raise Unprocessable.field("cursor", "not a cursor of this list (or of these filters); start again "
                                                "without it") from None
        raise


def query_page(
    query: Callable[..., Any],
    partition: str,
    *,
    limit: int,
    cursor: str | None,
    convert: Callable[[Any], T],
    index_name: str | None = None,
    **query_kwargs: Any,
) -> Page[T]:
    """Run one page of `query(partition, ...)` (a PynamoDB Model.query) and build the Page."""
    partition_attr = INDEXES[index_name][0] if index_name else PARTITION_KEY
    results = query(
        partition,
        index_name=index_name,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, partition, partition_attr),
        **query_kwargs,
    )
    with refused_cursor(cursor):
        items = [convert(item) for item in results]
    return Page[T](items=items, next_cursor=encode_cursor(results.last_evaluated_key, partition))
