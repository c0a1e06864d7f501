"""One logger, tracer and metrics for every entry point.

Every handler decorates its entry point in the same order: inject_lambda_context (with the
correlation id) -> log_metrics -> capture_lambda_handler(capture_response=False).
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "fleetbridge"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="Fleetbridge", service=SERVICE)
# most requests record no business metric: that is normal, not worth a warning per invocation
warnings.filterwarnings("ignore", message="No application metrics to publish")
