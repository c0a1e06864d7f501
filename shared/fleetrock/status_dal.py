"""Data access of repair orders, scheduled maintenance items and each asset's maintenance status."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pynamodb.transactions import TransactWrite

from shared.db.keys import org_pk
from shared.fleetrock.models import (
    AssetMaintenanceItem,
    Meters,
    RepairOrderItem,
    ScheduledMaintenanceItem,
    StoredCause,
    WaitingVinItem,
)


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


def source_key(item: RepairOrderItem | ScheduledMaintenanceItem) -> str:
    """The item's key among an asset's causes and its waiting marker's sort key: RO#{id} or SM#{id}."""
    return f"RO#{item.ro_id}" if isinstance(item, RepairOrderItem) else f"SM#{item.maintenance_id}"


def index_waiting(item: RepairOrderItem | ScheduledMaintenanceItem, cause: StoredCause | None) -> None:
    """Keep the cause on an item that is a cause of an asset we do not know yet (no active asset
    has its VIN): the asset gets it when it appears. The marker follows in commit (waiting_key)."""
    waiting = cause is not None and item.asset_id is None and bool(item.vin)
    item.waiting_cause = cause.model_dump(mode="json") if waiting and cause is not None else None


def waiting_key(item: RepairOrderItem | ScheduledMaintenanceItem) -> tuple[str, str] | None:
    """The key of the item's WaitingVinItem while it waits for an asset with its VIN, else None."""
    if item.waiting_cause is None or item.asset_id is not None or not item.vin:
        return None
    return waiting_partition(item.integration_id, item.vin), source_key(item)


def write_waiting(tx: TransactWrite, item: RepairOrderItem | ScheduledMaintenanceItem,
                  before: tuple[str, str] | None) -> None:
    """In the item's transaction: its marker put while it waits, deleted when it stops (`before`:
    its key when the item was read)."""
    now = waiting_key(item)
    if now is not None:  # put again while it waits: the same item, and any marker missing is restored
        tx.save(WaitingVinItem(*now, integration_id=item.integration_id, vin=str(item.vin)))
    if before is not None and before != now:
        tx.delete(WaitingVinItem(*before))


def waiting_for_vin(integration_id: str, vin: str) -> list[RepairOrderItem | ScheduledMaintenanceItem]:
    """The repair orders and maintenance items waiting for an asset with this VIN: a consistent
    Query of their markers, then each item (consistent GetItem)."""
    found: list[RepairOrderItem | ScheduledMaintenanceItem] = []
    for marker in WaitingVinItem.query(waiting_partition(integration_id, vin), consistent_read=True):
        if (item := get_source(integration_id, marker.sk)) is not None:
            found.append(item)
    return found


def get_source(integration_id: str, key: str) -> RepairOrderItem | ScheduledMaintenanceItem | None:
    """The repair order (`RO#{id}`) or maintenance item (`SM#{id}`) a source_key names."""
    kind, _, source_id = key.partition("#")
    if kind == "RO":
        return get_repair_order(integration_id, source_id)
    return get_maintenance_item(integration_id, source_id)


def get_repair_order(integration_id: str, ro_id: str) -> RepairOrderItem | None:
    return RepairOrderItem.find(ro_partition(integration_id), ro_id, consistent_read=True)


def open_repair_orders(integration_id: str) -> Iterator[RepairOrderItem]:
    """The integration's open repair orders (Query on gsi1, every page)."""
    yield from RepairOrderItem.query(open_ro_partition(integration_id), index_name="gsi1")


def get_maintenance_item(integration_id: str, maintenance_id: str) -> ScheduledMaintenanceItem | None:
    return ScheduledMaintenanceItem.find(sm_partition(integration_id), maintenance_id, consistent_read=True)


def get_asset_maintenance(org_id: str, asset_id: str) -> AssetMaintenanceItem | None:
    return AssetMaintenanceItem.find(org_pk(org_id), maintenance_sk(asset_id), consistent_read=True)


def get_asset_maintenances(org_id: str, asset_ids: Iterable[str]) -> dict[str, AssetMaintenanceItem]:
    """BatchGetItem: the maintenance items of these assets (assets without one are left out)."""
    keys = [(org_pk(org_id), maintenance_sk(a)) for a in dict.fromkeys(asset_ids)]
    return {i.asset_id: i for i in AssetMaintenanceItem.batch_get(keys)} if keys else {}


def stored_causes(item: AssetMaintenanceItem | None) -> list[StoredCause]:
    """The asset's causes as kept (an interval item with nothing due yet has no status)."""
    return [StoredCause.model_validate(c) for c in (item.causes or {}).values()] if item is not None else []


def meters_of(item: AssetMaintenanceItem | None) -> Meters | None:
    """The asset's latest odometer and engine hours (from its repair orders), if any were read."""
    if item is None or item.meters_at is None:
        return None
    return Meters(odometer_miles=item.odometer_miles, engine_hours=item.engine_hours, at=item.meters_at)


def set_meters(item: AssetMaintenanceItem, meters: Meters | None) -> None:
    """Keep a reading no older than the one held (newest wins); a meter it lacks keeps its older value."""
    if meters is None or (meters.odometer_miles is None and meters.engine_hours is None):
        return
    if item.meters_at is not None and meters.at < item.meters_at:
        return
    if meters.odometer_miles is not None:
        item.odometer_miles = meters.odometer_miles
    if meters.engine_hours is not None:
        item.engine_hours = meters.engine_hours
    item.meters_at = meters.at
