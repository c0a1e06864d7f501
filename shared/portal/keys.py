"""The portal signing keys: from Secrets Manager in AWS, from the dev settings locally.

Two keys may be valid at once (a rotation): the current one signs, every listed one verifies,
each named by a key id carried in the token. Secrets Manager holds a JSON object
{"current": "<kid>", "<kid>": "<key>", ...}; locally PORTAL_SIGNING_KEYS is "kid:key,kid:key"
with the signing key first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.settings import SettingsError, get_settings

MIN_KEY_LENGTH = 32
# how long a Lambda instance keeps the secret before reading it again (a rotation shows within this)
SECRET_MAX_AGE_SECONDS = 300


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: Mapping[str, bytes]

    def key(self, kid: str) -> bytes | None:
        return self.keys.get(kid)


def _keyring(current: str, keys: dict[str, str]) -> Keyring:
    if current not in keys:
        raise SettingsError(f"portal signing keys: the current key id {current!r} has no key")
    short = [kid for kid, key in keys.items() if len(key) < MIN_KEY_LENGTH]
    if short:
        raise SettingsError(f"portal signing keys shorter than {MIN_KEY_LENGTH} characters: {', '.join(short)}")
    return Keyring(current=current, keys={kid: key.encode() for kid, key in keys.items()})


def parse_env_keys(value: str) -> Keyring:
    """`kid:key,kid:key`, the first one signs."""
    pairs = [part.strip().partition(":") for part in value.split(",") if part.strip()]
    if not pairs or any(not sep or not kid for kid, sep, _ in pairs):
        raise SettingsError("PORTAL_SIGNING_KEYS must be kid:key[,kid:key] with the signing key first")
    return _keyring(pairs[0][0], {kid: key for kid, _, key in pairs})


def parse_secret(data: Any) -> Keyring:
    """The Secrets Manager secret: {"current": kid, kid: key, ...}."""
    if not isinstance(data, dict) or not isinstance(data.get("current"), str):
        raise SettingsError("the portal signing secret must be a JSON object with a 'current' key id")
    keys = {str(k): str(v) for k, v in data.items() if k != "current"}
    return _keyring(data["current"], keys)


def keyring() -> Keyring:
    """The keys now: the secret is cached by Powertools Parameters for SECRET_MAX_AGE_SECONDS."""
    settings = get_settings()
    if settings.portal_signing_secret_arn:
        from aws_lambda_powertools.utilities import parameters  # imports boto3: only where a key is needed

        secret = parameters.get_secret(settings.portal_signing_secret_arn, transform="json",
                                       max_age=SECRET_MAX_AGE_SECONDS)
        return parse_secret(secret)
    if settings.portal_signing_keys:
        return parse_env_keys(settings.portal_signing_keys)
    raise SettingsError("set PORTAL_SIGNING_SECRET_ARN (AWS) or PORTAL_SIGNING_KEYS (locally) to use the portal")
