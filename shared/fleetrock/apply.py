"""Stream work: apply an inbox event (repair orders, scheduled maintenance) to assets' statuses.

Each repair order and maintenance item keeps Fleetrock's own time of its last state (`as_of`);
an event older than that changes nothing, so events may arrive in any order. The item, the
asset's maintenance status and (for In Shop) the asset's status change in one transaction.
A failure marks the inbox event failed and raises: the stream retries it, then dead-letters
it, and a fleet admin can replay it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.assets import dal as assets_dal
from shared.assets.models import AssetStatus
from shared.db.base import condition_failed, transaction
from shared.fleetrock import inbox_dal, integration_dal, status_dal
from shared.fleetrock.credentials import client_for
from shared.fleetrock.maintenance import (
    maintenance_state_status,
    ordered,
    parse_date,
    parse_time,
    repair_order_status,
    today_eastern,
)
from shared.fleetrock.models import (
    AssetMaintenanceItem,
    Cause,
    InboxItem,
    InboxStatus,
    IntegrationItem,
    MaintenanceStatus,
    RepairOrderItem,
    ScheduledMaintenanceItem,
)
from shared.ids import utc_now
from shared.observability import logger, metrics
from shared.orgs.dal import org_pk

RO_EVENTS = ("repair_order.created", "repair_order.updated", "repair_order.deleted", "repair_order.imported")
SM_EVENTS = ("scheduled_maintenance.updated",)
KNOWN_EVENTS = (*RO_EVENTS, *SM_EVENTS, "test")
RACE_ATTEMPTS = 3


class InvalidEvent(ValueError):
    """The event cannot be applied as it is (a poison event): retried, then dead-lettered."""


def apply_inbox_record(image: dict[str, Any]) -> None:
    """Stream work for an inbox item's INSERT (new event) and MODIFY (a replay queued it)."""
    if image.get("status") not in (InboxStatus.PENDING.value, InboxStatus.QUEUED.value):
        return  # test / unknown events, and our own status updates
    item = inbox_dal.get_event(str(image["integration_id"]), str(image["event_id"]))
    if item is None or item.status not in inbox_dal.RUNNABLE:
        return  # applied already: a redelivered record
    try:
        apply_event(item)
    except Exception as exc:  # recorded on the event, then re-raised: the stream retries it
        inbox_dal.mark_failed(item, f"{type(exc).__name__}: {exc}")
        metrics.add_metric(name="FleetrockEventFailed", unit="Count", value=1)
        raise
    if inbox_dal.mark_applied(item):
        metrics.add_metric(name="FleetrockEventApplied", unit="Count", value=1)


def apply_event(item: InboxItem) -> None:
    integration = integration_dal.get_integration_item(item.integration_id)
    if integration is None:
        raise InvalidEvent(f"integration {item.integration_id} no longer exists")
    try:
        envelope = json.loads(inbox_dal.raw_body(item))
        data = envelope.get("data")
    except (ValueError, AttributeError):
        raise InvalidEvent("the stored body is not a JSON object") from None
    sent_at = item.sent_at or item.received_at
    if item.event_type in RO_EVENTS:
        if not isinstance(data, dict) or not data.get("id"):
            raise InvalidEvent("a repair order event needs data.id")
        order = _full_repair_order(integration, data, deleted=item.event_type == "repair_order.deleted")
        apply_repair_order(integration, order, as_of=parse_time(order.get("date_updated")) or sent_at)
    elif item.event_type in SM_EVENTS:
        entries = data.get("items") if isinstance(data, dict) else data
        if not isinstance(entries, list):
            raise InvalidEvent("a scheduled maintenance event needs a list of items")
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("id"):
                raise InvalidEvent("every scheduled maintenance item needs an id")
            apply_maintenance_item(integration, entry, as_of=parse_time(entry.get("date_updated")) or sent_at)
    else:
        raise InvalidEvent(f"event type {item.event_type!r} is not applied")


