"""Durable tasks: work an item carries until it is done, whatever crashes or times out on the way.

One set of verbs for every lifecycle (outbox messages, push deliveries, Fleetrock inbox events,
unit syncs, refresh tasks), each keeping its own item, statuses and extra fields:
- `claim`: take the next attempt under a lease (attempts + 1; due again when the lease ends),
- `finish`: done, or given up for good: out of the due queue,
- `release`: give the lease back after a failed attempt (the stream retries the record),
- `retry_later`: back in the due queue at a later time (the backoff is the caller's),
- `requeue`: the sweep queues a due item again (its MODIFY stream record does the work),
- `leave`: out of the due queue, nothing changed,
- `sweep`: one pass over the due items (requeue with backoff, drop, give up).

Every verb is one conditional UpdateItem that holds only if the item is as the caller read it
(`seen`), so two workers never make the same attempt; a verb answers False when someone changed
the item first. The due queue is a sparse GSI (shared/db/due.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, cast

from pynamodb.attributes import Attribute, NumberAttribute
from pynamodb.expressions.condition import Condition

from shared.db.base import TableItem, update_if
from shared.db.due import DueQueue
from shared.observability import logger

M = TypeVar("M", bound=TableItem)
T = TypeVar("T")

FIRST_SWEEP_AFTER = timedelta(minutes=15)  # an item enters its queue due then: the stream's own retries come first
BACKOFF = tuple(timedelta(minutes=m) for m in (15, 30, 60, 120, 240, 480))  # after each of the 6 tries
SWEEP_PER_SHARD = 100  # items per minute and shard: a backlog drains over the next runs


@dataclass(frozen=True)
class Task(Generic[M]):
    """How one lifecycle's item spells a task: its model, due queue, and the attributes the verbs set."""

    model: type[M]
    queue: DueQueue
    due_key: Callable[[M], tuple[str, ...]]  # (owner id, *unique rest) of the item's place in the queue
    status: str = "status"
    attempts: str = "attempts"
    lease_until: str | None = "lease_until"  # None: the item is never leased (applied or synced at once)
    # a claimed item is due again when its lease ends (push retry and the refresh sweep look then);
    # False: it keeps its place, and the lifecycle's sweep checks the lease itself
    due_at_lease_end: bool = True

    def _attribute(self, name: str) -> Attribute[Any]:
        return cast(Attribute[Any], getattr(self.model, name))

    def _lease(self, until: datetime | None) -> list[Any]:
        """The action that sets the lease's end as the item stores it (epoch seconds, or a date-time), or
        removes it (None); none for an item that is never leased."""
        if self.lease_until is None:
            return []
        attribute = self._attribute(self.lease_until)
        if until is None:
            return [attribute.remove()]
        return [attribute.set(int(until.timestamp()) if isinstance(attribute, NumberAttribute) else until)]

    def queued_at(self, item: M, due: datetime | None) -> list[Any]:
        """Actions that put the item in the due queue at `due`, or take it out (None)."""
        return self.queue.move(self.model, due, *self.due_key(item))

    def place(self, item: M, due: datetime | None) -> None:
        """Set the item's place in the due queue before it is first written (None: not queued)."""
        owner, *rest = self.due_key(item)
        keys = self.queue.key(owner, due, *rest) if due else (None, None)
        setattr(item, f"{self.queue.index_name}pk", keys[0])
        setattr(item, f"{self.queue.index_name}sk", keys[1])

    def as_read(self, item: M) -> Condition:
        """The item is still at the place in the due queue it was read at (not done or swept since)."""
        sort_key = self._attribute(f"{self.queue.index_name}sk")
        read_at: str | None = getattr(item, f"{self.queue.index_name}sk")
        return sort_key == read_at

    def claim(self, item: M, *, to: str, seen: Condition, now: datetime, lease: timedelta,
              also: Sequence[Any] = ()) -> bool:
        """Take the next attempt: status `to`, attempts + 1, leased until now + lease (and due then)."""
        return update_if(item, [
            self._attribute(self.status).set(to),
            self._attribute(self.attempts).add(1),
            *self._lease(now + lease),
            *(self.queued_at(item, now + lease) if self.due_at_lease_end else ()),
            *also,
        ], seen)

    def release(self, item: M, *, to: str, seen: Condition, also: Sequence[Any] = ()) -> bool:
        """Give the lease back after a failed attempt: status `to`, no lease, its place in the queue kept."""
        return update_if(item, [self._attribute(self.status).set(to), *self._lease(None), *also], seen)

    def finish(self, item: M, *, to: str, seen: Condition, also: Sequence[Any] = ()) -> bool:
        """Done (or given up for good): status `to`, no lease, out of the due queue."""
        return update_if(item, [
            self._attribute(self.status).set(to),
            *self._lease(None),
            *self.queued_at(item, None),
            *also,
        ], seen)

    def retry_later(self, item: M, *, to: str, at: datetime, seen: Condition, also: Sequence[Any] = ()) -> bool:
        """Not now: status `to`, no lease, due again at `at`."""
        return update_if(item, [
            self._attribute(self.status).set(to),
            *self._lease(None),
            *self.queued_at(item, at),
            *also,
        ], seen)

    def requeue(self, item: M, *, to: str, at: datetime, seen: Condition, also: Sequence[Any] = ()) -> bool:
        """The sweep: status `to` (its MODIFY record does the work), due again at `at`, if the item is
        still as read and where it was read in the queue."""
        return update_if(item, [self._attribute(self.status).set(to), *self.queued_at(item, at), *also],
                         seen & self.as_read(item))

    def leave(self, item: M, *, seen: Condition | None = None, also: Sequence[Any] = ()) -> bool:
        """Out of the due queue as it is (its status kept, or changed by `also`), if still where read."""
        condition = self.as_read(item) if seen is None else seen & self.as_read(item)
        return update_if(item, [*self.queued_at(item, None), *also], condition)

    def due(self, now: datetime, limit_per_shard: int) -> Iterator[M]:
        """Items whose due time has come, oldest first in each shard."""
        return self.queue.due_items(self.model, now, limit_per_shard)


# -- the sweep ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sweep(Generic[T]):
    """What one pass of a lifecycle's sweep does with an item that fell due."""

    name: str  # what the log line calls it
    waiting: Callable[[T], bool]  # it still needs its work done
    tries: Callable[[T], int]  # how many times the sweep queued it already
    requeue: Callable[[T, datetime], bool]  # queue it again, next due then; False: changed since read
    drop: Callable[[T], bool]  # out of the queue: nothing left to do
    give_up: Callable[[T], bool]  # out of the queue: out of tries, left for a person
    gave_up: Callable[[T], None]  # say so (log, metric)
    backoff: Sequence[timedelta] = field(default=BACKOFF)


def sweep(lifecycle: Sweep[T], due: Iterable[T], now: datetime) -> dict[str, int]:
    """Counts by outcome; "raced": the item changed since read (done, or swept, meanwhile)."""
    counts = {"requeued": 0, "given_up": 0, "dropped": 0, "raced": 0}
    backoff = lifecycle.backoff
    for item in list(due):
        if not lifecycle.waiting(item):
            counts["dropped" if lifecycle.drop(item) else "raced"] += 1
        elif lifecycle.tries(item) >= len(backoff):
            done = lifecycle.give_up(item)
            counts["given_up" if done else "raced"] += 1
            if done:
                lifecycle.gave_up(item)
        else:
            counts["requeued" if lifecycle.requeue(item, now + backoff[lifecycle.tries(item)]) else "raced"] += 1
    if any(counts.values()):
        logger.info(lifecycle.name, extra=counts)
    return counts
