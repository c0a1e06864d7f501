"""Data access of the webhook inbox: one item per (integration, event_id), written once."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.condition import Condition

from shared.db.base import save_if, update_if
from shared.db.due import DueQueue
from shared.db.pagination import Page, query_page
from shared.db.tasks import FIRST_SWEEP_AFTER, Task
from shared.fleetrock.inbox.models import InboxEvent, InboxItem, InboxStatus
from shared.fleetrock.integration.models import IntegrationItem
from shared.ids import utc_now

SK = "EVENT"
APPLIED_KEPT = timedelta(days=30)  # an applied webhook's dedupe record and sample; the storage grew ~240 GB/month
RUNNABLE = (InboxStatus.PENDING.value, InboxStatus.FAILED.value, InboxStatus.QUEUED.value)
# events not applied yet, by when the sweep looks at them; 16 shards: 500 webhooks/s at peak put and
# take each one, whole, in this index (docs/capacity.md)
TASK = Task(InboxItem, DueQueue("FRINBOXDUE", "gsi4", shards=16),
            due_key=lambda item: (item.integration_id, item.event_id), lease_until=None)
# The stream applies an event within seconds, and gives up on it (dead-letters it) within
# minutes; an event still not applied this long after it was stored is the sweep's.


def inbox_pk(integration_id: str, event_id: str) -> str:
    return f"FLEETROCK#{integration_id}#EVENT#{event_id}"


def inbox_partition(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}#INBOX"


def to_event(item: InboxItem) -> InboxEvent:
    return InboxEvent.model_validate(item)


STORED_BODY_BYTES = 350_000  # compressed; with the other attributes, under DynamoDB's 400 KB item


def pack(body: str | bytes) -> bytes:
    return zlib.compress(body.encode() if isinstance(body, str) else body)


def raw_bytes(item: InboxItem) -> bytes:
    """The body's bytes as Fleetrock signed them (compressed since; plain text on events stored before)."""
    return item.body.encode() if item.body is not None else zlib.decompress(item.body_zlib or b"")


def raw_body(item: InboxItem) -> str:
    """The body as text (a byte that is not UTF-8 shows as U+FFFD)."""
    return raw_bytes(item).decode("utf-8", errors="replace")


def put_event(item: InboxItem) -> bool:
    """Store a new event; False when this event_id is stored already (a redelivery). An event to
    apply goes into the due queue too, in the same write: if the stream never applies it, the
    sweep will."""
    item.gsi1pk = inbox_partition(item.integration_id)
    item.gsi1sk = f"{item.received_at.isoformat()}#{item.event_id}"
    if item.status == InboxStatus.PENDING.value:
        TASK.place(item, item.received_at + FIRST_SWEEP_AFTER)
    return save_if(item, InboxItem.pk.does_not_exist())


def get_event(integration_id: str, event_id: str) -> InboxItem | None:
    return InboxItem.find(inbox_pk(integration_id, event_id), SK, consistent_read=True)


def list_events(integration_id: str, *, limit: int, cursor: str | None) -> Page[InboxEvent]:
    return query_page(InboxItem.query, inbox_partition(integration_id), index_name="gsi1", limit=limit,
                      cursor=cursor, convert=to_event, scan_index_forward=False)


def _update(item: InboxItem, actions: list[Any], condition: Condition) -> bool:
    return update_if(item, actions, condition)


def mark_applied(item: InboxItem) -> bool:
    """applied_count goes 0 -> 1 with the status, once: False when another run applied it first. An applied
    event expires after APPLIED_KEPT (TTL): its redelivery after that is applied again, harmlessly (newest
    wins by the order's own dates); failed and unrecognized events stay until replayed or looked at."""
    now = utc_now()
    return TASK.finish(item, to=InboxStatus.APPLIED.value, seen=InboxItem.status.is_in(*RUNNABLE), also=[
        InboxItem.applied_count.add(1), InboxItem.applied_at.set(now), InboxItem.last_error.remove(),
        InboxItem.expires_at_epoch.set(int((now + APPLIED_KEPT).timestamp()))])


def mark_failed(item: InboxItem, error: str) -> None:
    _update(item, [InboxItem.status.set(InboxStatus.FAILED.value), InboxItem.attempts.add(1),
                   InboxItem.last_error.set(error[:500])], InboxItem.status.is_in(*RUNNABLE))


def queue_replay(item: InboxItem) -> bool:
    """A failed (or stuck pending) event is queued again; its MODIFY record applies it."""
    return _update(item, [InboxItem.status.set(InboxStatus.QUEUED.value), InboxItem.replays.add(1)],
                   InboxItem.status.is_in(InboxStatus.FAILED.value, InboxStatus.PENDING.value))


def due_events(now: datetime, limit_per_shard: int) -> Iterator[InboxItem]:
    return TASK.due(now, limit_per_shard)


def sweep_requeue(item: InboxItem, next_due: datetime) -> bool:
    """The sweep queues an event again (its MODIFY record applies it) and sets when it looks next;
    False when it changed since read."""
    return TASK.requeue(item, to=InboxStatus.QUEUED.value, at=next_due, seen=InboxItem.status.is_in(*RUNNABLE),
                        also=[InboxItem.sweeps.add(1), InboxItem.replays.add(1)])


def sweep_give_up(item: InboxItem) -> bool:
    """Out of sweeps: the event leaves the due queue, as it is (failed or pending), for a replay."""
    return TASK.leave(item, seen=InboxItem.status.is_in(*RUNNABLE))


def leave_queue(item: InboxItem) -> bool:
    """Out of the due queue (applied meanwhile), if nobody moved it since read."""
    return TASK.leave(item)


def put_failed_read(integration: IntegrationItem, order: dict[str, Any], read_at: datetime, error: str) -> bool:
    """A repair order the reconcile read but could not apply (a date it cannot read...): kept as a failed
    event, shown with the others and replayable, never skipped in silence (once per order and day)."""
    ro_id = str(order.get("id"))[:100]
    event_id = f"reconcile-{ro_id}-{read_at.date().isoformat()}"
    body = json.dumps({"event": "repair_order.reconciled", "event_id": event_id, "sent_at": read_at.isoformat(),
                       "data": order}, separators=(",", ":"), default=str)
    item = InboxItem(inbox_pk(integration.integration_id, event_id), SK, integration_id=integration.integration_id,
                     org_id=integration.org_id, event_id=event_id, event_type="repair_order.reconciled", ro_id=ro_id,
                     sent_at=read_at, received_at=utc_now(), body_zlib=pack(body), status=InboxStatus.FAILED.value,
                     attempts=1, last_error=error[:500])
    item.gsi1pk = inbox_partition(item.integration_id)
    item.gsi1sk = f"{item.received_at.isoformat()}#{item.event_id}"
    return save_if(item, InboxItem.pk.does_not_exist())