def _full_repair_order(integration: IntegrationItem, data: dict[str, Any], *, deleted: bool) -> dict[str, Any]:
    """The repair order as the event carries it; a thin event (id only) is completed with GetRO by ID."""
    if deleted:
        return {**data, "status": "Deleted"}
    if data.get("status"):
        return data
    with client_for(integration) as client:
        found = client.get_repair_order(str(data["id"]))
    if found is None:
        raise InvalidEvent(f"Fleetrock has no repair order {data['id']}")
    return found


def _vin(value: object) -> str | None:
    return str(value).strip().upper() or None if value else None


def match_asset(org_id: str, vin: str | None) -> str | None:
    """The fleet's active asset with this VIN (its VIN claim), if any."""
    if not vin:
        return None
    claim = assets_dal.get_vin_claim(org_id, vin)
    return claim.asset_id if claim is not None and claim.active else None


def apply_repair_order(integration: IntegrationItem, order: dict[str, Any], *, as_of: datetime) -> bool:
    """Record the repair order's state unless we hold a newer one; True when something changed."""
    ro_id, ro_status = str(order["id"]), str(order.get("status") or "")
    try:
        status = repair_order_status(ro_status)
    except ValueError as exc:
        raise InvalidEvent(str(exc)) from None
    for _ in range(RACE_ATTEMPTS):
        stored = status_dal.get_repair_order(integration.integration_id, ro_id)
        if stored is not None and stored.as_of >= as_of:
            metrics.add_metric(name="FleetrockStaleEvent", unit="Count", value=1)
            return False
        vin = _vin(order.get("vin"))
        asset_id = match_asset(integration.org_id, vin)
        item = stored or RepairOrderItem(status_dal.ro_partition(integration.integration_id), ro_id,
                                         integration_id=integration.integration_id, org_id=integration.org_id,
                                         ro_id=ro_id)
        previous_asset, waited = item.asset_id, status_dal.waiting_key(item)
        item.vin, item.unit_number, item.status, item.as_of, item.asset_id = (
            vin, _text(order.get("unit_number")), ro_status, as_of, asset_id)
        status_dal.index_open(item, status is not None)
        cause = None
        if status is not None:
            cause = Cause(status=status, source="repair_order", source_id=ro_id, detail=ro_status,
                          unit_number=item.unit_number, since=as_of)
        status_dal.index_waiting(item, cause)
        if _commit(integration.org_id, item, cause, previous_asset, asset_id, waited):
            _attach_if_claimed(integration.org_id, item)
            return True
    raise RuntimeError(f"repair order {ro_id}: lost {RACE_ATTEMPTS} races in a row")


def apply_maintenance_item(integration: IntegrationItem, entry: dict[str, Any], *, as_of: datetime) -> bool:
    sm_id, state = str(entry["id"]), str(entry.get("state") or "")
    try:
        status = maintenance_state_status(state)
        due_date = parse_date(entry.get("due_date"))
    except ValueError as exc:
        raise InvalidEvent(str(exc)) from None
    for _ in range(RACE_ATTEMPTS):
        stored = status_dal.get_maintenance_item(integration.integration_id, sm_id)
        if stored is not None and stored.as_of >= as_of:
            return False
        vin = _vin(entry.get("vin"))
        asset_id = match_asset(integration.org_id, vin)
        item = stored or ScheduledMaintenanceItem(status_dal.sm_partition(integration.integration_id), sm_id,
                                                  integration_id=integration.integration_id,
                                                  org_id=integration.org_id, maintenance_id=sm_id)
        previous_asset, waited = item.asset_id, status_dal.waiting_key(item)
        item.vin, item.state, item.as_of, item.asset_id = vin, state, as_of, asset_id
        cause = None
        if status is not None:
            cause = Cause(status=status, source="scheduled_maintenance", source_id=sm_id,
                          detail=_text(entry.get("service")) or "scheduled maintenance",
                          unit_number=_text(entry.get("unit_number")), due_date=due_date, since=as_of)
        status_dal.index_waiting(item, cause)
        if _commit(integration.org_id, item, cause, previous_asset, asset_id, waited):
            _attach_if_claimed(integration.org_id, item)
            return True
    raise RuntimeError(f"maintenance item {sm_id}: lost {RACE_ATTEMPTS} races in a row")


