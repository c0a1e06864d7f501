"""Stream work: apply an inbox event (repair orders, scheduled maintenance) to assets' statuses.

A webhook about a repair order is a hint: applying it re-reads the order (GetRO by id) and applies
what Fleetrock says now, stamped with the time of that read (`as_of`); an older read never
overwrites a newer one, so webhooks may arrive late, twice or in any order, and their bodies'
fields are never trusted. Scheduled maintenance items, which no read call serves, are applied
from the body (maintenance_items.py). The item, the
asset's maintenance status and (for In Shop) the asset's status change in one transaction.
A failure marks the inbox event failed and raises: the stream retries it, then dead-letters
it, and a fleet admin can replay it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import datetime
from typing import Any

from shared.fleetrock.inbox import dal as inbox_dal
from shared.fleetrock.inbox import samples, sources_dal
from shared.fleetrock.inbox.causes import InvalidEvent
from shared.fleetrock.inbox.maintenance_items import apply_maintenance_item
from shared.fleetrock.inbox.models import InboxItem, InboxStatus
from shared.fleetrock.inbox.repair_orders import apply_repair_order, closed_order
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration.credentials import client_for
from shared.fleetrock.integration.models import IntegrationItem
from shared.ids import utc_now
from shared.observability import metrics

RO_EVENTS = ("repair_order.created", "repair_order.updated", "repair_order.deleted")
CARRIED_EVENTS = ("repair_order.imported", "repair_order.reconciled")  # our own reads, applied as they are
SM_EVENTS = ("scheduled_maintenance.updated",)
KNOWN_EVENTS = (*RO_EVENTS, *CARRIED_EVENTS, *SM_EVENTS, "test")
READS_KEPT = 500  # recent GetRO-by-id answers kept in a warm process (one read per order per batch)
_READS: OrderedDict[tuple[str, str], tuple[datetime, dict[str, Any] | None]] = OrderedDict()


def inbox_inserted(image: dict[str, Any]) -> None:
    """Stream work for a new inbox item: a webhook's sample (and its count when unrecognized), then applying."""
    if image.get("headers") is not None:  # a webhook (our own reads of Fleetrock have no headers)
        item = inbox_dal.get_event(str(image["integration_id"]), str(image["event_id"]))
        integration = integration_dal.get_integration_item(str(image["integration_id"]))
        if item is not None and integration is not None:
            outcome = {InboxStatus.UNRECOGNIZED.value: "unrecognized", InboxStatus.TEST.value: "test"}.get(
                item.status, "accepted")
            samples.record_sample(integration, headers=dict(item.headers or {}),
                                  body=inbox_dal.raw_bytes(item), received_at=item.received_at,
                                  outcome=outcome, event_id=item.event_id)
            if outcome == "unrecognized":
                samples.note_unrecognized(item.integration_id, item.received_at, event_id=item.event_id)
    apply_inbox_record(image)


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
    data = _stored_data(item)
    sent_at = item.sent_at or item.received_at
    if item.event_type in CARRIED_EVENTS:  # our own read of Fleetrock (activation, reconcile), made at sent_at
        if not isinstance(data, dict) or not data.get("id"):
            raise InvalidEvent("a repair order read needs data.id")
        apply_repair_order(integration, data, as_of=sent_at)
    elif item.event_type not in SM_EVENTS:  # a webhook about a repair order: a hint, Fleetrock is the truth
        ro_id = item.ro_id or (str(data["id"]) if isinstance(data, dict) and data.get("id") else None)
        if not ro_id:
            raise InvalidEvent("no repair order id in this event")
        order, read_at = current_order(integration, ro_id, item.received_at)
        apply_repair_order(integration, order, as_of=read_at)
    elif item.event_type in SM_EVENTS:
        entries = data.get("items") if isinstance(data, dict) else data
        if not isinstance(entries, list):
            raise InvalidEvent("a scheduled maintenance event needs a list of items")
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("id"):
                raise InvalidEvent("every scheduled maintenance item needs an id")
            apply_maintenance_item(integration, entry, as_of=sent_at)
    else:
        raise InvalidEvent(f"event type {item.event_type!r} is not applied")


def _stored_data(item: InboxItem) -> Any:
    """The `data` of a JSON envelope we stored; None for a form body or another shape (a hint names
    its repair order in `item.ro_id`)."""
    try:
        envelope = json.loads(inbox_dal.raw_body(item))
    except (ValueError, RecursionError):
        return None
    return envelope.get("data") if isinstance(envelope, dict) else None


def current_order(integration: IntegrationItem, ro_id: str, since: datetime) -> tuple[dict[str, Any], datetime]:
    """The repair order as Fleetrock has it now (GetRO by id), and when we asked.

    A read made after `since` (the webhook's arrival) already shows what the webhook announced, so a
    burst of webhooks for one order in a batch costs one read. An order Fleetrock no longer has is
    closed here (as Deleted) when we hold it; one we never held is a failed event (retried, shown)."""
    key = (integration.integration_id, ro_id)
    cached = _READS.get(key)
    if cached is not None and cached[0] >= since:
        _READS.move_to_end(key)
        order, read_at = cached[1], cached[0]
    else:
        read_at = utc_now()
        with client_for(integration) as client:
            order = client.get_repair_order(ro_id)
        _READS[key] = (read_at, order)
        while len(_READS) > READS_KEPT:
            _READS.popitem(last=False)
    if order is not None:
        return order, read_at
    stored = sources_dal.get_repair_order(integration.integration_id, ro_id)
    if stored is None:
        raise InvalidEvent(f"Fleetrock has no repair order {ro_id} (GetRO id={ro_id} answered none)")
    return closed_order(stored), read_at
