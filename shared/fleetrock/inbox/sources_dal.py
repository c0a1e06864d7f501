"""Data access of the sources of maintenance statuses: repair orders, scheduled maintenance items, waiting markers.

An asset's maintenance status itself is shared/maintenance/dal.py's."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.transactions import TransactWrite

from shared.fleetrock.inbox.models import RepairOrderItem, ScheduledMaintenanceItem, WaitingVinItem
from shared.maintenance.public import StoredCause


def ro_partition(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}#RO"


def open_ro_partition(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}#OPENRO"


def sm_partition(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}#SM"


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
