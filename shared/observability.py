"""One logger, tracer and metrics for every entry point.

Every handler decorates its entry point in the same order: inject_lambda_context (with the
correlation id) -> log_metrics -> capture_lambda_handler(capture_response=False).
"""

from __future__ import annotations

import os
import warnings
from functools import cache
from types import ModuleType
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "fleetbridge"

logger = Logger(service=SERVICE)
# X-Ray patches the AWS SDK (and PynamoDB) at import; httpx on first use (traced_httpx()).
tracer = Tracer(service=SERVICE, patch_modules=("botocore", "pynamodb"))
metrics = Metrics(namespace="Fleetbridge", service=SERVICE)
# most requests record no business metric: that is normal, not worth a warning per invocation
warnings.filterwarnings("ignore", message="No application metrics to publish")


@cache
def traced_httpx() -> ModuleType:
    """httpx, imported and patched for X-Ray on first use, by the code that is about to send HTTP:
    importing it costs about 10 ms, which a cold start whose request sends nothing need not pay."""
    import httpx

    tracer.patch(["httpx"])
    return httpx


REDACTED = "[redacted]"
_SECRET_HEADERS = {"authorization", "cookie", "x-api-key", "x-fleetrock-signature"}


def redacted(event: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway event without credentials (user JWTs, portal tokens, signatures) or body."""
    copy = dict(event)
    for key in ("headers", "multiValueHeaders"):
        if isinstance(copy.get(key), dict):
            copy[key] = {k: REDACTED if k.lower() in _SECRET_HEADERS else v for k, v in copy[key].items()}
    if copy.get("body"):
        copy["body"] = REDACTED
    return copy


def log_event_wanted() -> bool:
    """POWERTOOLS_LOGGER_LOG_EVENT asks for the event in the logs: entry points log `redacted()` instead."""
    return os.getenv("POWERTOOLS_LOGGER_LOG_EVENT", "false").strip().lower() in ("1", "true", "yes", "on")

