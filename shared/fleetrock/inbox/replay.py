"""An integration's webhook events for its admins: the list, and a failed event queued again (replay)."""

from __future__ import annotations

from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.errors import NotFound
from shared.fleetrock.inbox import dal as inbox_dal
from shared.fleetrock.inbox.models import InboxEvent, InboxStatus
from shared.fleetrock.integration.access import owned


def list_events(caller: Principal, integration_id: str, limit: int, cursor: str | None) -> Page[InboxEvent]:
    owned(caller, integration_id)
    return inbox_dal.list_events(integration_id, limit=limit, cursor=cursor)


def replay(caller: Principal, integration_id: str, event_id: str) -> tuple[InboxEvent, bool]:
    """Queue a failed event again (its MODIFY record applies it); an applied one is left alone.

    Idempotent: applying twice is prevented by the event's status, and state by Fleetrock's timestamps.
    """
    owned(caller, integration_id)
    item = inbox_dal.get_event(integration_id, event_id)
    if item is None:
        raise NotFound(f"event {event_id} not found")
    if item.status in (InboxStatus.FAILED.value, InboxStatus.PENDING.value) and inbox_dal.queue_replay(item):
        return inbox_dal.to_event(inbox_dal.get_event(integration_id, event_id) or item), True
    return inbox_dal.to_event(item), False
