"""Write-sharded list keys: one list written under N index keys, read back as one newest-first list.

A list whose items all go under one index partition key (a fleet's jobs: a 1,000-row import puts
1,000 of them there in a second) is bound by DynamoDB's 1,000 write units a second per key. Written
instead under `{base}#{n}`, n = sha256(item id) mod N, it takes N times that. A page of the list is
N Queries (one per shard, lazily continued), merged by the index's sort key; the opaque cursor
carries each shard's position. Items stored before the list was sharded stay under `{base}` itself,
read as one more shard, until their next write moves them (docs/capacity.md: hot keys).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from shared.db.pagination import Page, is_start_key, refused_cursor
from shared.db.table import INDEXES, PARTITION_KEY, SORT_KEY
from shared.errors import Unprocessable

T = TypeVar("T")

# a shard's state in a cursor: None from its start, False when it has nothing more, else the start key
ShardPosition = dict[str, Any] | bool | None
CURSOR_MARK = "z."  # a sharded list's cursor (zlib, then base64url); an unsharded list's is plain base64url JSON


@dataclass(frozen=True)
class ShardedKey:
    """How one list spreads over index keys: `{base}#{0..shards-1}`, and `{base}` for items written before."""

    shards: int

    def key(self, base: str, item_id: str) -> str:
        """The partition key `item_id` is written under in the list `base`."""
        return f"{base}#{int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % self.shards}"

    def partitions(self, base: str) -> list[str]:
        """Every key the list is read from: its shards, then the unsharded key of items stored before."""
        return [*(f"{base}#{n}" for n in range(self.shards)), base]


def _encode(base: str, positions: list[ShardPosition], sk_attr: str) -> str | None:
    """Each shard's position as [table pk, table sk, index sort key] (its index pk is the shard's own), zlib'd:
    nine positions stay far under the 2,048 characters a cursor may have."""
    if all(p is False for p in positions):
        return None
    compact = [[p[PARTITION_KEY]["S"], p[SORT_KEY]["S"], p[sk_attr]["S"]] if isinstance(p, dict) else p
               for p in positions]
    raw = json.dumps({"p": base, "s": compact}, separators=(",", ":"))
    return CURSOR_MARK + base64.urlsafe_b64encode(zlib.compress(raw.encode(), 9)).decode().rstrip("=")


def _refused() -> Unprocessable:
    return Unprocessable.field("cursor", "not a cursor of this list; start again without it")


def _decode(cursor: str | None, base: str, partitions: list[str], index_name: str) -> list[ShardPosition]:
    """Each shard's position in `cursor`, checked to be this list's. A cursor of the list before it was
    sharded (one key: shared/db/pagination.py) goes on from the same sort key in every shard."""
    if not cursor:
        return [None] * len(partitions)
    pk_attr, sk_attr = INDEXES[index_name]
    try:
        if cursor.startswith(CURSOR_MARK):
            data = json.loads(zlib.decompress(_unbase64(cursor.removeprefix(CURSOR_MARK))))
            positions = [_position(p, partition, pk_attr, sk_attr) for p, partition in zip(
                data["s"], partitions, strict=True)]
        else:
            data = json.loads(_unbase64(cursor))
            positions = _from_unsharded(data["k"], partitions, pk_attr)
        ours = data["p"] == base
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError, AttributeError):
        raise _refused() from None
    if not ours:
        raise _refused()
    return positions


def _unbase64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _position(stored: Any, partition: str, pk_attr: str, sk_attr: str) -> ShardPosition:
    if stored is None:
        return None
    if stored is False:
        return False
    pk, sk, sort = stored
    if not all(isinstance(v, str) for v in (pk, sk, sort)):
        raise ValueError("not a position")
    return {PARTITION_KEY: {"S": pk}, SORT_KEY: {"S": sk}, pk_attr: {"S": partition}, sk_attr: {"S": sort}}


def _from_unsharded(key: Any, partitions: list[str], pk_attr: str) -> list[ShardPosition]:
    if not is_start_key(key, partitions[-1], pk_attr):
        raise ValueError("not a start key of the unsharded list")
    return [{**key, pk_attr: {"S": partition}} for partition in partitions]


def _start_key(item: Any, pk_attr: str, sk_attr: str) -> dict[str, Any]:
    return {name: {"S": getattr(item, name)} for name in (PARTITION_KEY, SORT_KEY, pk_attr, sk_attr)}


def merged_page(query: Callable[..., Any], base: str, sharding: ShardedKey, *, index_name: str, limit: int,
                cursor: str | None, convert: Callable[[Any], T], **query_kwargs: Any) -> Page[T]:
    """One page of the list `base`, newest first by the index's sort key, from every shard of it.

    Each shard is a lazy descending Query (`query`: a PynamoDB Model.query) read a few items at a time:
    the page takes the newest of the shards' heads until it has `limit`, so it is exactly what one
    Query on an unsharded key would give. The next cursor holds where each shard stopped.
    """
    partitions = sharding.partitions(base)
    pk_attr, sk_attr = INDEXES[index_name]
    positions = _decode(cursor, base, partitions, index_name)
    # about the page's share of each shard, and some: most shards answer it in one Query
    page_size = min(limit, -(-limit * 3 // (2 * sharding.shards)) + 1)
    streams: dict[int, Iterator[Any]] = {
        n: iter(query(partition, index_name=index_name, scan_index_forward=False, page_size=page_size,
                      last_evaluated_key=position or None, **query_kwargs))
        for n, (partition, position) in enumerate(zip(partitions, positions, strict=True)) if position is not False}
    with refused_cursor(cursor):
        heads = {n: next(stream, None) for n, stream in streams.items()}
        items: list[Any] = []
        seen: set[tuple[str, str]] = set()
        while len(items) < limit and any(h is not None for h in heads.values()):
            n = max((m for m, h in heads.items() if h is not None), key=lambda m: getattr(heads[m], sk_attr))
            item: Any = heads[n]
            positions[n] = _start_key(item, pk_attr, sk_attr)
            heads[n] = next(streams[n], None)
            if (item.pk, item.sk) not in seen:  # an item moving between keys, seen in both by the index
                seen.add((item.pk, item.sk))
                items.append(item)
    for n, head in heads.items():
        if head is None:  # read to its end
            positions[n] = False
    return Page[T](items=[convert(i) for i in items], next_cursor=_encode(base, positions, sk_attr))


def query_all(query: Callable[..., Any], base: str, sharding: ShardedKey, *, index_name: str,
              **query_kwargs: Any) -> Iterator[Any]:
    """Every item of the list `base`, shard after shard (no order across shards)."""
    for partition in sharding.partitions(base):
        yield from query(partition, index_name=index_name, **query_kwargs)
