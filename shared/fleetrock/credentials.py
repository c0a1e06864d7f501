"""The secrets of an integration: encrypted with the one cipher (KMS in AWS), decrypted only to use.

The webhook secret is decrypted once per process per ciphertext (a KMS call per webhook would
cost latency and money); a rotated secret has a new ciphertext, so the cache never serves an
old one.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from shared.fleetrock.client import FleetrockClient
from shared.fleetrock.models import IntegrationItem
from shared.secrets.cipher import get_cipher

API_KEY = "fleetrock_api_key"
WEBHOOK_SECRET = "fleetrock_webhook_secret"


def new_webhook_secret() -> str:
    return "frwh_" + secrets.token_urlsafe(32)


def encrypt_api_key(api_key: str, integration_id: str) -> str:
    return get_cipher().encrypt(api_key, purpose=API_KEY, owner=integration_id)


def encrypt_webhook_secret(secret: str, integration_id: str) -> str:
    return get_cipher().encrypt(secret, purpose=WEBHOOK_SECRET, owner=integration_id)


@lru_cache(maxsize=1024)
def webhook_secret(integration_id: str, ciphertext: str) -> bytes:
    return get_cipher().decrypt(ciphertext, purpose=WEBHOOK_SECRET, owner=integration_id).encode()


def client_for(item: IntegrationItem) -> FleetrockClient:
    """A client of the integration's Fleetrock account (the API key decrypted here, kept in memory only)."""
    api_key = get_cipher().decrypt(item.api_key_ciphertext, purpose=API_KEY, owner=item.integration_id)
    return FleetrockClient(item.login_url, item.username, api_key)
