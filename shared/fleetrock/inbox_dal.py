"""Data access of the webhook inbox: one item per (integration, event_id), written once."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from shared.db.base import connection, save_if, update_if
from shared.db.pagination import Page, query_page
from shared.fleetrock.models import InboxEvent, InboxItem, InboxStatus
from shared.ids import utc_now

SK = "EVENT"
RUNNABLE = (InboxStatus.PENDING.value, InboxStatus.FAILED.value, InboxStatus.QUEUED.value)


def inbox_pk(integration_id: str, event_id: str) -> str:
    return f"FLEETROCK#{integration_id}#EVENT#{event_id}"


def inbox_partition(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}#INBOX"


def to_event(item: InboxItem) -> InboxEvent:
    return InboxEvent.model_validate(item)


def put_event(item: InboxItem) -> bool:
    """Store a new event; False when this event_id is stored already (a redelivery)."""
    item.gsi1pk = inbox_partition(item.integration_id)
    item.gsi1sk = f"{item.received_at.isoformat()}#{item.event_id}"
    return save_if(item, InboxItem.pk.does_not_exist())


def get_event(integration_id: str, event_id: str) -> InboxItem | None:
    connection()
    try:
        return InboxItem.get(inbox_pk(integration_id, event_id), SK, consistent_read=True)
    except DoesNotExist:
        return None


def list_events(integration_id: str, *, limit: int, cursor: str | None) -> Page[InboxEvent]:
    connection()
    return query_page(InboxItem.query, inbox_partition(integration_id), index_name="gsi1", limit=limit,
                      cursor=cursor, convert=to_event, scan_index_forward=False)


def _update(item: InboxItem, actions: list[Any], condition: Condition) -> bool:
    return update_if(item, actions, condition)


def mark_applied(item: InboxItem) -> bool:
    """applied_count goes 0 -> 1 with the status, once: False when another run applied it first."""
    return _update(
        item,
        [InboxItem.status.set(InboxStatus.APPLIED.value), InboxItem.applied_count.add(1),
         InboxItem.applied_at.set(utc_now()), InboxItem.last_error.remove()],
        InboxItem.status.is_in(*RUNNABLE),
    )


def mark_failed(item: InboxItem, error: str) -> None:
    _update(item, [InboxItem.status.set(InboxStatus.FAILED.value), InboxItem.attempts.add(1),
                   InboxItem.last_error.set(error[:500])], InboxItem.status.is_in(*RUNNABLE))


def queue_replay(item: InboxItem) -> bool:
    """A failed (or stuck pending) event is queued again; its MODIFY record applies it."""
    return _update(item, [InboxItem.status.set(InboxStatus.QUEUED.value), InboxItem.replays.add(1)],
                   InboxItem.status.is_in(InboxStatus.FAILED.value, InboxStatus.PENDING.value))
