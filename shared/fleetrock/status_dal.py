"""Data access of repair orders, scheduled maintenance items and each asset's maintenance status."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pynamodb.exceptions import DoesNotExist

from shared.db.base import connection
from shared.fleetrock.models import AssetMaintenanceItem, Cause, RepairOrderItem, ScheduledMaintenanceItem
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


def waiting_partition(integration_id: str, vin: str) -> str:
    return f"FLEETROCK#{integration_id}#WAITING#{vin}"


def index_waiting(item: RepairOrderItem | ScheduledMaintenanceItem, cause: Cause | None) -> None:
    """gsi2 holds a repair order or maintenance item that is a cause of an asset we do not know yet
    (no active asset has its VIN), with that cause: the asset gets it when it appears."""
    waiting = cause is not None and item.asset_id is None and bool(item.vin)
    source = f"RO#{item.ro_id}" if isinstance(item, RepairOrderItem) else f"SM#{item.maintenance_id}"
    item.gsi2pk = waiting_partition(item.integration_id, str(item.vin)) if waiting else None
    item.gsi2sk = source if waiting else None
    item.waiting_cause = cause.model_dump(mode="json") if waiting and cause is not None else None


def waiting_for_vin(integration_id: str, vin: str) -> list[RepairOrderItem | ScheduledMaintenanceItem]:
    """The repair orders and maintenance items waiting for an asset with this VIN (two Queries on gsi2)."""
    connection()
    partition = waiting_partition(integration_id, vin)
    found: list[RepairOrderItem | ScheduledMaintenanceItem] = list(
        RepairOrderItem.query(partition, RepairOrderItem.gsi2sk.startswith("RO#"), index_name="gsi2"))
    found += ScheduledMaintenanceItem.query(partition, ScheduledMaintenanceItem.gsi2sk.startswith("SM#"),
                                            index_name="gsi2")
    return found


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
