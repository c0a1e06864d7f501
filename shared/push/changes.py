"""status_changed: an asset's change is recorded with the change, then fanned out to the subscriptions.

`record_change` adds the asset's push state (its sequence, latest state, and the state subscribers
last got) to the caller's transaction when what subscribers see changed: the asset status, the top
status, or the set of statuses (AssetState.signature). Its stream record fans it out: one
`status_changed` delivery per active subscription that asked for it, stored in one transaction with
the state marked published (conditional on its version: a newer change meanwhile is fanned out by
its own record, carrying the latest state). So changes close together become one delivery, and
every delivery then has the retries, failure list and redelivery of any other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from shared.db.base import atomic
from shared.db.tasks import FIRST_SWEEP_AFTER
from shared.errors import Conflict
from shared.ids import new_id, utc_now
from shared.maintenance.public import AssetState
from shared.observability import logger, metrics
from shared.push.attempts import QUEUED_GRACE, RETRY_FOR
from shared.push.dal import changes as dal
from shared.push.dal import deliveries as deliveries_dal
from shared.push.dal import subscriptions as subs_dal
from shared.push.dal.deliveries import DeliveryContent
from shared.push.events import ChangeCause, StatusChangedEvent, body
from shared.push.models import AssetPushStateItem, DeliveryKind, EventType


def _dump(state: AssetState | None) -> dict[str, Any] | None:
    return state.model_dump(mode="json") if state is not None else None


def record_change(tx: TransactWrite, fleet_id: str, asset_id: str, *, before: AssetState | None,
                  after: AssetState | None, cause: ChangeCause | None, now: datetime | None = None) -> bool:
    """Add the change to `tx` if subscribers would see one; False when nothing they see changed.

    `before` is the state before this change: it is `previous` only for an asset's first recorded
    change (later ones know what subscribers last got). `after` None: the asset is gone. Versioned:
    a concurrent change of the asset fails the transaction (the caller's race handling retries it).
    """
    item = dal.get_item(fleet_id, asset_id)
    signature = after.signature() if after is not None else ""
    if item is None:
        if signature == (before.signature() if before is not None else ""):
            return False
        item = dal.new_item(fleet_id, asset_id)
        item.previous = _dump(before)
    elif item.signature == signature:
        return False
    elif item.status != dal.PENDING:
        item.previous = item.state  # subscribers have the recorded state; a pending one keeps what they last got
    now = now or utc_now()
    item.sequence = int(item.sequence or 0) + 1
    item.signature, item.state, item.changed_at = signature, _dump(after), now
    item.cause = cause.model_dump(mode="json") if cause is not None else None
    item.status, item.attempts = dal.PENDING, 0
    dal.TASK.place(item, now + FIRST_SWEEP_AFTER)
    tx.save(item)
    return True


def _signature(state: dict[str, Any] | None) -> str:
    return AssetState.model_validate(state).signature() if state else ""


def fan_out_record(image: dict[str, Any]) -> None:
    """Stream work on a push state's INSERT/MODIFY: fan a pending change out (a published one: nothing)."""
    if image.get("status") != dal.PENDING:
        return
    item = dal.get_item(str(image["fleet_id"]), str(image["asset_id"]))
    if item is not None and item.status == dal.PENDING:
        fan_out(item)


def event_of(item: AssetPushStateItem) -> StatusChangedEvent:
    return StatusChangedEvent(
        fleet_id=item.fleet_id, asset_id=item.asset_id, sequence=int(item.sequence), occurred_at=item.changed_at,
        cause=ChangeCause.model_validate(item.cause) if item.cause else None,
        previous=AssetState.model_validate(item.previous) if item.previous else None,
        current=AssetState.model_validate(item.state) if item.state else None)


def fan_out(item: AssetPushStateItem, now: datetime | None = None) -> int:
    """Store the change's deliveries and mark it published, in one transaction; how many were stored
    (0 also when a newer change came meanwhile: its own record sends the latest state; and when the asset
    changed back to what subscribers last got before anything went out: nothing to tell them)."""
    now = now or utc_now()
    back_where_it_was = _signature(item.previous) == item.signature  # changed and changed back before the fan-out
    subscriptions = [] if back_where_it_was else [
        s for s in subs_dal.active_items(item.fleet_id) if s.wants(EventType.STATUS_CHANGED)]
    content = DeliveryContent(DeliveryKind.STATUS_CHANGED, body(event_of(item)))
    deliveries = [deliveries_dal.new_item(delivery_id=new_id("dlv"), subscription_id=s.subscription_id,
                                          fleet_id=item.fleet_id, content=content, now=now, retry_for=RETRY_FOR,
                                          queued_grace=QUEUED_GRACE) for s in subscriptions]
    item.status = dal.PUBLISHED
    dal.TASK.place(item, None)
    try:
        with atomic("the asset changed again meanwhile") as tx:
            for delivery in deliveries:
                deliveries_dal.add(tx, delivery)
            tx.save(item)  # versioned: as read
    except Conflict:
        logger.info("a newer change of the asset came first: it carries the latest state",
                    extra={"asset_id": item.asset_id, "sequence": int(item.sequence)})
        return 0
    metrics.add_metric(name="PushChangesFannedOut", unit="Count", value=1)
    return len(deliveries)


def sweep(now: datetime, limit_per_shard: int = 25) -> dict[str, int]:
    """push_retry's safety net: fan out changes the stream left pending (it failed past its retries)."""
    counts = {"fanned_out": 0, "raced": 0}
    for item in list(dal.due_items(now, limit_per_shard)):
        if item.status != dal.PENDING:
            counts["raced"] += not dal.DUE.leave(item)
            continue
        fan_out(item, now)
        counts["fanned_out"] += 1
    if any(counts.values()):
        logger.info("push change sweep", extra=counts)
    return {k: v for k, v in counts.items() if v}
