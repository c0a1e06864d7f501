"""A fleet's daily catch-up with Fleetrock, and its statuses recomputed by date.

Webhooks can be missed. `reconcile` asks Fleetrock (GetRO) for the current state of every repair
order we hold open and of every open one created within the look-back, and applies what differs
through apply.py's `apply_repair_order`: the same path as webhooks, so Fleetrock's timestamps
decide (an older state never overwrites a newer one). `recompute` re-evaluates every asset's
statuses as of a day (an Upcoming item whose due date passed is Overdue) and stores the top
status and when it was computed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from shared.db.base import connection, update_if
from shared.fleetrock import status_dal
from shared.fleetrock.causes import InvalidEvent
from shared.fleetrock.client import FleetrockClient
from shared.fleetrock.maintenance import OPEN_RO_STATUSES, ordered, parse_time, today_eastern
from shared.fleetrock.models import AssetMaintenanceItem, Cause, IntegrationItem, RepairOrderItem
from shared.fleetrock.refresh_models import RefreshResult
from shared.fleetrock.repair_orders import apply_repair_order
from shared.observability import logger
from shared.orgs.dal import org_pk

LOOKBACK = timedelta(days=365)  # as at activation: open repair orders created within a year


def reconcile(integration: IntegrationItem, client: FleetrockClient, now: datetime, result: RefreshResult) -> None:
    """Bring our repair orders in line with Fleetrock's. FleetrockError propagates (try again later)."""
    today = today_eastern(now)
    listed = {str(o["id"]): o for o in client.get_repair_orders(event="created", start=today - LOOKBACK, end=today)
              if o.get("id")}
    ours = {ro.ro_id: ro for ro in status_dal.open_repair_orders(integration.integration_id)}
    for ro_id, stored in ours.items():
        result.open_checked += 1
        order = listed.get(ro_id) or client.get_repair_order(ro_id) or _gone(stored)
        if order.get("status") != stored.status and _apply(integration, order, now, result):
            if order.get("status") not in OPEN_RO_STATUSES:
                result.closed += 1
            else:
                result.applied += 1
    for ro_id, order in listed.items():
        if ro_id in ours or order.get("status") not in OPEN_RO_STATUSES:
            continue
        stored_item = status_dal.get_repair_order(integration.integration_id, ro_id)
        if stored_item is not None and stored_item.status == order.get("status"):
            continue
        if _apply(integration, order, now, result):
            result.applied += 1


def _gone(stored: RepairOrderItem) -> dict[str, Any]:
    """Fleetrock has no such repair order any more: deleted there, so closed here."""
    return {"id": stored.ro_id, "vin": stored.vin, "unit_number": stored.unit_number, "status": "Deleted"}


def _apply(integration: IntegrationItem, order: dict[str, Any], now: datetime, result: RefreshResult) -> bool:
    try:
        as_of = parse_time(order.get("date_updated")) or now  # no time from Fleetrock: our read is the latest
        return apply_repair_order(integration, order, as_of=as_of)
    except (InvalidEvent, ValueError) as exc:  # one malformed repair order must not stop the fleet's refresh
        result.skipped += 1
        logger.warning("repair order not applied by the refresh",
                       extra={"integration_id": integration.integration_id, "ro_id": order.get("id"),
                              "error": str(exc)[:200]})
        return False


def recompute(org_id: str, as_of: datetime, result: RefreshResult) -> None:
    """Store each asset's top status as of `as_of` (US Eastern day) where it has causes or changed."""
    connection()
    today = today_eastern(as_of)
    for item in AssetMaintenanceItem.query(org_pk(org_id), AssetMaintenanceItem.sk.startswith("MAINT#")):
        causes = [Cause.model_validate(c) for c in (item.causes or {}).values()]
        top, before = _top(causes, today), item.top_status
        if not causes and top == before:
            continue
        if _store(item, top, as_of):
            result.recomputed += 1
            result.changed += top != before


def _top(causes: list[Cause], today: date) -> str | None:
    statuses = ordered(causes, today)
    return statuses[0].status.value if statuses else None


def _store(item: AssetMaintenanceItem, top: str | None, as_of: datetime) -> bool:
    """Versioned: if a webhook changed the item meanwhile, it computed the statuses itself; keep its write."""
    field = AssetMaintenanceItem.top_status
    return update_if(item, [field.set(top) if top else field.remove(), AssetMaintenanceItem.computed_at.set(as_of)])
