"""Data access of unit sync state: one item per synced asset, beside the asset (ORG#{org_id})."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from shared.db.due import DueQueue
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.db.tasks import Task
from shared.fleetrock.sync.models import UnitSync, UnitSyncItem
from shared.ids import utc_now

PREFIX = "FRSYNC#"
# failed syncs, by when the sweep tries them again
TASK = Task(UnitSyncItem, DueQueue("FRSYNCDUE", "gsi4"), due_key=lambda item: (item.org_id, item.asset_id),
            status="state", lease_until=None)
FAILED, RETRY = "failed", "retry"


def sync_sk(asset_id: str) -> str:
    return f"{PREFIX}{asset_id}"


def get_sync(org_id: str, asset_id: str) -> UnitSyncItem | None:
    return UnitSyncItem.find(org_pk(org_id), sync_sk(asset_id), consistent_read=True)


def list_syncs(org_id: str, *, state: str | None, limit: int, cursor: str | None) -> Page[UnitSync]:
    """The fleet's synced units (optionally only `failed` ones): Query on the FRSYNC# range."""
    return query_page(UnitSyncItem.query, org_pk(org_id), range_key_condition=UnitSyncItem.sk.startswith(PREFIX),
                      limit=limit, cursor=cursor, convert=UnitSync.model_validate,
                      filter_condition=(UnitSyncItem.state == state) if state else None)


def set_due(item: UnitSyncItem, due: datetime | None) -> None:
    """Put the sync in the due queue at `due` (None: out of it); saved with the item."""
    TASK.place(item, due)


def due_syncs(now: datetime, limit_per_shard: int) -> Iterator[UnitSyncItem]:
    return TASK.due(now, limit_per_shard)


def sweep_requeue(item: UnitSyncItem, next_due: datetime) -> bool:
    """Queue a failed sync again (its MODIFY record sends the asset's current state) and set when the
    sweep looks next; False when it changed since read (synced, or swept, meanwhile)."""
    return TASK.requeue(item, to=RETRY, at=next_due, seen=UnitSyncItem.state.is_in(FAILED, RETRY),
                        also=[UnitSyncItem.sweeps.add(1), UnitSyncItem.updated_at.set(utc_now())])


def leave_queue(item: UnitSyncItem) -> bool:
    """Out of the due queue (synced meanwhile, or out of sweeps), if nobody moved it since read."""
    return TASK.leave(item)
