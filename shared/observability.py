"""One logger, tracer and metrics for every entry point.

Every handler decorates its entry point in the same order: inject_lambda_context (with the
correlation id) -> log_metrics -> capture_lambda_handler(capture_response=False).
"""

from __future__ import annotations

import os
import sys
import warnings
from functools import cache
from types import ModuleType
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from wrapt import register_post_import_hook  # X-Ray's own dependency: it wraps the patched functions

SERVICE = "fleetbridge"

logger = Logger(service=SERVICE)
# X-Ray patches the AWS SDK (and PynamoDB) when the SDK's client module is first imported
# (_patch_aws_sdk below); httpx on first use (traced_httpx()). auto_patch=False: no patch_all().
tracer = Tracer(service=SERVICE, auto_patch=False)


class _Provider(AmazonCloudWatchEMFProvider):
    """Powertools' provider, which with metrics disabled (local runs, tests) keeps every metric it never
    publishes and prints them anyway each time 100 pile up (in its add_metric): forgotten at each flush."""

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)
        if is_metrics_disabled():
            self.clear_metrics()


metrics = Metrics(provider=_Provider(namespace="Fleetbridge", service=SERVICE))
# most requests record no business metric: that is normal, not worth a warning per invocation
warnings.filterwarnings("ignore", message="No application metrics to publish")


def _patch_aws_sdk(client: ModuleType) -> None:
    """X-Ray's patches of botocore (every AWS call: subsegment and trace header) and PynamoDB (its
    requests), applied as soon as botocore.client has been imported: by PynamoDB's connection
    module or boto3, with the first router or work that uses AWS, before any client can exist.
    Patching at init imported botocore.client (its waiter and docs modules: about half of what
    `import boto3` costs) into every cold start, even one whose first request sends nothing."""
    # the hook runs as the module's import ends, just before the import binds it to its package;
    # the patch reads it there (botocore.client), so bind it now, as the import is about to
    vars(sys.modules["botocore"])["client"] = client
    tracer.patch(["botocore", "pynamodb"])


register_post_import_hook(_patch_aws_sdk, "botocore.client")  # at once if it is already imported


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

