"""One pass of a due-queue sweep: each item that fell due is queued again with backoff, or leaves the queue.

Used by the Fleetrock inbox sweep (webhook events the stream never applied), the unit sync sweep
(syncs that failed past the stream's retries) and the outbox sweep (emails the stream never sent):
the same steps, their own data access (a DueQueue each, shared/db/due.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from shared.observability import logger

T = TypeVar("T")

FIRST_SWEEP_AFTER = timedelta(minutes=15)  # an item enters its queue due then: the stream's own retries come first
BACKOFF = tuple(timedelta(minutes=m) for m in (15, 30, 60, 120, 240, 480))  # after each of the 6 tries
SWEEP_PER_SHARD = 100  # items per minute and shard: a backlog drains over the next runs


@dataclass(frozen=True)
class Sweep(Generic[T]):
    name: str  # what the log line calls it
    waiting: Callable[[T], bool]  # it still needs its work done
    tries: Callable[[T], int]  # how many times the sweep queued it already
    requeue: Callable[[T, datetime], bool]  # queue it again, next due then; False: changed since read
    drop: Callable[[T], bool]  # out of the queue: nothing left to do
    give_up: Callable[[T], bool]  # out of the queue: out of tries, left for a person
    gave_up: Callable[[T], None]  # say so (log, metric)


def run(sweep: Sweep[T], due: Iterable[T], now: datetime, backoff: Sequence[timedelta] = BACKOFF) -> dict[str, int]:
    """Counts by outcome; "raced": the item changed since read (done, or swept, meanwhile)."""
    counts = {"requeued": 0, "given_up": 0, "dropped": 0, "raced": 0}
    for item in list(due):
        if not sweep.waiting(item):
            counts["dropped" if sweep.drop(item) else "raced"] += 1
        elif sweep.tries(item) >= len(backoff):
            done = sweep.give_up(item)
            counts["given_up" if done else "raced"] += 1
            if done:
                sweep.gave_up(item)
        else:
            counts["requeued" if sweep.requeue(item, now + backoff[sweep.tries(item)]) else "raced"] += 1
    if any(counts.values()):
        logger.info(sweep.name, extra=counts)
    return counts
