"""An organization's notifications (list with its unread count, mark one or all read) and a user's email
preferences by category. Read state is the organization's: one user reading a notification reads it
for the whole organization, as the dashboard shows one list per organization."""

from __future__ import annotations

from shared.auth.principal import Principal
from shared.db.base import atomic
from shared.errors import Conflict, NotFound
from shared.ids import utc_now
from shared.notifications import dal
from shared.notifications.emails import wants
from shared.notifications.models import (
    Category,
    Notification,
    NotificationItem,
    NotificationPage,
    Preferences,
    PreferencesItem,
    PreferencesUpdate,
    ReadAll,
)

CHUNK = 99  # notifications marked per transaction: with the unread count, 100 items, DynamoDB's limit
MAX_READ_ALL = 1000  # per call, so an answer comes in about a second; unread_count says when more are left
ATTEMPTS = 3


def list_notifications(caller: Principal, unread_only: bool, limit: int, cursor: str | None) -> NotificationPage:
    page = dal.list_page(caller.org_id, unread_only=unread_only, limit=limit, cursor=cursor)
    return NotificationPage(items=page.items, next_cursor=page.next_cursor,
                            unread_count=dal.unread_count(caller.org_id))


def mark_read(caller: Principal, notification_id: str) -> Notification:
    """Mark one notification read, and count it off, in one transaction; again: the first time stays."""
    item = dal.get_item(caller.org_id, notification_id)
    if item is None:
        raise NotFound(f"notification {notification_id} not found")
    for _ in range(ATTEMPTS):
        if item.read_at is not None:
            return dal.to_notification(item)
        try:
            _mark(caller.org_id, [item])
        except Conflict:  # read by someone else meanwhile: answer with their time
            found = dal.get_item(caller.org_id, notification_id)
            if found is None:
                raise NotFound(f"notification {notification_id} not found") from None
            item = found
            continue
        return dal.to_notification(item)
    raise Conflict(f"notification {notification_id} kept changing; try again")


def mark_all_read(caller: Principal) -> ReadAll:
    """Mark the unread notifications read, newest first, 99 per transaction (each with its count), at most
    MAX_READ_ALL per call. A chunk that raced with another reader is read again and retried."""
    marked, failures = 0, 0
    while marked < MAX_READ_ALL:
        chunk = list(dal.unread_items(caller.org_id, limit=min(CHUNK, MAX_READ_ALL - marked)))
        if not chunk:
            break
        try:
            _mark(caller.org_id, chunk)
        except Conflict:
            failures += 1
            if failures >= ATTEMPTS:
                raise
            continue
        marked += len(chunk)
    return ReadAll(marked=marked, unread_count=dal.unread_count(caller.org_id))


def _mark(org_id: str, items: list[NotificationItem]) -> None:
    now = utc_now()
    with atomic("a notification was marked read meanwhile") as tx:
        for item in items:
            tx.update(item, actions=[NotificationItem.read_at.set(now)],
                      condition=NotificationItem.pk.exists() & NotificationItem.read_at.does_not_exist())
        dal.count_unread(tx, org_id, -len(items))
    for item in items:
        item.read_at = now


# -- email preferences ----------------------------------------------------------------------------
def _preferences(caller: Principal, item: PreferencesItem | None) -> Preferences:
    known = {c.value for c in Category}
    chosen = sorted(Category(c) for c in (item.email or {}) if c in known) if item is not None else []
    return Preferences(user_id=caller.user_id, email={c: wants(caller.role, item, c) for c in Category},
                       chosen=chosen, version=item.version if item else 0)


def get_preferences(caller: Principal) -> Preferences:
    return _preferences(caller, dal.get_preferences(caller.org_id, caller.user_id))


def put_preferences(caller: Principal, body: PreferencesUpdate) -> Preferences:
    """Replace the caller's choices; `version` is the one read (0: none saved), else 409."""
    item = dal.get_preferences(caller.org_id, caller.user_id)
    current = item.version if item is not None else 0
    if current != body.version:
        raise Conflict(f"your preferences are at version {current}, not {body.version}: reload them and try again")
    if item is None:
        item = PreferencesItem(dal.partition(caller.org_id), dal.prefs_sk(caller.user_id), org_id=caller.org_id,
                               user_id=caller.user_id)
    item.email = {k: v for k, v in body.email.model_dump().items() if v is not None}
    item.updated_at = utc_now()
    with atomic("your preferences changed meanwhile; reload them and try again") as tx:
        tx.save(item)  # versioned: a racing save of the same version loses
    return _preferences(caller, item)
