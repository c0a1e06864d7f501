"""push_retry: EventBridge Scheduler runs it every minute to attempt the deliveries that fell due.

The event's `time` (the schedule's <aws.scheduler.scheduled-time>) is the run's "now".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.coldstart import initialized
from shared.ids import utc_now
from shared.observability import logger, metrics, tracer
from shared.push.retry import retry_due
from shared.settings import get_settings

settings = get_settings()


def event_time(event: dict[str, Any]) -> datetime:
    raw = event.get("time")
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else utc_now()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"outcomes": retry_due(event_time(event))}


initialized()  # last line: the cold start is over (shared/coldstart.py)
