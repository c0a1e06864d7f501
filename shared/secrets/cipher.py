"""Secrets we hold for others (Fleetrock API keys, webhook and push secrets), encrypted at rest.

In AWS a KMS key encrypts them (the item holds only ciphertext; the encryption context binds it to
its purpose and owner, so a ciphertext copied to another item does not decrypt). Locally, AES-GCM
with the dev key from the settings file plays KMS's part. Plaintext never goes into an item, a
log line or an answer.
"""

from __future__ import annotations

import base64
import os
from functools import cache, lru_cache
from typing import Any, Protocol

from shared.settings import get_settings

_PREFIX = "v1"


class SecretCipher(Protocol):
    def encrypt(self, plaintext: str, *, purpose: str, owner: str) -> str: ...

    def decrypt(self, ciphertext: str, *, purpose: str, owner: str) -> str: ...


class LocalCipher:
    """AES-256-GCM with a key from the dev settings; purpose and owner are the associated data."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the local secret key must be 32 bytes (base64url in LOCAL_SECRET_KEY)")
        # a dev dependency: AWS uses KMS, so the Lambda package does not carry cryptography
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, purpose: str, owner: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), f"{purpose}|{owner}".encode())
        return f"{_PREFIX}:local:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, ciphertext: str, *, purpose: str, owner: str) -> str:
        raw = base64.urlsafe_b64decode(_body(ciphertext, "local"))
        return self._aead.decrypt(raw[:12], raw[12:], f"{purpose}|{owner}".encode()).decode()


class KmsCipher:
    """KMS Encrypt/Decrypt (secrets are small: well under KMS's 4 KB limit)."""

    def __init__(self, key_id: str, client: Any = None) -> None:
        import boto3

        self._key_id = key_id
        self._kms = client or boto3.client("kms")

    def encrypt(self, plaintext: str, *, purpose: str, owner: str) -> str:
        blob = self._kms.encrypt(
            KeyId=self._key_id,
            Plaintext=plaintext.encode(),
            EncryptionContext={"purpose": purpose, "owner": owner},
        )["CiphertextBlob"]
        return f"{_PREFIX}:kms:{base64.urlsafe_b64encode(blob).decode()}"

    def decrypt(self, ciphertext: str, *, purpose: str, owner: str) -> str:
        blob = base64.urlsafe_b64decode(_body(ciphertext, "kms"))
        plain: bytes = self._kms.decrypt(
            CiphertextBlob=blob, KeyId=self._key_id, EncryptionContext={"purpose": purpose, "owner": owner}
        )["Plaintext"]
        return plain.decode()


def _body(ciphertext: str, scheme: str) -> str:
    prefix = f"{_PREFIX}:{scheme}:"
    if not ciphertext.startswith(prefix):
        raise ValueError(f"not a {scheme} ciphertext of this version")
    return ciphertext[len(prefix) :]


@cache
def get_cipher() -> SecretCipher:
    """The cipher the settings name (SECRETS_CIPHER), built once per process."""
    settings = get_settings()
    if settings.secrets_cipher == "kms" and settings.kms_key_id:  # Settings refuses kms without a key
        return KmsCipher(settings.kms_key_id)
    return LocalCipher(base64.urlsafe_b64decode(settings.local_secret_key or ""))


@lru_cache(maxsize=1024)
def decrypt_once(ciphertext: str, *, purpose: str, owner: str) -> str:
    """`get_cipher().decrypt`, once per process per ciphertext: a KMS call per webhook or push would
    cost latency and money. A rotated secret has a new ciphertext, so an old one is never served."""
    return get_cipher().decrypt(ciphertext, purpose=purpose, owner=owner)

