"""CORS: the web app (the origin of APP_BASE_URL) calls the API from the browser.

One allowed origin, the app's. Every API response to a request from that origin carries
`Access-Control-Allow-Origin` (errors too, and those refused before parsing), so the app can
read our error bodies; any other origin gets no CORS header, so a browser page elsewhere cannot
read our answers. Preflight requests (OPTIONS) reach the handlers without a token (API Gateway's
OPTIONS methods have no authorizer; the dev server checks none) and Powertools answers them from
the same configuration: 204 with the allowed methods and headers, no route runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import CORSConfig

# headers the app may send beyond Powertools' own list (Authorization, Content-Type, ...)
ALLOWED_HEADERS = ["Idempotency-Key"]
# headers of our answers the app may read
EXPOSED_HEADERS = ["Retry-After", "Idempotent-Replayed"]
MAX_AGE_SECONDS = 600  # how long a browser may reuse a preflight answer


def app_origin(app_base_url: str) -> str:
    """`https://app.example.com` of `https://app.example.com/some/path`."""
    parts = urlsplit(app_base_url)
    return f"{parts.scheme}://{parts.netloc}"


def cors_config(app_base_url: str) -> CORSConfig:
    return CORSConfig(allow_origin=app_origin(app_base_url), allow_headers=ALLOWED_HEADERS,
                      expose_headers=EXPOSED_HEADERS, max_age=MAX_AGE_SECONDS)


def add_cors_headers(config: CORSConfig, event: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """The CORS headers of a response built without Powertools (refused before parsing); and for
    every response that has them, `Vary: Origin`, since the answer differs by origin. Powertools'
    responses carry their headers in `multiValueHeaders`, ours in `headers`."""
    multi = response.get("multiValueHeaders")
    present = "Access-Control-Allow-Origin" in (response.get("headers") or {}) or bool(
        multi and multi.get("Access-Control-Allow-Origin"))
    extra: dict[str, str] = {}
    if not present:
        request_headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        extra = config.to_dict(request_headers.get("origin"))  # {} unless it is the allowed origin
    if present or extra:
        extra["Vary"] = "Origin"
    if multi is not None:
        multi.update({key: [value] for key, value in extra.items()})
    elif extra:
        response["headers"] = {**(response.get("headers") or {}), **extra}
    return response
