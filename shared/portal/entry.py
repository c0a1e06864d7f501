"""The portal handler's Lambda entry point: the usual one, minus the raw event in the logs.

A portal request carries a link or session token in its Authorization header, so Powertools'
event logging (POWERTOOLS_LOGGER_LOG_EVENT) is switched off here for good; when it is asked
for, a copy of the event without credentials is logged instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api.resolver import refuse_before_parsing
from shared.observability import logger, metrics, tracer

REDACTED = "[redacted]"
_SECRET_HEADERS = {"authorization", "cookie", "x-api-key"}


def redacted(event: dict[str, Any]) -> dict[str, Any]:
    """The event without credentials (headers) or body."""
    copy = dict(event)
    for key in ("headers", "multiValueHeaders"):
        if isinstance(copy.get(key), dict):
            copy[key] = {k: REDACTED if k.lower() in _SECRET_HEADERS else v for k, v in copy[key].items()}
    if copy.get("body"):
        copy["body"] = REDACTED
    return copy


def _log_event_wanted() -> bool:
    return os.getenv("POWERTOOLS_LOGGER_LOG_EVENT", "false").strip().lower() in ("1", "true", "yes", "on")


def portal_entry_point(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if _log_event_wanted():
            logger.info(redacted(event))
        return refuse_before_parsing(event) or app.resolve(event, context)

    return lambda_handler
