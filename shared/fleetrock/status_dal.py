"""Data access of repair orders, scheduled maintenance items and each asset's maintenance status."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pynamodb.exceptions import DoesNotExist

from shared.db.base import connection
from shared.fleetrock.models import AssetMaintenanceItem, RepairOrderItem, ScheduledMaintenanceItem
from shared.orgs.dal import org_pk


def ro_partition(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}#RO"


def open_ro_partition(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}#OPENRO"


def sm_partition(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}#SM"


def maintenance_sk(asset_id: str) -> str:
    return f"MAINT#{asset_id}"


def index_open(item: RepairOrderItem, is_open: bool) -> None:
    """gsi1 holds only open repair orders: what the daily reconcile walks."""
    item.gsi1pk = open_ro_partition(item.integration_id) if is_open else None
    item.gsi1sk = item.ro_id if is_open else None


def get_repair_order(integration_id: str, ro_id: str) -> RepairOrderItem | None:
    connection()
    try:
        return RepairOrderItem.get(ro_partition(integration_id), ro_id, consistent_read=True)
    except DoesNotExist:
        return None


def open_repair_orders(integration_id: str) -> Iterator[RepairOrderItem]:
    """The integration's open repair orders (Query on gsi1, every page)."""
    connection()
    yield from RepairOrderItem.query(open_ro_partition(integration_id), index_name="gsi1")


def get_maintenance_item(integration_id: str, maintenance_id: str) -> ScheduledMaintenanceItem | None:
    connection()
    try:
        return ScheduledMaintenanceItem.get(sm_partition(integration_id), maintenance_id, consistent_read=True)
    except DoesNotExist:
        return None


def get_asset_maintenance(org_id: str, asset_id: str) -> AssetMaintenanceItem | None:
    connection()
    try:
        return AssetMaintenanceItem.get(org_pk(org_id), maintenance_sk(asset_id), consistent_read=True)
    except DoesNotExist:
        return None


def get_asset_maintenances(org_id: str, asset_ids: Iterable[str]) -> dict[str, AssetMaintenanceItem]:
    """BatchGetItem: the maintenance items of these assets (assets without one are left out)."""
    connection()
    keys = [(org_pk(org_id), maintenance_sk(a)) for a in dict.fromkeys(asset_ids)]
    return {i.asset_id: i for i in AssetMaintenanceItem.batch_get(keys)} if keys else {}
