"""Outbox: add messages inside a transaction; claim, complete or release them when delivering.

Claiming is a conditional update, so a stream record delivered twice, or two processors on
the same message, send it once; a failed send releases the claim and the record is retried.
A message not sent yet sits in a due queue (gsi4), which the sweep works through (sweep.py):
the stream's retries run out (mail down for hours, a worker that died holding the lease), and
the message still goes out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from shared.db.base import condition_failed, update_if
from shared.db.due import DueQueue
from shared.db.sweep import FIRST_SWEEP_AFTER
from shared.ids import new_id, utc_now
from shared.outbox.models import OutboxItem

MSG = "MSG"
LEASE_SECONDS = 120
KEEP_SENT_SECONDS = 30 * 24 * 3600
DUE = DueQueue("OUTBOXDUE", "gsi4")  # messages not sent yet, by when the sweep looks at them


def add_email(tx: TransactWrite, *, to: str, subject: str, body: str) -> str:
    message_id, now = new_id("msg"), utc_now()
    item = OutboxItem(
        f"OUTBOX#{message_id}",
        MSG,
        message_id=message_id,
        kind="email",
        payload={"to": to, "subject": subject, "body": body},
        status="pending",
        created_at=now,
    )
    item.gsi4pk, item.gsi4sk = DUE.key(message_id, now + FIRST_SWEEP_AFTER)
    tx.save(item, condition=OutboxItem.pk.does_not_exist())
    return message_id


class AlreadyClaimed(Exception):
    """Another delivery holds the message's lease: retry later."""


def claim(pk: str) -> OutboxItem | None:
    """Take the lease on a pending message; None when it was sent already."""
    now = int(time.time())
    item = OutboxItem(pk, MSG)
    try:
        item.update(
            actions=[
                OutboxItem.status.set("sending"),
                OutboxItem.lease_until.set(now + LEASE_SECONDS),
                OutboxItem.attempts.add(1),
            ],
            condition=OutboxItem.pk.exists() & _claimable(now),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        current = OutboxItem.find(pk, MSG, consistent_read=True)
        if current is None:
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
            OutboxItem.gsi4pk.remove(),
            OutboxItem.gsi4sk.remove(),
        ],
        condition=OutboxItem.status == "sending",
    )


def release(item: OutboxItem) -> None:
    item.update(actions=[OutboxItem.status.set("pending"), OutboxItem.lease_until.remove()],
                condition=OutboxItem.status == "sending")


def _claimable(now: int) -> Condition:
    """Not sent, and nobody holds a live lease on it."""
    return OutboxItem.status.is_in("pending", "queued") | (
        (OutboxItem.status == "sending") & (OutboxItem.lease_until < now))


# -- the sweep (shared/outbox/sweep.py) ------------------------------------------------------------
def due_messages(now: datetime, limit_per_shard: int) -> Iterator[OutboxItem]:
    return DUE.due_items(OutboxItem, now, limit_per_shard)


def sweep_requeue(item: OutboxItem, next_due: datetime) -> bool:
    """Queue a message again (its MODIFY record sends it) and set when the sweep looks next; False when
    it was sent, is being sent (a live lease), or was swept since read."""
    actions: list[Any] = [OutboxItem.status.set("queued"), OutboxItem.sweeps.add(1),
                          *DUE.move(OutboxItem, next_due, item.message_id)]
    return update_if(item, actions, _claimable(int(time.time())) & (OutboxItem.gsi4sk == item.gsi4sk))
