"""Audit events: written inside the transaction of the change they record; listed newest first."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pynamodb.transactions import TransactWrite

from shared.audit.models import AuditEvent, AuditItem
from shared.auth.principal import Identity
from shared.db.pagination import Page, query_page
from shared.ids import new_id, utc_now


def audit_partition(org_id: str) -> str:
    return f"ORG#{org_id}#AUDIT"


# bookkeeping fields say nothing about who changed what (and version is not final before commit)
_NOT_AUDITED = {"version", "updated_at"}


def _snapshot(state: BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    data = state.model_dump(mode="json") if isinstance(state, BaseModel) else state
    return {k: v for k, v in data.items() if k not in _NOT_AUDITED}


# Eight parameters: they are the event's own fields (who did what to which target, before and after),
# all by keyword but `tx`, so the ~17 calls read as the record they write; a wrapper object would only
# rename them.
def add_audit_event(  # noqa: PLR0913
    tx: TransactWrite,
    *,
    org_id: str,
    actor: Identity,
    action: str,
    target_type: str,
    target_id: str,
    before: BaseModel | dict[str, Any] | None = None,
    after: BaseModel | dict[str, Any] | None = None,
) -> AuditEvent:
    """Add the event to `tx`, so it is written if and only if the change is."""
    at = utc_now()
    event_id = new_id("aud")
    item = AuditItem(
        audit_partition(org_id),
        f"{at.isoformat()}#{event_id}",
        event_id=event_id,
        org_id=org_id,
        actor_id=actor.user_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        at=at,
        before=_snapshot(before),
        after=_snapshot(after),
    )
    tx.save(item, condition=AuditItem.pk.does_not_exist())
    return to_event(item)


def to_event(item: AuditItem) -> AuditEvent:
    return AuditEvent.model_validate(item)

def list_audit_events(org_id: str, *, limit: int, cursor: str | None) -> Page[AuditEvent]:
    return query_page(
        AuditItem.query,
        audit_partition(org_id),
        limit=limit,
        cursor=cursor,
        convert=to_event,
        scan_index_forward=False,
    )
