"""Data access of unit sync state: one item per synced asset, beside the asset (ORG#{org_id})."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from shared.db.base import update_if
from shared.db.due import DueQueue
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.fleetrock.sync.models import UnitSync, UnitSyncItem
from shared.ids import utc_now

PREFIX = "FRSYNC#"
DUE = DueQueue("FRSYNCDUE", "gsi4")  # failed syncs, by when the sweep tries them again
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
    item.gsi4pk, item.gsi4sk = DUE.key(item.org_id, due, item.asset_id) if due else (None, None)


def due_syncs(now: datetime, limit_per_shard: int) -> Iterator[UnitSyncItem]:
    return DUE.due_items(UnitSyncItem, now, limit_per_shard)


def sweep_requeue(item: UnitSyncItem, next_due: datetime) -> bool:
    """Queue a failed sync again (its MODIFY record sends the asset's current state) and set when the
    sweep looks next; False when it changed since read (synced, or swept, meanwhile)."""
    actions: list[Any] = [UnitSyncItem.state.set(RETRY), UnitSyncItem.sweeps.add(1),
                          UnitSyncItem.updated_at.set(utc_now()), *DUE.move(UnitSyncItem, next_due, item.org_id,
                                                                            item.asset_id)]
    return update_if(item, actions, UnitSyncItem.state.is_in(FAILED, RETRY) & (UnitSyncItem.gsi4sk == item.gsi4sk))
