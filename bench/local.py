"""What every bench shares: DynamoDB Local on a free port with the environment pointing at it, and percentiles."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager

from dev import dynamodb_local


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@contextmanager
def local_dynamodb(table_name: str) -> Iterator[str]:
    """Start DynamoDB Local, set the settings the code reads (before it is imported), yield its URL."""
    port = dynamodb_local.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        TABLE_NAME=table_name,
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_ENDPOINT_URL_DYNAMODB=endpoint,
        MAILER="smtp",
        MAIL_FROM="bench@fleetbridge.example",
        SECRETS_CIPHER="local",
        LOCAL_SECRET_KEY=base64.urlsafe_b64encode(b"bench-only-key-bench-only-key-32").decode(),
        ALLOW_LOOPBACK_HTTP="true",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    proc = dynamodb_local.start(port)
    try:
        yield endpoint
    finally:
        dynamodb_local.stop(proc)
