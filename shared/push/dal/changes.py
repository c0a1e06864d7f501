"""Data access of each asset's push state: pk=ORG#{fleet_id}, sk=PUSHSTATE#{asset_id}.

A pending change sits in the sparse due index gsi4 `PUSHCHGDUE#{shard}` / `{due}#{asset_id}`: the
stream fans it out at once; if that fails past the stream's retries, push_retry's sweep does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from shared.db.due import DueQueue
from shared.db.keys import org_pk
from shared.db.tasks import Task
from shared.push.models import AssetPushStateItem

PENDING, PUBLISHED = "pending", "published"
DUE = DueQueue("PUSHCHGDUE", "gsi4", shards=8)
TASK = Task(AssetPushStateItem, DUE, due_key=lambda item: (item.asset_id,), lease_until=None)


def state_sk(asset_id: str) -> str:
    return f"PUSHSTATE#{asset_id}"


def get_item(fleet_id: str, asset_id: str) -> AssetPushStateItem | None:
    return AssetPushStateItem.find(org_pk(fleet_id), state_sk(asset_id), consistent_read=True)


def new_item(fleet_id: str, asset_id: str) -> AssetPushStateItem:
    return AssetPushStateItem(org_pk(fleet_id), state_sk(asset_id), fleet_id=fleet_id, asset_id=asset_id, sequence=0,
                              status=PUBLISHED, attempts=0)


def due_items(now: datetime, limit_per_shard: int) -> Iterator[AssetPushStateItem]:
    return TASK.due(now, limit_per_shard)
