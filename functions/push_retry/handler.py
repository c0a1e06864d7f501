"""push_retry: EventBridge Scheduler runs it every minute to attempt the deliveries that fell due,
and to fan out the status changes the stream left pending.

The event's `time` (the schedule's <aws.scheduler.scheduled-time>) is the run's "now".
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.coldstart import initialized
from shared.ids import scheduled_time
from shared.observability import logger, metrics, tracer
from shared.push.changes import sweep as sweep_changes
from shared.push.retry import retry_due
from shared.settings import get_settings

settings = get_settings()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = scheduled_time(event)
    return {"changes": sweep_changes(now), "outcomes": retry_due(now)}


initialized()  # last line: the cold start is over (shared/coldstart.py)
