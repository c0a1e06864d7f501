"""An organization's notifications: the list with its unread count, mark one read, mark all read."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.notifications import logic
from shared.notifications.models import Notification, NotificationPage, ReadAll

router = Router()
Reader = Annotated[Principal, Depends(requires(Action.NOTIFICATION_READ))]


@router.get("/notifications", tags=["notifications"],
            summary="Your organization's notifications, newest first, with the unread count")
def list_notifications(
    caller: Reader,
    unread: Annotated[bool, Query(description="only the unread ones")] = False,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> NotificationPage:
    return logic.list_notifications(caller, unread, limit, cursor)


@router.post("/notifications/read-all", tags=["notifications"],
             summary="Mark your organization's unread notifications read (up to 1,000 per call)")
def mark_all_read(caller: Reader) -> ReadAll:
    return logic.mark_all_read(caller)


@router.post("/notifications/<notification_id>/read", tags=["notifications"], summary="Mark a notification read")
def mark_read(notification_id: Annotated[str, Path(max_length=64)], caller: Reader) -> Notification:
    return logic.mark_read(caller, notification_id)
