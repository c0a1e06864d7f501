"""Which credential each route takes, for the OpenAPI: read from the dependencies it declares.

Most routes take the user's Cognito JWT (the document's default, `bearerAuth`). A dependency declared
with another scheme (shared/auth/dependencies.py: Credential) authenticates the request itself: the
portal's link and session tokens (shared/portal/view/auth.py) and Fleetrock's webhook signature
(shared/fleetrock/inbox/webhook.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.auth.dependencies import route_credential

# requirement -> the operation's `security` (an empty list: no scheme OpenAPI can express)
OPERATION_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "portal_link": [{"portalLink": []}],
    "portal_session": [{"portalSession": []}],
    "webhook_signature": [],  # X-Fleetrock-Signature: an HMAC of the body, described on the route
}


def operation_security(func: Callable[..., Any]) -> list[dict[str, list[str]]] | None:
    """The route's own `security`, or None for the document's default (the user's JWT)."""
    found = route_credential(func)
    return OPERATION_SECURITY.get(found[1].requirement) if found else None
