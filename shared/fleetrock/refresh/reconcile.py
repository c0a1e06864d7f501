"""A fleet's daily catch-up with Fleetrock, and its statuses recomputed by date.

Webhooks can be missed. `reconcile` lists the fleet's repair orders the way Fleetrock serves them
(lookup.py: started, finished and invoiced, month by month over the integration's look-back;
created when Fleetrock answers it), reads every order we still hold open that the listing did not
show by id, and applies what differs through repair_orders.py's `apply_repair_order`: the same path
as webhooks, each state stamped with the time we read it, so an older read never overwrites a
newer one. `recompute` re-evaluates every asset's statuses as of a day (an Upcoming item whose
due date passed is Overdue) and stores the top status and when it was computed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.expressions.update import Action

from shared.assets.public import get_asset_item
from shared.db.base import atomic, update_if
from shared.db.keys import org_pk
from shared.errors import Conflict
from shared.fleetrock.inbox import dal as inbox_dal
from shared.fleetrock.inbox import sources_dal
from shared.fleetrock.inbox.causes import InvalidEvent
from shared.fleetrock.inbox.repair_orders import apply_repair_order, closed_order
from shared.fleetrock.integration.models import IntegrationItem
from shared.fleetrock.refresh.models import RefreshResult
from shared.fleetrock.remote.client import FleetrockClient
from shared.fleetrock.remote.lookup import list_orders
from shared.ids import utc_now
from shared.maintenance.public import (
    OPEN_RO_STATUSES,
    AssetMaintenanceItem,
    AssetState,
    Cause,
    Thresholds,
    meters_of,
    ordered,
    state_with,
    stored_causes,
    today_eastern,
    with_thresholds_of_fleet,
)
from shared.observability import logger
from shared.push.public import ChangeCause, record_change


def reconcile(integration: IntegrationItem, client: FleetrockClient, now: datetime, result: RefreshResult) -> None:
    """Bring our repair orders in line with Fleetrock's. FleetrockError propagates (try again later)."""
    listing = list_orders(integration, client, closed_too=True)
    listed = listing.orders
    ours = {ro.ro_id: ro for ro in sources_dal.open_repair_orders(integration.integration_id)}
    for ro_id, stored in ours.items():
        result.open_checked += 1
        if ro_id in listed:
            order, read_at = listed[ro_id], listing.read_at
        else:
            read_at = utc_now()
            order = client.get_repair_order(ro_id) or closed_order(stored)
        if order.get("status") != stored.status and _apply(integration, order, read_at, result):
            if order.get("status") not in OPEN_RO_STATUSES:
                result.closed += 1
            else:
                result.applied += 1
    for ro_id, order in listed.items():
        if ro_id in ours or order.get("status") not in OPEN_RO_STATUSES:
            continue
        stored_item = sources_dal.get_repair_order(integration.integration_id, ro_id)
        if stored_item is not None and stored_item.status == order.get("status"):
            continue
        if _apply(integration, order, listing.read_at, result):
            result.applied += 1


def _apply(integration: IntegrationItem, order: dict[str, Any], read_at: datetime, result: RefreshResult) -> bool:
    try:
        return apply_repair_order(integration, order, as_of=read_at)
    except (InvalidEvent, ValueError) as exc:  # one malformed repair order must not stop the fleet's refresh
        result.skipped += 1
        logger.warning("repair order not applied by the refresh: kept as a failed event",
                       extra={"integration_id": integration.integration_id, "ro_id": order.get("id"),
                              "error": str(exc)[:200]})
        inbox_dal.put_failed_read(integration, order, read_at, f"{type(exc).__name__}: {exc}")
        return False


def recompute(org_id: str, as_of: datetime, result: RefreshResult, thresholds: Thresholds | None = None) -> None:
    """Store each asset's top status as of `as_of` (US Eastern day) and its meters where it has causes
    or changed. With `thresholds` (the fleet's, perhaps changed since an item came), the
    upcoming-from points of items computed from intervals are derived anew. Where what subscribers
    see changed (an Upcoming item now Overdue), the status_changed push goes in the same transaction."""
    today = today_eastern(as_of)
    for item in AssetMaintenanceItem.query(org_pk(org_id), AssetMaintenanceItem.sk.startswith("MAINT#")):
        causes = stored_causes(item)
        renewed = [with_thresholds_of_fleet(c, thresholds) for c in causes] if thresholds else causes
        changed_causes = None
        if renewed != causes:
            changed_causes = {k: c.model_dump(mode="json") for k, c in zip(item.causes, renewed, strict=True)}
        meters = meters_of(item)
        statuses = ordered(renewed, today, meters)
        top, before = statuses[0].status.value if statuses else None, item.top_status
        if not causes and top == before:
            continue
        previous = ordered(causes, today_eastern(item.computed_at), meters)  # as last computed
        if _store(item, top, as_of, changed_causes, (previous, statuses)):
            result.recomputed += 1
            result.changed += top != before


def _store(item: AssetMaintenanceItem, top: str | None, as_of: datetime, causes: dict[str, Any] | None,
           statuses: tuple[list[Cause], list[Cause]]) -> bool:
    """Versioned: if a webhook changed the item meanwhile, it computed the statuses itself; keep its write.
    `statuses`: before and after; only when their set differs is the asset read and the change pushed."""
    field = AssetMaintenanceItem.top_status
    actions: list[Action] = [field.set(top) if top else field.remove(), AssetMaintenanceItem.computed_at.set(as_of)]
    if causes is not None:
        actions.append(AssetMaintenanceItem.causes.set(causes))
    previous, current = statuses
    asset = get_asset_item(item.org_id, item.asset_id) if _keys(previous) != _keys(current) else None
    if asset is None:
        return update_if(item, actions)
    before, after = state_with(asset, previous), state_with(asset, current)
    try:
        with atomic("the asset's maintenance changed meanwhile") as tx:
            tx.update(item, actions=actions)
            record_change(tx, item.org_id, item.asset_id, before=before, after=after, now=as_of,
                          cause=_first_changed(before, after))
    except Conflict:
        return False
    return True


def _keys(statuses: list[Cause]) -> set[tuple[str, str, str]]:
    return {(c.status.value, c.source, c.source_id) for c in statuses}


def _first_changed(before: AssetState, after: AssetState) -> ChangeCause | None:
    """The status whose coming or going the morning's recompute saw first (highest first)."""
    seen = {(c.status, c.source_id) for c in before.statuses}
    for status in after.statuses:
        if (status.status, status.source_id) not in seen:
            source = "repair_order" if status.source == "repair_order" else "scheduled_maintenance"
            return ChangeCause(source=source, source_id=status.source_id, detail=f"{status.label} as of the day")
    return None
