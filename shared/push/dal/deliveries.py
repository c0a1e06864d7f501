"""Data access of deliveries: pk=PUSHSUB#{subscription_id}, sk=DELIVERY#{delivery_id}.

A delivery in flight (queued, sending, retrying) sits in the sparse due index, gsi4
`PUSHDUE#{shard}` / `{due time}#{delivery_id}`, where `due` is when push_retry must look at it:
the next attempt of a retrying one, the end of the lease of a sending one, and a grace period
after a queued one was stored (its stream record normally sends it long before). Every state
change is conditional on the state it was read in (status, attempt counter, due key), so two
workers never make the same attempt.

A body over INLINE_BODY_BYTES (compressed: a snapshot page) is its own item, `PUSHSUB#{subscription_id}` /
`BODY#{delivery_id}`, written with the delivery and read by each attempt: the delivery's every state change,
and its copy in the due index, then cost about 1 write unit instead of the page's size each time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.condition import And, Condition
from pynamodb.transactions import TransactWrite

from shared.db.base import update_if
from shared.db.due import DueQueue
from shared.db.pagination import Page, query_page
from shared.db.tasks import Task
from shared.push.models import Delivery, DeliveryBodyItem, DeliveryItem, DeliveryKind, DeliveryStatus

SK_PREFIX = "DELIVERY#"
BODY_PREFIX = "BODY#"
# a compressed body up to this size rides in the delivery (verification, test, status_changed: the item stays
# under 1 KB); a larger one (a snapshot page, 4-8 KB) is its own item, out of the due index
INLINE_BODY_BYTES = 300
# a body item outlives its delivery by this much (the delivery's TTL moves when it finishes late)
BODY_KEPT_AFTER = timedelta(days=7)
# deliveries waiting for their next attempt, or for their lease to run out; 32 shards: at 05:00 every
# fleet's snapshot pages go through it, 4 would each take ~1,500 write units a second (docs/capacity.md)
DUE = DueQueue("PUSHDUE", "gsi4", shards=32)
TASK = Task(DeliveryItem, DUE, due_key=lambda item: (item.delivery_id,))
KEEP_DONE = timedelta(days=30)  # delivered and failed deliveries stay listable (and replayable) this long


def delivery_pk(subscription_id: str) -> str:
    return f"PUSHSUB#{subscription_id}"


def delivery_sk(delivery_id: str) -> str:
    return f"{SK_PREFIX}{delivery_id}"


def to_delivery(item: DeliveryItem) -> Delivery:
    return Delivery.model_validate(item)


def body_sk(delivery_id: str) -> str:
    return f"{BODY_PREFIX}{delivery_id}"


def body_of(item: DeliveryItem) -> bytes | None:
    """The delivery's body: in the item, or its own item (None: that one is gone)."""
    if item.body is not None:  # small, or stored before bodies had their own item
        return zlib.decompress(item.body)
    stored = DeliveryBodyItem.find(delivery_pk(item.subscription_id), body_sk(item.delivery_id), consistent_read=True)
    return zlib.decompress(stored.body) if stored is not None else None


@dataclass(frozen=True)
class DeliveryContent:
    """What a delivery sends: its body, page `page` of `pages`, and a snapshot's content hash."""

    kind: DeliveryKind
    body: bytes
    page: int = 1
    pages: int = 1
    content_hash: str | None = None


@dataclass(frozen=True)
class NewDelivery:
    """A delivery to store, with its body's own item when the body is too large to ride in it."""

    item: DeliveryItem
    body: DeliveryBodyItem | None

    @property
    def size(self) -> int:
        """About the bytes it writes (a transaction holds at most 4 MB)."""
        stored = self.body.body if self.body is not None else self.item.body
        return len(stored or b"") + 1024


def new_item(*, delivery_id: str, subscription_id: str, fleet_id: str, content: DeliveryContent, now: datetime,
             retry_for: timedelta, queued_grace: timedelta) -> NewDelivery:
    compressed = zlib.compress(content.body)
    inline = len(compressed) <= INLINE_BODY_BYTES
    expires = int((now + retry_for + KEEP_DONE).timestamp())
    item = DeliveryItem(
        delivery_pk(subscription_id), delivery_sk(delivery_id), delivery_id=delivery_id,
        subscription_id=subscription_id, fleet_id=fleet_id, kind=content.kind.value, page=content.page,
        pages=content.pages, body=compressed if inline else None, status=DeliveryStatus.QUEUED.value, attempts=0,
        retry_until=now + retry_for, created_at=now, updated_at=now, redeliveries=0, content_hash=content.content_hash,
        expires_at_epoch=expires,
    )
    TASK.place(item, now + queued_grace)
    body = None if inline else DeliveryBodyItem(
        delivery_pk(subscription_id), body_sk(delivery_id), delivery_id=delivery_id, body=compressed,
        expires_at_epoch=expires + int(BODY_KEPT_AFTER.total_seconds()))
    return NewDelivery(item, body)


def add(tx: TransactWrite, new: NewDelivery) -> None:
    """Store a new delivery (and its body's item) in `tx`: its INSERT record sends it."""
    if new.body is not None:
        tx.save(new.body, condition=DeliveryBodyItem.pk.does_not_exist())
    tx.save(new.item, condition=DeliveryItem.pk.does_not_exist())


