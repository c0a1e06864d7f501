"""Portal tokens: HMAC-SHA256-signed claims, `fbp1.<kid>.<payload>.<signature>` (base64url).

A link token opens the portal for months; a session token (what opening the link gives) is
good for an hour. Both name the customer user, its vendor and the link version, so a refreshed
or disabled link stops both at once. Tokens are never stored and never logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from shared.portal.keys import Keyring

PREFIX = "fbp1"
Kind = Literal["link", "session"]


class TokenInvalid(Exception):
    """Not one of our tokens: malformed, unknown key, bad signature, or the wrong kind."""


class TokenExpired(Exception):
    """Ours and intact, but past its expiry; `claims`: what it says (whose link it was)."""

    def __init__(self, claims: PortalClaims) -> None:
        super().__init__("expired")
        self.claims = claims


@dataclass(frozen=True)
class PortalClaims:
    kind: Kind
    org_id: str
    customer_user_id: str
    link_version: int
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, signed: str) -> bytes:
    return hmac.new(key, signed.encode(), hashlib.sha256).digest()


def sign(claims: PortalClaims, ring: Keyring) -> str:
    payload = {"k": claims.kind, "o": claims.org_id, "u": claims.customer_user_id, "v": claims.link_version,
               "e": int(claims.expires_at.timestamp())}
    signed = f"{PREFIX}.{ring.current}.{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
    return f"{signed}.{_b64(_mac(ring.keys[ring.current], signed))}"


def verify(token: str, kind: Kind, ring: Keyring, now: datetime) -> PortalClaims:
    """The claims of a valid, unexpired token of `kind`; TokenInvalid or TokenExpired otherwise."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        raise TokenInvalid("not a portal token")
    key = ring.key(parts[1])
    if key is None:
        raise TokenInvalid("signed with a key we no longer hold")
    try:
        good = hmac.compare_digest(_mac(key, ".".join(parts[:3])), _unb64(parts[3]))
        data = json.loads(_unb64(parts[2])) if good else None
        claims = PortalClaims(kind=data["k"], org_id=str(data["o"]), customer_user_id=str(data["u"]),
                              link_version=int(data["v"]), expires_at=datetime.fromtimestamp(int(data["e"]), UTC)
                              ) if isinstance(data, dict) else None
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise TokenInvalid("malformed") from None
    if claims is None:
        raise TokenInvalid("bad signature")
    if claims.kind != kind:
        raise TokenInvalid(f"a {claims.kind} token, not a {kind} token")
    if claims.expires_at <= now:
        raise TokenExpired(claims)
    return claims
