"""Tell an organization about something: a dashboard notification and an email, in the caller's transaction.

Both are written in the same transaction as the change they announce, so neither is lost nor
sent for a change that did not happen; the email goes out through the outbox and the stream.
"""

from __future__ import annotations

from typing import Any

from pynamodb.transactions import TransactWrite

from shared.connections.dal import notifications_partition
from shared.connections.models import NotificationItem
from shared.ids import new_id, utc_now
from shared.orgs.public import OrgItem
from shared.outbox.public import add_email


def notify(tx: TransactWrite, recipient: OrgItem, *, kind: str, title: str, body: str, data: dict[str, Any]) -> None:
    notification_id = new_id("ntf")
    tx.save(
        NotificationItem(
            notifications_partition(recipient.org_id),
            notification_id,
            notification_id=notification_id,
            org_id=recipient.org_id,
            kind=kind,
            title=title,
            data=data,
            created_at=utc_now(),
        ),
        condition=NotificationItem.pk.does_not_exist(),
    )
    add_email(tx, to=recipient.contact_email, subject=title, body=body)
