"""An organization's dashboard notifications: list (newest first, unread only if asked), mark read."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from shared.auth.principal import Principal
from shared.connections.dal import notifications_partition
from shared.connections.models import Notification, NotificationItem
from shared.db.base import condition_failed
from shared.db.pagination import Page, query_page
from shared.errors import NotFound
from shared.ids import utc_now


def list_notifications(caller: Principal, unread_only: bool, limit: int, cursor: str | None) -> Page[Notification]:
    return query_page(NotificationItem.query, notifications_partition(caller.org_id), limit=limit, cursor=cursor,
                      convert=Notification.model_validate, scan_index_forward=False,
                      filter_condition=NotificationItem.read_at.does_not_exist() if unread_only else None)


def mark_read(caller: Principal, notification_id: str) -> Notification:
    """Mark one of the caller's organization's notifications read; marking it again keeps the first time."""
    item = NotificationItem(notifications_partition(caller.org_id), notification_id)
    try:
        item.update(actions=[NotificationItem.read_at.set(utc_now())],
                    condition=NotificationItem.pk.exists() & NotificationItem.read_at.does_not_exist())
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        found = NotificationItem.find(notifications_partition(caller.org_id), notification_id, consistent_read=True)
        if found is None:
            raise NotFound(f"notification {notification_id} not found") from None
        item = found
    return Notification.model_validate(item)
