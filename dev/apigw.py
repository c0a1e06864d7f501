"""Turn an HTTP request into the API Gateway REST proxy event our handlers receive in AWS.

Used by the local dev server and by the tests, so both invoke handlers with the same events
API Gateway would send, including the authorizer's claims.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LocalContext:
    """The parts of the Lambda context Powertools reads."""

    function_name: str = "fleetbridge-local"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:fleetbridge-local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def rest_event(
    method: str,
    path: str,
    *,
    claims: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    body: str | bytes | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway REST proxy (`/{proxy+}`) event, with `claims` where the authorizer puts them; in
    stage `local`, as behind a custom domain (the path carries no stage)."""
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    is_b64 = isinstance(body, bytes)
    body_text = base64.b64encode(body).decode() if isinstance(body, bytes) else body
    request_id = str(uuid.uuid4())
    hdrs.setdefault("x-amzn-trace-id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method.upper(),
        "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "authorizer": {"claims": dict(claims)} if claims else None,
            "domainName": "localhost",
            "httpMethod": method.upper(),
            "identity": {"sourceIp": source_ip, "userAgent": hdrs.get("user-agent", "")},
            "path": path,  # as on a custom domain: the dev server's URLs carry no stage (shared/api/docs.py)
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "resourceId": "local",
            "resourcePath": "/{proxy+}",
            "stage": "local",
        },
        "body": body_text,
        "isBase64Encoded": is_b64,
    }
