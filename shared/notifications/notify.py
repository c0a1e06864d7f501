"""Tell an organization about something: a dashboard notification, its unread count, and its emails.

`notify` writes in the caller's transaction, beside the change it announces, so none of it is lost
nor sent for a change that did not happen: the notification, +1 on the unread count, and one outbox
message (not one per user: a transaction holds at most 100 items) that the stream fans out to the
users whose preferences want the kind's category (emails.py).

`notify_once` is for what happens in bursts without a change of ours to ride on (webhook signatures
failing, a link opened after it expired, syncs given up): its own transaction, with an episode item
under a condition, so an organization is told once per episode however often it happens.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from pynamodb.transactions import TransactWrite

from shared.db.base import atomic
from shared.errors import Conflict
from shared.ids import new_id, utc_now
from shared.notifications import dal
from shared.notifications.models import KINDS, EpisodeItem, NotificationItem
from shared.orgs.public import OrgItem
from shared.outbox.public import add_message

NOTIFICATION_EMAILS = "notification"  # the outbox message kind emails.py delivers


def notify(tx: TransactWrite, recipient: OrgItem, *, kind: str, title: str, body: str, data: dict[str, Any],
           email: bool = True) -> str:
    """Add the notification of `kind` (a key of models.KINDS) to `tx`; its id. `email`: False for a
    dashboard entry only (one of a burst another notification emailed once)."""
    category = KINDS[kind]
    notification_id = new_id("ntf")
    tx.save(
        NotificationItem(dal.partition(recipient.org_id), notification_id, notification_id=notification_id,
                         org_id=recipient.org_id, kind=kind, category=category.value, title=title, data=data,
                         created_at=utc_now()),
        condition=NotificationItem.pk.does_not_exist(),
    )
    dal.count_unread(tx, recipient.org_id, 1)
    if email:
        add_message(tx, kind=NOTIFICATION_EMAILS, payload={
            "org_id": recipient.org_id, "notification_id": notification_id, "kind": kind,
            "category": category.value, "subject": title, "body": body})
    return notification_id


def notify_once(recipient: OrgItem, *, episode: str, lasts: timedelta, kind: str, title: str, body: str,
                data: dict[str, Any]) -> bool:
    """Notify unless `recipient` was told of `episode` in the last `lasts`; True when it is told now."""
    now = int(time.time())
    try:
        with atomic("told of this episode already") as tx:
            notification_id = notify(tx, recipient, kind=kind, title=title, body=body, data=data)
            tx.save(dal.new_episode(recipient.org_id, episode, notification_id, now + int(lasts.total_seconds())),
                    condition=EpisodeItem.pk.does_not_exist() | (EpisodeItem.until_epoch <= now))
    except Conflict:
        return False
    return True
