"""What every Fleetrock source shares: a repair order or maintenance item becomes a cause on its asset.

The source item (its state), its waiting marker (while no asset has its VIN) and the asset's
maintenance item (its causes, statuses, and the asset's in_shop) change in one transaction
(`commit`); a lost race is retried by the caller. `attach_waiting` gives an asset that appears
later what waited for its VIN.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.assets.public import AssetItem, AssetStatus, get_asset_item, get_vin_claim, save_status
from shared.db.base import condition_failed, transaction
from shared.db.keys import org_pk
from shared.fleetrock.history import events as history
from shared.fleetrock.inbox import sources_dal
from shared.fleetrock.inbox.models import RepairOrderItem, ScheduledMaintenanceItem
from shared.ids import utc_now
from shared.maintenance.public import (
    AssetMaintenanceItem,
    MaintenanceStatus,
    Meters,
    StoredCause,
    asset_state,
    get_asset_maintenance,
    maintenance_sk,
    meters_of,
    ordered,
    set_meters,
    stored_causes,
    today_eastern,
)
from shared.observability import logger
from shared.push.public import ChangeCause, record_change

RACE_ATTEMPTS = 3


class InvalidEvent(ValueError):
    """The event cannot be applied as it is (a poison event): retried, then dead-lettered."""


def normalize_vin(value: object) -> str | None:
    return str(value).strip().upper() or None if value else None


def match_asset(org_id: str, vin: str | None) -> str | None:
    """The fleet's active asset with this VIN (its VIN claim), if any."""
    if not vin:
        return None
    claim = get_vin_claim(org_id, vin)
    return claim.asset_id if claim is not None and claim.active else None


def attach_if_claimed(org_id: str, item: RepairOrderItem | ScheduledMaintenanceItem) -> None:
    """A waiting item whose VIN an asset claimed since we looked (both at once): attach it now."""
    if item.waiting_cause is not None and (asset_id := match_asset(org_id, item.vin)):
        attach_waiting(org_id, item, asset_id)


def text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def commit(org_id: str, item: RepairOrderItem | ScheduledMaintenanceItem, cause: StoredCause | None,
            previous_asset: str | None, asset_id: str | None, waited: tuple[str, str] | None, *,
            meters: Meters | None = None) -> bool:
    """Write the source item, its waiting marker (`waited`: the marker's key when the item was read)
    and the asset(s) it touches in one transaction; False on a lost race. `meters` (a repair
    order's reading) go on `asset_id`'s maintenance item when newer than the ones it holds."""
    key = sources_dal.source_key(item)  # the cause's key on the asset's maintenance item
    if isinstance(item, RepairOrderItem):
        history.index_asset(item)  # its place in its asset's events (gsi3)
    tx = transaction()
    try:
        with tx:
            tx.save(item)  # versioned: a concurrent writer of the same repair order makes this fail
            sources_dal.write_waiting(tx, item, waited)
            if previous_asset and previous_asset != asset_id:
                set_cause(tx, org_id, previous_asset, key, None, source_status="moved to another unit")
            if asset_id:
                set_cause(tx, org_id, asset_id, key, cause, meters=meters, source_status=_status_of(item))
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def _status_of(item: RepairOrderItem | ScheduledMaintenanceItem) -> str | None:
    return item.status if isinstance(item, RepairOrderItem) else None


def set_cause(tx: Any, org_id: str, asset_id: str, key: str, cause: StoredCause | None, *,
              meters: Meters | None = None, source_status: str | None = None) -> None:
    """Put or remove one cause on the asset's maintenance item, keep newer `meters`; statuses are
    recomputed with the asset's meters; set or clear the asset's in_shop; and record what subscribers
    see change (a status_changed push) in the same transaction."""
    now = utc_now()
    maintenance = get_asset_maintenance(org_id, asset_id) or AssetMaintenanceItem(
        org_pk(org_id), maintenance_sk(asset_id), org_id=org_id, asset_id=asset_id, causes={},
        computed_at=now)
    asset = get_asset_item(org_id, asset_id)
    before = asset_state(asset, maintenance, today_eastern(now)) if asset is not None else None
    causes = dict(maintenance.causes or {})
    if cause is None:
        causes.pop(key, None)
    else:
        causes[key] = cause.model_dump(mode="json")
    maintenance.causes = causes
    set_meters(maintenance, meters)
    statuses = ordered(stored_causes(maintenance), today_eastern(now),
                       meters_of(maintenance))
    maintenance.top_status = statuses[0].status.value if statuses else None
    maintenance.computed_at = now
    if asset is not None:
        _follow_in_shop(tx, asset, maintenance, any(c.status is MaintenanceStatus.IN_SHOP for c in statuses), key)
        record_change(tx, org_id, asset_id, before=before, after=asset_state(asset, maintenance, today_eastern(now)),
                      cause=change_cause(key, cause, source_status), now=now)
    tx.save(maintenance)


def _follow_in_shop(tx: Any, asset: AssetItem, maintenance: AssetMaintenanceItem, in_shop: bool, key: str) -> None:
    """In Shop while a cause says so (unless a person set another status); back to active after."""
    if asset.status == AssetStatus.INACTIVE.value:
        return
    new_status = None
    if in_shop and asset.status == AssetStatus.ACTIVE.value:
        new_status, maintenance.set_in_shop = AssetStatus.IN_SHOP, True
    elif not in_shop and asset.status == AssetStatus.IN_SHOP.value and maintenance.set_in_shop:
        new_status, maintenance.set_in_shop = AssetStatus.ACTIVE, False
    if new_status is not None:
        save_status(tx, asset, new_status)  # versioned as any asset write: a client holding the old one gets 409
        logger.info("asset status set from Fleetrock",
                    extra={"asset_id": asset.asset_id, "asset_status": asset.status, "cause": key})


def change_cause(key: str, cause: StoredCause | None, source_status: str | None = None) -> ChangeCause:
    """The push's cause of a change of the cause `key` (RO#{id} / SM#{id}); `cause` None: it went away
    (`source_status`: e.g. the repair order's Finished)."""
    kind, _, source_id = key.partition("#")
    detail = cause.detail if cause is not None else source_status or "no longer a maintenance status"
    return ChangeCause(source="repair_order" if kind == "RO" else "scheduled_maintenance", source_id=source_id,
                       detail=detail)


def attach_waiting(org_id: str, item: RepairOrderItem | ScheduledMaintenanceItem, asset_id: str) -> bool:
    """Give the asset the item's waiting cause; False when there is nothing (left) to attach."""
    for _ in range(RACE_ATTEMPTS):
        if item.asset_id is not None or item.waiting_cause is None:
            return False  # attached, or no longer a cause, since the index was read
        cause, waited = StoredCause.model_validate(item.waiting_cause), sources_dal.waiting_key(item)
        item.asset_id = asset_id
        sources_dal.index_waiting(item, None)
        if commit(org_id, item, cause, None, asset_id, waited):
            return True
        reread = sources_dal.get_source(item.integration_id, sources_dal.source_key(item))
        if reread is None:
            return False
        item = reread
    raise RuntimeError(f"{item.pk}: lost {RACE_ATTEMPTS} races in a row attaching it to asset {asset_id}")
