"""Stream work: apply an inbox event (repair orders, scheduled maintenance) to assets' statuses.

Each repair order and maintenance item keeps Fleetrock's own time of its last state (`as_of`);
an event older than that changes nothing, so events may arrive in any order. The item, the
asset's maintenance status and (for In Shop) the asset's status change in one transaction.
A failure marks the inbox event failed and raises: the stream retries it, then dead-letters
it, and a fleet admin can replay it.
"""

from __future__ import annotations

import json
from typing import Any

from shared.fleetrock import inbox_dal, integration_dal
from shared.fleetrock.causes import InvalidEvent
from shared.fleetrock.credentials import client_for
from shared.fleetrock.maintenance import parse_time
from shared.fleetrock.maintenance_items import apply_maintenance_item
from shared.fleetrock.models import InboxItem, InboxStatus, IntegrationItem
from shared.fleetrock.repair_orders import apply_repair_order
from shared.observability import metrics

RO_EVENTS = ("repair_order.created", "repair_order.updated", "repair_order.deleted", "repair_order.imported")
SM_EVENTS = ("scheduled_maintenance.updated",)
KNOWN_EVENTS = (*RO_EVENTS, *SM_EVENTS, "test")


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
