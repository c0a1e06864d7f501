"""GET /audit: an organization's audit trail, newest first."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.audit.dal import list_audit_events
from shared.audit.models import AuditEvent
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page

router = Router()


@router.get("/audit", tags=["audit"], summary="List the caller's organization's audit events, newest first")
def list_audit(
    caller: Annotated[Principal, Depends(requires(Action.AUDIT_READ))],
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Page[AuditEvent]:
    return list_audit_events(caller.org_id, limit=limit, cursor=cursor)
