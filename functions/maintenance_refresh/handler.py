"""maintenance_refresh: EventBridge Scheduler runs it daily at 05:00 America/New_York, and every minute to sweep.

The daily event writes one refresh task per active integration (the stream processor runs them);
the sweep event (`detail-type` maintenance_refresh_sweep) queues the tasks whose retry fell due,
the Fleetrock webhook events the stream never applied (shared/fleetrock/inbox/sweep.py), and the
unit syncs that failed past the stream's retries (shared/fleetrock/sync/sweep.py), and the emails
the stream never sent (shared/outbox/sweep.py).
The event's `time` (the schedule's <aws.scheduler.scheduled-time>) is the run's "now".
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.coldstart import initialized
from shared.fleetrock.inbox.sweep import sweep_inbox
from shared.fleetrock.refresh.refresh import schedule_refresh, sweep
from shared.fleetrock.sync.sweep import sweep_syncs
from shared.ids import scheduled_time
from shared.observability import logger, metrics, tracer
from shared.outbox.sweep import sweep_outbox
from shared.settings import get_settings

settings = get_settings()
SWEEP = "maintenance_refresh_sweep"


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = scheduled_time(event)
    if event.get("detail-type") == SWEEP:
        return {"sweep": sweep(now), "inbox": sweep_inbox(now), "syncs": sweep_syncs(now), "outbox": sweep_outbox(now)}
    return schedule_refresh(now).model_dump(mode="json")


initialized()  # last line: the cold start is over (shared/coldstart.py)
