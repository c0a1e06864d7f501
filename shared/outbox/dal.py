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
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.condition import And, Condition, Or
from pynamodb.transactions import TransactWrite

from shared.db.base import save_if
from shared.db.due import DueQueue
from shared.db.tasks import FIRST_SWEEP_AFTER, Task
from shared.ids import new_id, utc_now
from shared.outbox.models import OutboxItem

MSG = "MSG"
EMAIL = "email"
LEASE = timedelta(seconds=120)
KEEP_SENT_SECONDS = 30 * 24 * 3600
# messages not sent yet, by when the sweep looks at them; a claim keeps that place (the sweep
# checks the lease itself: _claimable)
TASK = Task(OutboxItem, DueQueue("OUTBOXDUE", "gsi4"), due_key=lambda item: (item.message_id,),
            due_at_lease_end=False)


def _new(message_id: str, kind: str, payload: dict[str, Any]) -> OutboxItem:
    now = utc_now()
    item = OutboxItem(f"OUTBOX#{message_id}", MSG, message_id=message_id, kind=kind, payload=payload,
                      status="pending", created_at=now)
    TASK.place(item, now + FIRST_SWEEP_AFTER)
    return item


def add_email(tx: TransactWrite, *, to: str, subject: str, body: str) -> str:
    message_id = new_id("msg")
    tx.save(_new(message_id, EMAIL, {"to": to, "subject": subject, "body": body}),
            condition=OutboxItem.pk.does_not_exist())
    return message_id


def add_message(tx: TransactWrite, *, kind: str, payload: dict[str, Any]) -> str:
    """A message of another kind than an email, in `tx`: its delivery is the sender the stream's router
    names for `kind` (shared/streams/router.py), e.g. a notification's emails, fanned out at send time."""
    message_id = new_id("msg")
    tx.save(_new(message_id, kind, payload), condition=OutboxItem.pk.does_not_exist())
    return message_id


def put_email_once(message_id: str, *, to: str, subject: str, body: str) -> bool:
    """An email under a message id its caller derives (a fan-out's retry finds it there), outside any
    transaction; False when that message exists already (queued, or sent)."""
    return save_if(_new(message_id, EMAIL, {"to": to, "subject": subject, "body": body}),
                   OutboxItem.pk.does_not_exist())


class AlreadyClaimed(Exception):
    """Another delivery holds (or took) the message's lease: retry later."""


def claim(pk: str) -> OutboxItem | None:
    """Take the lease on a pending message; None when it was sent already."""
    now = utc_now()
    item = OutboxItem(pk, MSG)
    if TASK.claim(item, to="sending", seen=OutboxItem.pk.exists() & _claimable(int(now.timestamp())), now=now,
                  lease=LEASE):
        return item
    current = OutboxItem.find(pk, MSG, consistent_read=True)
    if current is None or current.status == "sent":
        return None
    raise AlreadyClaimed(pk)


def complete(item: OutboxItem) -> None:
    """Mark the message sent and drop its body: a sent email may carry a secret (an invite link)."""
    kept = {k: v for k, v in item.payload.items() if k != "body"}
    done = TASK.finish(item, to="sent", seen=OutboxItem.status == "sending", also=[
        OutboxItem.payload.set(kept),
        OutboxItem.sent_at.set(utc_now()),
        OutboxItem.expires_at_epoch.set(int(time.time()) + KEEP_SENT_SECONDS),
    ])
    if not done:
        raise AlreadyClaimed(item.pk)


def release(item: OutboxItem) -> None:
    TASK.release(item, to="pending", seen=OutboxItem.status == "sending")


def _claimable(now: int) -> Condition:
    """Not sent, and nobody holds a live lease on it."""
    return Or(OutboxItem.status.is_in("pending", "queued"),
              And(OutboxItem.status == "sending", OutboxItem.lease_until < now))


# -- the sweep (shared/outbox/sweep.py) ------------------------------------------------------------
def due_messages(now: datetime, limit_per_shard: int) -> Iterator[OutboxItem]:
    return TASK.due(now, limit_per_shard)


def sweep_requeue(item: OutboxItem, next_due: datetime) -> bool:
    """Queue a message again (its MODIFY record sends it) and set when the sweep looks next; False when
    it was sent, is being sent (a live lease), or was swept since read."""
    return TASK.requeue(item, to="queued", at=next_due, seen=_claimable(int(time.time())),
                        also=[OutboxItem.sweeps.add(1)])


def leave_queue(item: OutboxItem) -> bool:
    """Out of the due queue (sent meanwhile, or out of sweeps), if nobody moved it since read."""
    return TASK.leave(item)
