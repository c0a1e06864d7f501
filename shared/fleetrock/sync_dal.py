"""Data access of unit sync state: one item per synced asset, beside the asset (ORG#{org_id})."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from shared.db.base import connection
from shared.db.pagination import Page, query_page
from shared.fleetrock.models import UnitSync, UnitSyncItem
from shared.orgs.dal import org_pk

PREFIX = "FRSYNC#"


def sync_sk(asset_id: str) -> str:
    return f"{PREFIX}{asset_id}"


def get_sync(org_id: str, asset_id: str) -> UnitSyncItem | None:
    connection()
    try:
        return UnitSyncItem.get(org_pk(org_id), sync_sk(asset_id), consistent_read=True)
    except DoesNotExist:
        return None


def list_syncs(org_id: str, *, state: str | None, limit: int, cursor: str | None) -> Page[UnitSync]:
    """The fleet's synced units (optionally only `failed` ones): Query on the FRSYNC# range."""
    connection()
    return query_page(UnitSyncItem.query, org_pk(org_id), range_key_condition=UnitSyncItem.sk.startswith(PREFIX),
                      limit=limit, cursor=cursor, convert=UnitSync.model_validate,
                      filter_condition=(UnitSyncItem.state == state) if state else None)
