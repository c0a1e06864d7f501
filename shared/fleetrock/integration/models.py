"""A Fleetrock integration: its stored item and the API bodies of its set-up (fleetrock.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AnyHttpUrl, BeforeValidator, Field, SecretStr, StringConstraints
from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.base_models import Model, RequestBody, StoredModel, Version, VersionedUpdate
from shared.db.base import TableItem
from shared.fleetrock.remote.dates import zone


def _known_zone(name: str) -> str:
    zone(name)  # ValueError (a 422 on the field) for a name that is no IANA zone
    return name


Text = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
# a SecretStr: its repr is masked, so a debug log of the route's arguments never shows it
API_KEY_LENGTH = (8, 500)


def _api_key_length(value: object) -> object:
    """Say "characters": pydantic's own length message on a SecretStr speaks of "items"."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if isinstance(text, str) and not API_KEY_LENGTH[0] <= len(text) <= API_KEY_LENGTH[1]:
        raise ValueError(f"an API key is {API_KEY_LENGTH[0]} to {API_KEY_LENGTH[1]} characters, not {len(text)}")
    return value


ApiKey = Annotated[SecretStr, BeforeValidator(_api_key_length),
                   Field(json_schema_extra={"minLength": API_KEY_LENGTH[0], "maxLength": API_KEY_LENGTH[1]})]


class IntegrationStatus(StrEnum):
    CONFIGURED = "configured"  # credentials stored, not checked yet; webhooks answered 410
    ACTIVE = "active"
    INACTIVE = "inactive"


class IntegrationItem(TableItem, discriminator="fleetrock_integration"):
    """pk=FLEETROCK#{integration_id}, sk=INTEGRATION.

    gsi1 ORG#{org_id}#INTEGRATIONS / {integration_id} (a fleet's integrations); gsi2, only while
    active, FLEETROCK#ACTIVE / {org_id}#{integration_id} (every active integration: the daily refresh).
    Secrets are ciphertexts of shared/secrets/cipher.py, never plaintext.
    """

    integration_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    login_url = UnicodeAttribute()
    username = UnicodeAttribute()
    api_key_ciphertext = UnicodeAttribute()
    webhook_secret_ciphertext = UnicodeAttribute()
    default_group = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    activated_at = UTCDateTimeAttribute(null=True)
    secret_rotated_at = UTCDateTimeAttribute(null=True)
    time_zone = UnicodeAttribute(null=True)  # of Fleetrock's dates without a zone; None: UTC
    lookback_days = NumberAttribute(null=True)  # activation and reconcile look-back; None: the default
    # "almost due" thresholds of scheduled maintenance (Upcoming); None: the defaults (14 d, 1,000 mi, 50 h)
    almost_due_days = NumberAttribute(null=True)
    almost_due_miles = NumberAttribute(null=True)
    almost_due_engine_hours = NumberAttribute(null=True)
    # what we learned of Fleetrock as it really is (docs/fleetrock-contract.md): how its webhooks are
    # signed, and whether GetRO event=created (never seen in public code) answered
    signature_form = UnicodeAttribute(null=True)
    created_lookup = UnicodeAttribute(null=True)
    created_lookup_at = UTCDateTimeAttribute(null=True)
    # signed webhooks we could not read: a copy of the count samples_dal keeps (set without the version,
    # never part of an admin's edit)
    unrecognized_webhooks = NumberAttribute(null=True)
    last_unrecognized_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()


TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True),
                         AfterValidator(_known_zone)]
LookbackDays = Annotated[int, Field(ge=1, le=730)]
DEFAULT_LOOKBACK_DAYS = 90
AlmostDueDays = Annotated[int, Field(ge=0, le=365)]
AlmostDueMiles = Annotated[int, Field(ge=0, le=100_000)]
AlmostDueEngineHours = Annotated[int, Field(ge=0, le=10_000)]
DEFAULT_ALMOST_DUE_DAYS, DEFAULT_ALMOST_DUE_MILES, DEFAULT_ALMOST_DUE_ENGINE_HOURS = 14, 1000, 50


class IntegrationCreate(RequestBody):
    login_url: AnyHttpUrl = Field(description="your Fleetrock login URL; the API is at <login URL>/API")
    username: Text = Field(description="the owner (primary) account's username")
    api_key: ApiKey = Field(description="an API key generated without JWT; stored encrypted, never shown again")
    default_group: Text = Field(description="Fleetrock asset group new units are created in")
    time_zone: TimeZoneName = Field(default="UTC", description="the IANA time zone of Fleetrock's dates that carry "
                                    "none (public clients label them UTC)")
    lookback_days: LookbackDays = Field(default=DEFAULT_LOOKBACK_DAYS, description="how far back activation and "
                                        "the nightly reconcile look for repair orders, walked month by month")
    almost_due_days: AlmostDueDays = Field(default=DEFAULT_ALMOST_DUE_DAYS, description="a scheduled "
                                           "maintenance item is Upcoming this many days before its due date")
    almost_due_miles: AlmostDueMiles = Field(default=DEFAULT_ALMOST_DUE_MILES, description="... this many miles "
                                             "before its due odometer")
    almost_due_engine_hours: AlmostDueEngineHours = Field(default=DEFAULT_ALMOST_DUE_ENGINE_HOURS,
                                                          description="... this many engine hours before its due "
                                                          "engine hours")


class IntegrationUpdate(VersionedUpdate):
    not_null = ("login_url", "username", "api_key", "default_group")
    login_url: AnyHttpUrl | None = None
    username: Text | None = None
    api_key: ApiKey | None = None
    default_group: Text | None = None
    time_zone: TimeZoneName | None = None
    lookback_days: LookbackDays | None = None
    almost_due_days: AlmostDueDays | None = None
    almost_due_miles: AlmostDueMiles | None = None
    almost_due_engine_hours: AlmostDueEngineHours | None = None


class Integration(StoredModel):
    integration_id: str
    org_id: str
    login_url: str
    username: str
    default_group: str
    status: IntegrationStatus
    webhook_path: str = Field(description="where Fleetrock sends webhooks (prefix it with the API's URL)")
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None = None
    secret_rotated_at: datetime | None = None
    time_zone: str = "UTC"
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    almost_due_days: int = DEFAULT_ALMOST_DUE_DAYS
    almost_due_miles: int = DEFAULT_ALMOST_DUE_MILES
    almost_due_engine_hours: int = DEFAULT_ALMOST_DUE_ENGINE_HOURS
    signature_form: str | None = Field(default=None, description="how Fleetrock's last verified webhook was "
                                       "signed: <header>: <hex|base64>[ with sha256=]")
    created_lookup: str | None = Field(default=None, description="GetRO event=created (not in public code): "
                                       "answered | empty | refused, at the last activation or reconcile")
    created_lookup_at: datetime | None = None
    unrecognized_webhooks: int = Field(default=0, description="signed webhooks whose shape we did not recognise: "
                                       "kept, not applied (GET /integrations/{id}/webhook-samples shows them)")
    last_unrecognized_at: datetime | None = None
    version: Version


class IntegrationWithSecret(Integration):
    webhook_secret: str = Field(description="shown once: paste it into Fleetrock's webhook settings")


class Activation(Model):
    integration: Integration
    repair_orders_imported: int
    units_linked: int
