"""The secrets of an integration: encrypted with the one cipher (KMS in AWS), decrypted only to use.

Secrets are decrypted once per process per ciphertext (shared/secrets/cipher.py decrypt_once).
"""

from __future__ import annotations

import secrets

from shared.fleetrock.integration.models import IntegrationItem
from shared.fleetrock.remote.client import FleetrockClient
from shared.observability import traced_httpx
from shared.secrets.cipher import decrypt_once, get_cipher
from shared.secrets.purposes import FLEETROCK_API_KEY, FLEETROCK_WEBHOOK_SECRET

# a request's calls to Fleetrock (activation: GetToken, GetRO, GetUnits): at most 3 x 7 s, inside the
# integrations function's timeout (infra/constructs/api.py REQUEST_TIMEOUTS)
IN_REQUEST_SECONDS, IN_REQUEST_CONNECT_SECONDS = 5.0, 2.0


def new_webhook_secret() -> str:
    return "frwh_" + secrets.token_urlsafe(32)


def encrypt_api_key(api_key: str, integration_id: str) -> str:
    return get_cipher().encrypt(api_key, purpose=FLEETROCK_API_KEY, owner=integration_id)


def encrypt_webhook_secret(secret: str, integration_id: str) -> str:
    return get_cipher().encrypt(secret, purpose=FLEETROCK_WEBHOOK_SECRET, owner=integration_id)


def webhook_secret(integration_id: str, ciphertext: str) -> bytes:
    return decrypt_once(ciphertext, purpose=FLEETROCK_WEBHOOK_SECRET, owner=integration_id).encode()


def client_for(item: IntegrationItem, *, in_request: bool = False) -> FleetrockClient:
    """A client of the integration's Fleetrock account (the API key decrypted here, kept in memory only).

    `in_request`: a caller waits (set-up, activation): one attempt per call with short timeouts, so
    that even a Fleetrock that hangs answers the caller (422) within the function's timeout; stream
    work keeps the retries (a stream record can wait)."""
    api_key = decrypt_once(item.api_key_ciphertext, purpose=FLEETROCK_API_KEY, owner=item.integration_id)
    if not in_request:
        return FleetrockClient(item.login_url, item.username, api_key)
    timeout = traced_httpx().Timeout(IN_REQUEST_SECONDS, connect=IN_REQUEST_CONNECT_SECONDS)
    return FleetrockClient(item.login_url, item.username, api_key, attempts=1, timeout=timeout)
