"""Which credential each route takes, for the OpenAPI: read from the dependencies it declares.

Most routes take the user's Cognito JWT (the document's default, `bearerAuth`). A dependency with
a `requirement` attribute authenticates the request itself: the portal's link and session tokens
(shared/portal/auth.py) and Fleetrock's webhook signature (shared/fleetrock/inbox/webhook.py).
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler.depends import Depends

# requirement -> the operation's `security` (an empty list: no scheme OpenAPI can express)
OPERATION_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "portal_link": [{"portalLink": []}],
    "portal_session": [{"portalSession": []}],
    "webhook_signature": [],  # X-Fleetrock-Signature: an HMAC of the body, described on the route
}


def route_dependencies(func: Callable[..., Any]) -> list[Callable[..., Any]]:
    """The dependencies a route declares (`Annotated[..., Depends(f)]` parameters)."""
    found = []
    for hint in typing.get_type_hints(func, include_extras=True).values():
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, Depends):
                found.append(meta.dependency)
    return found


def operation_security(func: Callable[..., Any]) -> list[dict[str, list[str]]] | None:
    """The route's own `security`, or None for the document's default (the user's JWT)."""
    for dependency in route_dependencies(func):
        requirement = getattr(dependency, "requirement", None)
        if requirement in OPERATION_SECURITY:
            return OPERATION_SECURITY[requirement]
    return None
