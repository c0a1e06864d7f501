"""Data access of assets and their VIN claims (partition ORG#{org_id})."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.transactions import TransactWrite

from shared.assets.models import Asset, AssetItem, AssetKind, AssetStatus, VinClaimItem
from shared.db.batch import batch_get_all
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.ids import utc_now


def asset_sk(asset_id: str) -> str:
    return f"ASSET#{asset_id}"


def vin_sk(vin: str) -> str:
    return f"VIN#{vin}"


def status_partition(org_id: str, status: AssetStatus | str) -> str:
    return f"ORG#{org_id}#ASSETS#{status}"


def index_status(item: AssetItem) -> None:
    """Keep the status index keys in step with the asset's status."""
    item.gsi1pk = status_partition(item.org_id, item.status)
    item.gsi1sk = asset_sk(item.asset_id)


def save_status(tx: TransactWrite, item: AssetItem, status: AssetStatus) -> None:
    """Change the asset's status in the caller's transaction (another capability's change, e.g. a
    repair order putting it In Shop): the status index follows, and the write is versioned as any
    asset write, so a client holding the old version gets 409."""
    item.status = status.value
    item.updated_at = utc_now()
    index_status(item)
    tx.save(item)


def set_claim_active(claim: VinClaimItem, active: bool) -> None:
    claim.active = active
    claim.gsi2pk = f"VIN#{claim.sk.removeprefix('VIN#')}" if active else None
    claim.gsi2sk = org_pk(claim.org_id) if active else None


def to_asset(item: AssetItem) -> Asset:
    return Asset.model_validate(item)

def get_asset_item(org_id: str, asset_id: str) -> AssetItem | None:
    return AssetItem.find(org_pk(org_id), asset_sk(asset_id), consistent_read=True)


def get_asset_items(org_id: str, asset_ids: Iterable[str]) -> dict[str, AssetItem]:
    """The fleet's assets among `asset_ids`, by id (BatchGet; missing ones are left out)."""
    keys = [(org_pk(org_id), asset_sk(a)) for a in dict.fromkeys(asset_ids)]
    return {item.asset_id: item for item in batch_get_all(AssetItem, keys)}


def get_vin_claim(org_id: str, vin: str) -> VinClaimItem | None:
    return VinClaimItem.find(org_pk(org_id), vin_sk(vin), consistent_read=True)


def list_asset_items(
    org_id: str, *, status: AssetStatus | None, kind: AssetKind | None, limit: int, cursor: str | None
) -> Page[Asset]:
    """Newest first; by status through gsi1, else the fleet partition's ASSET# range."""
    filter_condition = AssetItem.kind == kind.value if kind else None
    if status:
        return query_page(AssetItem.query, status_partition(org_id, status), index_name="gsi1", limit=limit,
                          cursor=cursor, convert=to_asset, scan_index_forward=False,
                          filter_condition=filter_condition)
    return query_page(AssetItem.query, org_pk(org_id), range_key_condition=AssetItem.sk.startswith("ASSET#"),
                      limit=limit, cursor=cursor, convert=to_asset, scan_index_forward=False,
                      filter_condition=filter_condition)
