"""Route dependencies of the portal routes: the portal authenticates each request itself.

API Gateway has no authorizer on /portal (and the dev server checks no token there); these
read `Authorization: Bearer <token>` and check it. Each is declared with its Credential
(shared/auth/dependencies.py): the scheme it checks, as the role-checked dependencies declare their
Action, and its `precheck`: what can be checked before the input is (the token's signature and expiry).
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.event_handler.request import Request

from shared.auth.dependencies import Credential, declare
from shared.ids import utc_now
from shared.portal.tokens import Kind
from shared.portal.view.session import PortalCaller, authenticate, verified_claims


def bearer(request: Request) -> str | None:
    value = str(request.resolved_event.headers.get("authorization") or "").strip()  # case-insensitive
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def portal_link(request: Request) -> PortalCaller:
    """The customer user whose portal link (not yet a session) the request carries."""
    return authenticate(bearer(request), "link", utc_now())


def portal_session(request: Request) -> PortalCaller:
    """The customer user whose portal session token the request carries, link re-checked."""
    return authenticate(bearer(request), "session", utc_now())


def _signed(kind: Kind) -> Callable[[Request], None]:
    """The check of a `kind` token's signature and expiry alone (no read)."""

    def check(request: Request) -> None:
        verified_claims(bearer(request), kind, utc_now())

    return check


# the precheck runs before the input is validated (shared.auth.permissions.check_caller): no token, or a
# forged or expired one, is a 401 whatever the body; the link's state (disabled, replaced) is read by the
# route's own check
declare(portal_link, Credential("portal_link", precheck=_signed("link")))
declare(portal_session, Credential("portal_session", precheck=_signed("session")))
