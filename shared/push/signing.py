"""How we sign a delivery (what subscribers verify), and the secrets we sign with.

Every delivery carries two header sets, signed over the same delivery id, timestamp and body:

- Standard Webhooks (https://www.standardwebhooks.com), verified by its official packages:
  `webhook-id: <delivery id>`, `webhook-timestamp: <unix seconds>`,
  `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, the key being the
  base64-decoded part of the secret after `whsec_`.
- Ours from before, kept so existing receivers keep working: `X-Fleetbridge-Delivery: <delivery id>`,
  `X-Fleetbridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<delivery id>.<body>")>`.
  It takes any secret string as the key.

While a rotated-out secret still overlaps (24 h), each secret signs, newest first (space-separated
`v1,` signatures; one `v1=` each): a subscriber accepts the delivery when any matches its secret.
Signing the delivery id binds the signature to it, so a body cannot be replayed under another id.

Secrets made before Standard Webhooks (`whsec_` + token_urlsafe: not standard base64) are "legacy":
they sign only `X-Fleetbridge-Signature`, and a subscription with none but legacy secrets gets no
webhook-* headers. A subscriber opts in by rotating its secret: the new one is standard, so
webhook-* is sent from then on (for 24 h the legacy one still signs X-Fleetbridge-Signature).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Fleetbridge-Signature"
DELIVERY_HEADER = "X-Fleetbridge-Delivery"
WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"
SECRET_PREFIX = "whsec_"
KEY_BYTES = 32
STANDARD_KEY_BYTES = range(24, 65)  # what the Standard Webhooks spec allows: 24 to 64 bytes


def new_secret() -> str:
    """256 random bits as a Standard Webhooks secret; the prefix makes a leaked one easy to recognize."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def standard_key(secret: str) -> bytes | None:
    """The HMAC key of a Standard Webhooks secret; None for a legacy one (it cannot sign webhook-*)."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        return None
    return key if len(key) in STANDARD_KEY_BYTES else None


def signature(secret: str, timestamp: int, delivery_id: str, body: bytes) -> str:
    """X-Fleetbridge-Signature's v1: hex HMAC keyed with the secret string as it is."""
    signed = f"{timestamp}.{delivery_id}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(signing_secrets: Sequence[str], timestamp: int, delivery_id: str, body: bytes) -> str:
    if not signing_secrets:
        raise ValueError("at least one secret signs a delivery")
    parts = [f"t={timestamp}", *(f"v1={signature(s, timestamp, delivery_id, body)}" for s in signing_secrets)]
    return ",".join(parts)


def standard_signature(key: bytes, timestamp: int, delivery_id: str, body: bytes) -> str:
    """One `v1,<base64>` of webhook-signature (the id comes first there, unlike in ours)."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def standard_headers(signing_secrets: Sequence[str], timestamp: int, delivery_id: str,
                     body: bytes) -> dict[str, str]:
    """The webhook-* headers, signed by the standard secrets only; none when every secret is legacy."""
    keys = [key for key in map(standard_key, signing_secrets) if key is not None]
    if not keys:
        return {}
    return {
        WEBHOOK_ID: delivery_id,
        WEBHOOK_TIMESTAMP: str(timestamp),
        WEBHOOK_SIGNATURE: " ".join(standard_signature(k, timestamp, delivery_id, body) for k in keys),
    }


def headers(signing_secrets: Sequence[str], timestamp: int, delivery_id: str, body: bytes) -> dict[str, str]:
    """Both header sets (module docstring); `signing_secrets` newest first."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "Fleetbridge-Push/1",
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: signature_header(signing_secrets, timestamp, delivery_id, body),
        **standard_headers(signing_secrets, timestamp, delivery_id, body),
    }
