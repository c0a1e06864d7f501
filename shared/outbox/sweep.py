"""The outbox sweep: messages the stream never sent are queued again, with backoff.

The stream processor sends a message within seconds of its INSERT and retries a failing send a
few times; then the record is dead-lettered. While mail is down for longer, or a worker died
holding a message's lease, the message stays unsent in its due queue (dal.TASK); the every-minute
sweep (the maintenance_refresh function's) queues it again, status `queued`, whose MODIFY record
sends it: 15 minutes after it was written, then 15, 30, 60, 120 and 240 minutes after each try.
Still unsent 8 hours after the last try, it leaves the queue (OutboxGaveUp metric and alarm).
"""

from __future__ import annotations

from datetime import datetime

from shared.db.tasks import SWEEP_PER_SHARD, Sweep, sweep
from shared.observability import logger, metrics
from shared.outbox import dal
from shared.outbox.models import OutboxItem


def _gave_up(item: OutboxItem) -> None:
    metrics.add_metric(name="OutboxGaveUp", unit="Count", value=1)
    logger.warning("outbox message given up", extra={"message_id": item.message_id, "kind": item.kind,
                                                     "attempts": item.attempts})


OUTBOX = Sweep[OutboxItem](name="outbox sweep", waiting=lambda item: item.status != "sent",
                           tries=lambda item: int(item.sweeps or 0), requeue=dal.sweep_requeue,
                           drop=dal.leave_queue, give_up=dal.leave_queue, gave_up=_gave_up)


def sweep_outbox(now: datetime) -> dict[str, int]:
    """Queue the unsent messages that fell due; counts by outcome (raced: sent, sending or swept meanwhile)."""
    return sweep(OUTBOX, dal.due_messages(now, limit_per_shard=SWEEP_PER_SHARD), now)
