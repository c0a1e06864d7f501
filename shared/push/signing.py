"""How we sign a delivery (what subscribers verify), and the secrets we sign with.

Header: `X-Fleetbridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<delivery_id>.<body>")>`.
While a rotated-out secret still overlaps (24 h), one `v1=` per secret, newest first, as Stripe
does: a subscriber accepts the delivery when any of them matches its secret. Signing the
delivery id binds the signature to it, so a body cannot be replayed under another id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Fleetbridge-Signature"
DELIVERY_HEADER = "X-Fleetbridge-Delivery"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """256 random bits; the prefix makes a leaked one easy to recognize (secret scanners)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, delivery_id: str, body: bytes) -> str:
    signed = f"{timestamp}.{delivery_id}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(signing_secrets: Sequence[str], timestamp: int, delivery_id: str, body: bytes) -> str:
    if not signing_secrets:
        raise ValueError("at least one secret signs a delivery")
    parts = [f"t={timestamp}", *(f"v1={signature(s, timestamp, delivery_id, body)}" for s in signing_secrets)]
    return ",".join(parts)


def headers(signing_secrets: Sequence[str], timestamp: int, delivery_id: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Fleetbridge-Push/1",
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: signature_header(signing_secrets, timestamp, delivery_id, body),
    }
