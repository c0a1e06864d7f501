"""Local stand-in for the Cognito user pool: mint and verify the JWTs the dev server accepts.

Tokens carry the claim names Cognito would (`sub`, `email`, `custom:org_id`, `custom:role`), so
handlers read them unchanged. They are HS256-signed with DEV_JWT_SECRET from the dev settings:
good for a laptop, never for anything reachable from outside.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from dev.settings import dev_jwt_secret

ISSUER = "fleetbridge-local"
AUDIENCE = "fleetbridge"
ALGORITHM = "HS256"
DEFAULT_TTL = timedelta(hours=12)
# the claims API Gateway's Cognito authorizer renders as dates ("Sun Dec 17 07:28:12 UTC 2017")
_DATE_CLAIMS = ("exp", "iat")


class TokenError(Exception):
    """The token must be refused; the message says why, for a 401 a person can act on."""


@dataclass(frozen=True)
class Issue:
    """Who issues a token, when, for how long: by default ours, now, for DEFAULT_TTL (tests change one
    to get a token that must be refused)."""

    ttl: timedelta = DEFAULT_TTL
    now: float | None = None  # epoch seconds; None: the clock
    issuer: str = ISSUER


def mint(
    sub: str,
    *,
    org_id: str | None = None,
    role: str | None = None,
    email: str | None = None,
    secret: str | None = None,
    issue: Issue = Issue(),
) -> str:
    """A signed token for `sub`; without org_id/role it is a user who has not joined an org yet."""
    issued = int(time.time() if issue.now is None else issue.now)
    claims: dict[str, Any] = {
        "sub": sub,
        "iss": issue.issuer,
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + int(issue.ttl.total_seconds()),
        "token_use": "id",
    }
    if email:  # as Cognito's, after a confirmed sign-up
        claims["email"], claims["email_verified"] = email, True
    if org_id:
        claims["custom:org_id"] = org_id
    if role:
        claims["custom:role"] = str(role)
    return jwt.encode(claims, secret or dev_jwt_secret(), algorithm=ALGORITHM)


def verify(token: str | None, *, secret: str | None = None) -> dict[str, Any]:
    """The token's claims, or TokenError saying what is wrong with it."""
    if not token:
        raise TokenError("missing token: send `Authorization: Bearer <token>`")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret or dev_jwt_secret(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.InvalidTokenError as exc:
        raise TokenError(_refusal(exc)) from None
    if not str(claims["sub"]):
        raise TokenError("token has an empty 'sub' claim")
    return claims


# why PyJWT refused a token, in words a person can act on; the first that matches
_REFUSALS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.InvalidSignatureError, "bad token signature (signed with another key?)"),
    (jwt.InvalidIssuerError, f"wrong token issuer: expected {ISSUER!r}"),
    (jwt.InvalidAudienceError, f"wrong token audience: expected {AUDIENCE!r}"),
    (jwt.InvalidAlgorithmError, f"token not signed with {ALGORITHM}"),
    (jwt.ImmatureSignatureError, "token not valid yet (issued in the future)"),
)


def _refusal(exc: jwt.InvalidTokenError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"token lacks the {exc.claim!r} claim"
    for kind, reason in _REFUSALS:
        if isinstance(exc, kind):
            return reason
    return f"malformed token: {exc}"


def authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer hands them to a REST proxy integration: strings."""
    out: dict[str, str] = {}
    for name, value in claims.items():
        if name in _DATE_CLAIMS and isinstance(value, int | float):
            out[name] = datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[name] = ",".join(str(v) for v in value)
        else:
            out[name] = str(value)
    return out
