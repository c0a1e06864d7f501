"""The inbox sweep: events the stream never applied are queued again, with backoff.

The stream processor applies an event within seconds, retries a failing one, and in the end
dead-letters it: after a DynamoDB outage longer than its retries, or while Fleetrock is down for
an event that needs GetRO. Such an event stays in the inbox (pending or failed) and in its due
queue (inbox_dal.TASK); the every-minute sweep of the maintenance_refresh function queues it
again (its MODIFY record applies it, once: `applied_count`): 15 minutes after it was stored,
then 15, 30, 60, 120 and 240 minutes after each try. Still not applied 8 hours after the last
(about 16 hours in all), it leaves the queue and waits, listed by `GET /integrations/{id}/events`
with its last error, for a fleet admin's replay.
"""

from __future__ import annotations

from datetime import datetime

from shared.db.tasks import SWEEP_PER_SHARD, Sweep, sweep
from shared.fleetrock.inbox import dal as inbox_dal
from shared.fleetrock.inbox.models import InboxItem
from shared.observability import logger, metrics


def _gave_up(item: InboxItem) -> None:
    metrics.add_metric(name="FleetrockEventGaveUp", unit="Count", value=1)
    logger.warning("inbox event left for a replay", extra={
        "integration_id": item.integration_id, "event_id": item.event_id, "error": item.last_error})


INBOX = Sweep[InboxItem](name="fleetrock inbox sweep", waiting=lambda item: item.status in inbox_dal.RUNNABLE,
                         tries=lambda item: int(item.sweeps or 0), requeue=inbox_dal.sweep_requeue,
                         drop=inbox_dal.leave_queue, give_up=inbox_dal.sweep_give_up, gave_up=_gave_up)


def sweep_inbox(now: datetime) -> dict[str, int]:
    """Queue the inbox events that fell due; counts by outcome (raced: applied or swept meanwhile)."""
    return sweep(INBOX, inbox_dal.due_events(now, limit_per_shard=SWEEP_PER_SHARD), now)
