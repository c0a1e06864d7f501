"""Data access of notifications: one partition per organization, ORG#{org_id}#NOTIFS, that holds its
notifications (ntf_…, newest last), its unread count (UNREAD), its users' email preferences
(PREFS#{user_id}) and the episodes it was told of once (EPISODE#{key})."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.transactions import TransactWrite

from shared.db.pagination import Page, query_page
from shared.notifications.models import (
    EpisodeItem,
    Notification,
    NotificationItem,
    PreferencesItem,
    UnreadCountItem,
)

NOTIFICATION_PREFIX = "ntf_"  # new_id("ntf"): the sort keys of notifications, and only theirs
UNREAD = "UNREAD"
PREFS = "PREFS#"
EPISODE = "EPISODE#"


def partition(org_id: str) -> str:
    return f"ORG#{org_id}#NOTIFS"


def prefs_sk(user_id: str) -> str:
    return f"{PREFS}{user_id}"


def episode_sk(key: str) -> str:
    return f"{EPISODE}{key}"


def to_notification(item: NotificationItem) -> Notification:
    return Notification.model_validate(item)


def list_page(org_id: str, *, unread_only: bool, limit: int, cursor: str | None) -> Page[Notification]:
    return query_page(NotificationItem.query, partition(org_id), limit=limit, cursor=cursor, convert=to_notification,
                      range_key_condition=NotificationItem.sk.startswith(NOTIFICATION_PREFIX),
                      scan_index_forward=False,
                      filter_condition=NotificationItem.read_at.does_not_exist() if unread_only else None)


def unread_items(org_id: str, *, limit: int) -> Iterator[NotificationItem]:
    """The unread notifications, newest first (where unread ones are: the Query's filter skips fewer read
    ones), at most `limit`; consistent: marking all reads its own writes."""
    return NotificationItem.query(partition(org_id), NotificationItem.sk.startswith(NOTIFICATION_PREFIX),
                                  filter_condition=NotificationItem.read_at.does_not_exist(), consistent_read=True,
                                  scan_index_forward=False, limit=limit)


def get_item(org_id: str, notification_id: str) -> NotificationItem | None:
    return NotificationItem.find(partition(org_id), notification_id, consistent_read=True)


def unread_count(org_id: str) -> int:
    item = UnreadCountItem.find(partition(org_id), UNREAD, consistent_read=True)
    return max(0, int(item.unread or 0)) if item is not None else 0


def count_unread(tx: TransactWrite, org_id: str, by: int) -> None:
    """Add `by` (+1 a new notification, -n marked read) to the unread count in `tx` (created on first use)."""
    tx.update(UnreadCountItem(partition(org_id), UNREAD),  # `type` too: every item of the table says what it is
              actions=[UnreadCountItem.type.set(UnreadCountItem), UnreadCountItem.unread.add(by)])


def get_preferences(org_id: str, user_id: str) -> PreferencesItem | None:
    return PreferencesItem.find(partition(org_id), prefs_sk(user_id), consistent_read=True)


def all_preferences(org_id: str) -> dict[str, PreferencesItem]:
    """Every user's choices, by user id (one Query of the PREFS# range)."""
    return {p.user_id: p for p in PreferencesItem.query(partition(org_id), PreferencesItem.sk.startswith(PREFS))}


def new_episode(org_id: str, key: str, notification_id: str, until_epoch: int) -> EpisodeItem:
    return EpisodeItem(partition(org_id), episode_sk(key), org_id=org_id, key=key, notification_id=notification_id,
                       until_epoch=until_epoch, expires_at_epoch=until_epoch)