def _attach_if_claimed(org_id: str, item: RepairOrderItem | ScheduledMaintenanceItem) -> None:
    """A waiting item whose VIN an asset claimed since we looked (both at once): attach it now."""
    if item.waiting_cause is not None and (asset_id := match_asset(org_id, item.vin)):
        attach_waiting(org_id, item, asset_id)


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _commit(org_id: str, item: RepairOrderItem | ScheduledMaintenanceItem, cause: Cause | None,
            previous_asset: str | None, asset_id: str | None, waited: tuple[str, str] | None) -> bool:
    """Write the source item, its waiting marker (`waited`: the marker's key when the item was read)
    and the asset(s) it touches in one transaction; False on a lost race."""
    key = status_dal.source_key(item)  # the cause's key on the asset's maintenance item
    tx = transaction()
    try:
        with tx:
            tx.save(item)  # versioned: a concurrent writer of the same repair order makes this fail
            status_dal.write_waiting(tx, item, waited)
            if previous_asset and previous_asset != asset_id:
                _set_cause(tx, org_id, previous_asset, key, None)
            if asset_id:
                _set_cause(tx, org_id, asset_id, key, cause)
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def _set_cause(tx: Any, org_id: str, asset_id: str, key: str, cause: Cause | None) -> None:
    """Put or remove one cause on the asset's maintenance item; set or clear the asset's in_shop."""
    now = utc_now()
    maintenance = status_dal.get_asset_maintenance(org_id, asset_id) or AssetMaintenanceItem(
        org_pk(org_id), status_dal.maintenance_sk(asset_id), org_id=org_id, asset_id=asset_id, causes={},
        computed_at=now)
    causes = dict(maintenance.causes or {})
    if cause is None:
        causes.pop(key, None)
    else:
        causes[key] = cause.model_dump(mode="json")
    maintenance.causes = causes
    parsed = [Cause.model_validate(c) for c in causes.values()]
    statuses = ordered(parsed, today_eastern(now))
    maintenance.top_status = statuses[0].status.value if statuses else None
    maintenance.computed_at = now
    in_shop = any(c.status is MaintenanceStatus.IN_SHOP for c in statuses)
    asset = assets_dal.get_asset_item(org_id, asset_id)
    if asset is not None and asset.status != AssetStatus.INACTIVE.value:
        new_status = None
        if in_shop and asset.status == AssetStatus.ACTIVE.value:
            new_status, maintenance.set_in_shop = AssetStatus.IN_SHOP, True
        elif not in_shop and asset.status == AssetStatus.IN_SHOP.value and maintenance.set_in_shop:
            new_status, maintenance.set_in_shop = AssetStatus.ACTIVE, False
        if new_status is not None:
            asset.status = new_status.value
            asset.updated_at = datetime.now(UTC)
            assets_dal.index_status(asset)
            tx.save(asset)  # versioned as any asset write: a client holding the old version gets 409
            logger.info("asset status set from Fleetrock",
                        extra={"asset_id": asset_id, "asset_status": asset.status, "cause": key})
    tx.save(maintenance)


def attach_waiting(org_id: str, item: RepairOrderItem | ScheduledMaintenanceItem, asset_id: str) -> bool:
    """Give the asset the item's waiting cause; False when there is nothing (left) to attach."""
    for _ in range(RACE_ATTEMPTS):
        if item.asset_id is not None or item.waiting_cause is None:
            return False  # attached, or no longer a cause, since the index was read
        cause, waited = Cause.model_validate(item.waiting_cause), status_dal.waiting_key(item)
        item.asset_id = asset_id
        status_dal.index_waiting(item, None)
        if _commit(org_id, item, cause, None, asset_id, waited):
            return True
        reread = status_dal.get_source(item.integration_id, status_dal.source_key(item))
        if reread is None:
            return False
        item = reread
    raise RuntimeError(f"{item.pk}: lost {RACE_ATTEMPTS} races in a row attaching it to asset {asset_id}")
