"""Due queues on a GSI: work that must happen at a time (a retry, a lease that runs out).

An item waiting for its time carries `{PREFIX}#{shard}` / `{due time}#{id}` in an index's keys;
a scheduled sweep Queries each shard for keys up to "now". Shards spread the sweep's reads and
the index's writes; the time is fixed-width UTC, so text order is time order. Used by push
deliveries (gsi4), maintenance refresh tasks (gsi3), and the sweeps' queues (shared/db/tasks.py:
Fleetrock inbox events, unit syncs, outbox messages; gsi4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from shared.db.base import TableItem, update_if

M = TypeVar("M", bound=TableItem)


def iso(at: datetime) -> str:
    """Fixed-width UTC time: sorts as text in the index."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class DueQueue:
    prefix: str  # e.g. "PUSHDUE": partitions PUSHDUE#0 .. PUSHDUE#{shards - 1}
    index_name: str  # the GSI whose keys the items carry: gsi3 or gsi4
    shards: int = 4

    def partition(self, shard: int) -> str:
        return f"{self.prefix}#{shard}"

    def key(self, owner_id: str, due: datetime, *rest: str) -> tuple[str, str]:
        """(partition, sort key) of `owner_id` falling due at `due`; `rest` makes the sort key unique."""
        shard = int(hashlib.sha256(owner_id.encode()).hexdigest(), 16) % self.shards
        return self.partition(shard), "#".join([iso(due), owner_id, *rest])

    def due_items(self, model: type[M], now: datetime, limit_per_shard: int) -> Iterator[M]:
        """Items whose due time has come, oldest first in each shard."""
        sort_key = getattr(model, f"{self.index_name}sk")
        for shard in range(self.shards):
            yield from model.query(self.partition(shard), sort_key <= f"{iso(now)}#~", index_name=self.index_name,
                                   limit=limit_per_shard)

    def move(self, model: type[TableItem], due: datetime | None, owner_id: str = "", *rest: str) -> list[Any]:
        """Update actions that put an item of `model` in the queue at `due` (as `key` makes it), or take
        it out (None)."""
        pk, sk = getattr(model, f"{self.index_name}pk"), getattr(model, f"{self.index_name}sk")
        if due is None:
            return [pk.remove(), sk.remove()]
        partition, sort_key = self.key(owner_id, due, *rest)
        return [pk.set(partition), sk.set(sort_key)]

    def leave(self, item: TableItem) -> bool:
        """Take the item out of the queue, if it is still where it was read; False when it moved since."""
        sk = getattr(type(item), f"{self.index_name}sk")
        return update_if(item, self.move(type(item), None), sk == getattr(item, f"{self.index_name}sk"))
