"""Outbox: add messages inside a transaction; claim, complete or release them when delivering.

Claiming is a conditional update, so a stream record delivered twice, or two processors on
the same message, send it once; a failed send releases the claim and the record is retried.
"""

from __future__ import annotations

import time

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.transactions import TransactWrite

from shared.db.base import condition_failed, connection
from shared.ids import new_id, utc_now
from shared.outbox.models import OutboxItem

MSG = "MSG"
LEASE_SECONDS = 120
KEEP_SENT_SECONDS = 30 * 24 * 3600


def add_email(tx: TransactWrite, *, to: str, subject: str, body: str) -> str:
    message_id = new_id("msg")
    item = OutboxItem(
        f"OUTBOX#{message_id}",
        MSG,
        message_id=message_id,
        kind="email",
        payload={"to": to, "subject": subject, "body": body},
        status="pending",
        created_at=utc_now(),
    )
    tx.save(item, condition=OutboxItem.pk.does_not_exist())
    return message_id


class AlreadyClaimed(Exception):
    """Another delivery holds the message's lease: retry later."""


def claim(pk: str) -> OutboxItem | None:
    """Take the lease on a pending message; None when it was sent already."""
    connection()
    now = int(time.time())
    item = OutboxItem(pk, MSG)
    try:
        item.update(
            actions=[
                OutboxItem.status.set("sending"),
                OutboxItem.lease_until.set(now + LEASE_SECONDS),
                OutboxItem.attempts.add(1),
            ],
            condition=(OutboxItem.pk.exists())
            & ((OutboxItem.status == "pending") | ((OutboxItem.status == "sending") & (OutboxItem.lease_until < now))),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        try:
            current = OutboxItem.get(pk, MSG, consistent_read=True)
        except DoesNotExist:
            return None
        if current.status == "sent":
            return None
        raise AlreadyClaimed(pk) from exc
    return item


def complete(item: OutboxItem) -> None:
    """Mark the message sent and drop its body: a sent email may carry a secret (an invite link)."""
    kept = {k: v for k, v in item.payload.items() if k != "body"}
    item.update(
        actions=[
            OutboxItem.status.set("sent"),
            OutboxItem.payload.set(kept),
            OutboxItem.sent_at.set(utc_now()),
            OutboxItem.lease_until.remove(),
            OutboxItem.expires_at_epoch.set(int(time.time()) + KEEP_SENT_SECONDS),
        ],
        condition=OutboxItem.status == "sending",
    )


def release(item: OutboxItem) -> None:
    item.update(actions=[OutboxItem.status.set("pending"), OutboxItem.lease_until.remove()],
                condition=OutboxItem.status == "sending")
