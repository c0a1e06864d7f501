"""Stream work: a repair order, as Fleetrock says it is now, becomes (or stops being) a cause on its asset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.fleetrock.history import events as history
from shared.fleetrock.inbox import sources_dal
from shared.fleetrock.inbox.causes import (
    RACE_ATTEMPTS,
    InvalidEvent,
    attach_if_claimed,
    commit,
    match_asset,
    normalize_vin,
    text,
)
from shared.fleetrock.inbox.models import RepairOrderItem
from shared.fleetrock.integration.models import IntegrationItem
from shared.fleetrock.remote.contract import RO_DATE_FIELDS
from shared.fleetrock.remote.dates import parse_time
from shared.maintenance.public import Cause, Meters, repair_order_status
from shared.observability import metrics


def apply_repair_order(integration: IntegrationItem, order: dict[str, Any], *, as_of: datetime) -> bool:
    """Record the repair order's state unless we hold a newer one; True when something changed."""
    ro_id, ro_status = str(order["id"]), str(order.get("status") or "")
    try:
        status = repair_order_status(ro_status)
        meters = read_meters(order, integration.time_zone, as_of)
    except ValueError as exc:  # an unknown status, a date we cannot read (its raw value in the message)
        raise InvalidEvent(f"repair order {ro_id}: {exc}") from None
    for _ in range(RACE_ATTEMPTS):
        stored = sources_dal.get_repair_order(integration.integration_id, ro_id)
        if stored is not None and stored.as_of >= as_of:
            metrics.add_metric(name="FleetrockStaleEvent", unit="Count", value=1)
            return False
        vin = normalize_vin(order.get("vin"))
        asset_id = match_asset(integration.org_id, vin)
        item = stored or RepairOrderItem(sources_dal.ro_partition(integration.integration_id), ro_id,
                                         integration_id=integration.integration_id, org_id=integration.org_id,
                                         ro_id=ro_id)
        previous_asset, waited = item.asset_id, sources_dal.waiting_key(item)
        item.vin, item.unit_number, item.status, item.as_of, item.asset_id = (
            vin, text(order.get("unit_number")), ro_status, as_of, asset_id)
        history.describe(item, order, integration.time_zone)  # the asset's event history (GET /assets/{id}/events)
        sources_dal.index_open(item, status is not None)
        cause = None
        if status is not None:
            cause = Cause(status=status, source="repair_order", source_id=ro_id, detail=ro_status,
                          unit_number=item.unit_number, since=as_of)
        sources_dal.index_waiting(item, cause)
        if commit(integration.org_id, item, cause, previous_asset, asset_id, waited, meters=meters):
            attach_if_claimed(integration.org_id, item)
            return True
    raise RuntimeError(f"repair order {ro_id}: lost {RACE_ATTEMPTS} races in a row")


def read_meters(order: dict[str, Any], time_zone: str | None, as_of: datetime) -> Meters | None:
    """The odometer and engine hours the order read, at its latest date (else when we read it).

    Every date field is read here, so one that cannot be read fails the order with its raw value."""
    dates = {field: parse_time(order.get(field), time_zone, field=field) for field in RO_DATE_FIELDS}
    miles, hours = _number(order.get("odometer_miles")), _number(order.get("engine_hours"))
    if miles is None and hours is None:
        return None
    past = [d for field, d in dates.items() if d is not None and field != "date_expected_finish"]
    return Meters(odometer_miles=miles, engine_hours=hours, at=min(max(past, default=as_of), as_of))


def _number(value: object) -> float | None:
    """A meter reading: a non-negative finite number (Fleetrock may send "182,340" or ""), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        return None
    return number if 0 <= number < 1e9 else None


def closed_order(stored: RepairOrderItem) -> dict[str, Any]:
    """An order we hold that Fleetrock no longer has: deleted there, so closed here (webhook or reconcile)."""
    return {"id": stored.ro_id, "vin": stored.vin, "unit_number": stored.unit_number, "status": "Deleted"}
