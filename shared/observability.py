"""One logger, tracer and metrics for every entry point.

Every handler decorates its entry point in the same order: inject_lambda_context (with the
correlation id) -> log_metrics -> capture_lambda_handler(capture_response=False).
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "fleetbridge"

logger = Logger(service=SERVICE)
# X-Ray patches the AWS SDK (and PynamoDB) at import; httpx only in the modules that send HTTP
# (trace_httpx()): patching everything would import httpx into every handler (~15 ms of cold start).
tracer = Tracer(service=SERVICE, patch_modules=("botocore", "pynamodb"))
metrics = Metrics(namespace="Fleetbridge", service=SERVICE)
# most requests record no business metric: that is normal, not worth a warning per invocation
warnings.filterwarnings("ignore", message="No application metrics to publish")


def trace_httpx() -> None:
    """Called by a module that sends HTTP with httpx, so its requests show in X-Ray as well."""
    tracer.patch(["httpx"])
