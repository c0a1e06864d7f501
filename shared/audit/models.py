"""Audit events: who changed what, when, with the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.base_models import StoredModel
from shared.db.base import TableItem


class AuditItem(TableItem, discriminator="audit"):
    """pk=ORG#{org_id}#AUDIT, sk={at ISO}#{event_id}: an org's events sort by time."""

    event_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    action = UnicodeAttribute()
    target_type = UnicodeAttribute()
    target_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)


class AuditEvent(StoredModel):
    event_id: str
    org_id: str
    actor_id: str
    action: str
    target_type: str
    target_id: str
    at: datetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
