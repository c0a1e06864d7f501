"""Settings of every Fleetbridge process: one pydantic model, read once, failing fast.

Values come from the environment (the Lambda configuration in AWS; the dev settings file that
`make dev` writes, or the test fixtures, locally). Nothing that differs between environments
has a silent default. Each field is read from the variable of its name in upper case (or its
validation alias): a plain pydantic model, not pydantic-settings, whose import cost every cold
start about 10 ms for sources (dotenv, secrets dirs, CLI) we never use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

LOCAL_APP_BASE_URL = "http://localhost:3000"  # make dev's default: the web app does not run locally


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    table_name: str = Field(min_length=3, description="the single DynamoDB table (TABLE_NAME)")
    aws_region: str = Field(min_length=1, description="AWS_REGION, set by Lambda itself")
    dynamodb_endpoint: str | None = Field(
        default=None,
        validation_alias="AWS_ENDPOINT_URL_DYNAMODB",
        description="DynamoDB Local's URL; unset in AWS",
    )
    mailer: Literal["ses", "smtp"] = Field(description="MAILER: ses in AWS, smtp locally")
    mail_from: str = Field(min_length=3, description="MAIL_FROM: sender address of our mail")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    max_body_bytes: int = Field(default=256 * 1024, description="largest JSON body a route accepts")
    fleet_lookups_per_minute: int = Field(
        default=30, ge=1, description="FLEET_LOOKUPS_PER_MINUTE: VIN lookups a vendor organization may make per minute"
    )
    organizations_per_ip_per_hour: int = Field(
        default=10, ge=1,
        description="ORGANIZATIONS_PER_IP_PER_HOUR: sign-ups (POST /organizations) one source address may make "
                    "per hour",
    )
    fleetrock_retry_backoff_seconds: float = Field(
        default=0.2, ge=0, le=5,
        description="FLEETROCK_RETRY_BACKOFF_SECONDS: the first wait before a failed Fleetrock call is tried again "
                    "(doubled each try)",
    )
    secrets_cipher: Literal["kms", "local"] = Field(
        description="SECRETS_CIPHER: how secrets we hold are encrypted at rest: kms in AWS, local (AES-GCM) locally"
    )
    kms_key_id: str | None = Field(default=None, description="KMS_KEY_ID: the key of SECRETS_CIPHER=kms")
    local_secret_key: str | None = Field(
        default=None, repr=False, description="LOCAL_SECRET_KEY: base64url 32 bytes, the key of SECRETS_CIPHER=local"
    )
    allow_loopback_http: bool = Field(
        default=False,
        description="ALLOW_LOOPBACK_HTTP: push subscription URLs may be http://127.0.0.1 or localhost (dev, tests); "
        "in AWS (false) they must be https to a public host",
    )
    app_base_url: str = Field(
        default="",
        description="APP_BASE_URL: the web app's public URL, for links in emails (sign-up, invitations); "
        f"required in AWS, {LOCAL_APP_BASE_URL} by default locally",
    )
    user_pool_id: str | None = Field(
        default=None,
        description="USER_POOL_ID: the Cognito user pool whose accounts follow our users (the stack's in AWS; "
        "the local emulator's in make dev and tests, dev/cognito.py)",
    )
    # customer portal (portal.md): link signing keys (one of the two) and the pictures bucket
    portal_signing_secret_arn: str | None = Field(
        default=None, description="PORTAL_SIGNING_SECRET_ARN: Secrets Manager secret of the portal link keys (AWS)"
    )
    portal_signing_keys: str | None = Field(
        default=None, repr=False, description="PORTAL_SIGNING_KEYS: kid:key[,kid:key], signing key first (locally)"
    )
    pictures_bucket: str | None = Field(
        default=None, description="PICTURES_BUCKET: S3 bucket of site and service pictures (presigned URLs only)"
    )
    # the portal page's basemap (issue 21): none by default, then the page draws the bundled US states
    portal_tile_url: str | None = Field(
        default=None, pattern=r"^https://[^\s\"'<>]+$",
        description="PORTAL_TILE_URL: a Leaflet tile URL template, https (e.g. https://tile.example.com/{z}/{x}/{y}.png)",
    )
    portal_tile_attribution: str | None = Field(
        default=None, max_length=300, description="PORTAL_TILE_ATTRIBUTION: the tiles' attribution, shown on the map"
    )

    @property
    def local(self) -> bool:
        """Running against DynamoDB Local (make dev, tests), not in AWS."""
        return self.dynamodb_endpoint is not None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Settings that need each other: a process with half a configuration does not start."""
        problems = []
        if self.secrets_cipher == "kms" and not self.kms_key_id:
            problems.append("SECRETS_CIPHER=kms needs KMS_KEY_ID")
        if self.secrets_cipher == "local" and not self.local_secret_key:
            problems.append("SECRETS_CIPHER=local needs LOCAL_SECRET_KEY (make dev writes one)")
        if self.portal_signing_secret_arn and self.portal_signing_keys:
            problems.append("set PORTAL_SIGNING_SECRET_ARN (AWS) or PORTAL_SIGNING_KEYS (locally), not both")
        if not self.local:
            if not self.app_base_url.startswith("https://"):
                problems.append("APP_BASE_URL must be the web app's https URL in AWS (links in emails use it)")
            if self.allow_loopback_http:
                problems.append("ALLOW_LOOPBACK_HTTP is for DynamoDB Local only (dev, tests)")
        if problems:
            raise ValueError("; ".join(problems))
        if not self.app_base_url:
            object.__setattr__(self, "app_base_url", LOCAL_APP_BASE_URL)  # frozen model: set once, here
        return self


def from_environment(environ: Mapping[str, str]) -> Settings:
    """The settings from environment variables: TABLE_NAME for table_name, or the field's alias."""
    values = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else None
        variable = alias or name.upper()
        if variable in environ:
            values[alias or name] = environ[variable]
    return Settings.model_validate(values)


class SettingsError(RuntimeError):
    """The environment does not hold a valid configuration: the process must not start."""


@cache
def get_settings() -> Settings:
    """The settings, read from the environment once per process (cold start)."""
    try:
        return from_environment(os.environ)
    except ValidationError as exc:
        missing = ", ".join(f"{str(e['loc'][0]).upper()} ({e['msg']})" if e["loc"] else e["msg"] for e in exc.errors())
        raise SettingsError(f"invalid or missing settings: {missing}") from exc