def get_item(subscription_id: str, delivery_id: str) -> DeliveryItem | None:
    return DeliveryItem.find(delivery_pk(subscription_id), delivery_sk(delivery_id), consistent_read=True)


def list_page(subscription_id: str, *, limit: int, cursor: str | None) -> Page[Delivery]:
    return query_page(DeliveryItem.query, delivery_pk(subscription_id),
                      range_key_condition=DeliveryItem.sk.startswith(SK_PREFIX), scan_index_forward=False,
                      limit=limit, cursor=cursor, convert=to_delivery)


def due_items(now: datetime, limit_per_shard: int) -> Iterator[DeliveryItem]:
    """In-flight deliveries whose due time has come, oldest first in each shard."""
    return TASK.due(now, limit_per_shard)


def claim(item: DeliveryItem, *, seen_status: str, seen_attempts: int, seen_due: str | None, now: datetime,
          lease: timedelta) -> bool:
    """Take the next attempt: status sending, attempt counter +1, the lease end as due time.

    Conditional on the state the caller saw: a stream record delivered twice, or push_retry and the
    stream racing, make one attempt between them.
    """
    condition = (DeliveryItem.status == seen_status) & (DeliveryItem.attempts == seen_attempts)
    if seen_due is not None:
        condition &= DeliveryItem.gsi4sk == seen_due
    return TASK.claim(item, to=DeliveryStatus.SENDING.value, seen=condition, now=now, lease=lease, also=[
        DeliveryItem.last_attempt_at.set(now),
        DeliveryItem.next_attempt_at.remove(),
        DeliveryItem.updated_at.set(now),
    ])


def _attempt_is_ours(attempt: int) -> Condition:
    return And(DeliveryItem.status == DeliveryStatus.SENDING.value, DeliveryItem.attempts == attempt)


def mark_delivered(item: DeliveryItem, attempt: int, *, status_code: int, now: datetime) -> bool:
    return TASK.finish(item, to=DeliveryStatus.DELIVERED.value, seen=_attempt_is_ours(attempt), also=[
        DeliveryItem.delivered_at.set(now),
        DeliveryItem.last_status_code.set(status_code),
        DeliveryItem.last_error.remove(),
        DeliveryItem.updated_at.set(now),
        DeliveryItem.expires_at_epoch.set(int((now + KEEP_DONE).timestamp())),
    ])


def mark_retrying(item: DeliveryItem, attempt: int, *, status_code: int | None, error: str, now: datetime,
                  next_attempt_at: datetime) -> bool:
    return TASK.retry_later(item, to=DeliveryStatus.RETRYING.value, at=next_attempt_at,
                            seen=_attempt_is_ours(attempt), also=[
        DeliveryItem.next_attempt_at.set(next_attempt_at),
        *_outcome(status_code, error),
        DeliveryItem.updated_at.set(now),
    ])


def mark_failed(item: DeliveryItem, attempt: int, *, status_code: int | None, error: str, now: datetime) -> bool:
    """Give up: failed, and replayable with redeliver."""
    return TASK.finish(item, to=DeliveryStatus.FAILED.value, seen=_attempt_is_ours(attempt), also=[
        DeliveryItem.failed_at.set(now),
        *_outcome(status_code, error),
        DeliveryItem.next_attempt_at.remove(),
        DeliveryItem.updated_at.set(now),
        DeliveryItem.expires_at_epoch.set(int((now + KEEP_DONE).timestamp())),
    ])


def _outcome(status_code: int | None, error: str) -> list[Any]:
    code = DeliveryItem.last_status_code.set(status_code) if status_code is not None \
        else DeliveryItem.last_status_code.remove()
    return [code, DeliveryItem.last_error.set(error[:500])]


def requeue(item: DeliveryItem, *, now: datetime, retry_for: timedelta, queued_grace: timedelta) -> bool:
    """Redeliver a finished delivery: queued again (same id and body), with a new 24 h window. Its body's
    item is kept as long as the delivery is; False when it is gone (expired) or the delivery changed."""
    expires = int((now + retry_for + KEEP_DONE).timestamp())
    if item.body is None and not update_if(
            DeliveryBodyItem(delivery_pk(item.subscription_id), body_sk(item.delivery_id)),
            [DeliveryBodyItem.expires_at_epoch.set(expires + int(BODY_KEPT_AFTER.total_seconds()))],
            DeliveryBodyItem.pk.exists()):
        return False
    return TASK.retry_later(item, to=DeliveryStatus.QUEUED.value, at=now + queued_grace, seen=(
        DeliveryItem.status == item.status) & (DeliveryItem.attempts == item.attempts), also=[
        DeliveryItem.retry_until.set(now + retry_for),
        DeliveryItem.redeliveries.add(1),
        DeliveryItem.attempts_before_window.set(item.attempts or 0),  # its backoff starts over
        DeliveryItem.delivered_at.remove(),
        DeliveryItem.failed_at.remove(),
        DeliveryItem.updated_at.set(now),
        DeliveryItem.expires_at_epoch.set(expires),
    ])
