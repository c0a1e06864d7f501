"""Fleetrock integration: stored items and API bodies (fleetrock.md)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AnyHttpUrl, Field, SecretStr, StringConstraints
from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.base_models import Model, RequestBody, StoredModel, Version, VersionedUpdate
from shared.db.base import TableItem
from shared.fleetrock.dates import zone


def _known_zone(name: str) -> str:
    zone(name)  # ValueError (a 422 on the field) for a name that is no IANA zone
    return name


Text = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
# a SecretStr: its repr is masked, so a debug log of the route's arguments never shows it
ApiKey = Annotated[SecretStr, Field(min_length=8, max_length=500)]


class IntegrationStatus(StrEnum):
    CONFIGURED = "configured"  # credentials stored, not checked yet; webhooks answered 410
    ACTIVE = "active"
    INACTIVE = "inactive"


class MaintenanceStatus(StrEnum):
    """By priority, highest first (fleetrock.md: In Shop > Awaiting Service > Overdue > Upcoming)."""

    IN_SHOP = "in_shop"
    AWAITING_SERVICE = "awaiting_service"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"


PRIORITY = list(MaintenanceStatus)


class InboxStatus(StrEnum):
    PENDING = "pending"  # stored, the stream processor applies it
    APPLIED = "applied"
    FAILED = "failed"  # applying raised; retried by the stream, then dead-lettered; replayable
    QUEUED = "queued"  # a replay was asked for: the MODIFY record applies it again
    TEST = "test"  # Fleetrock's "Send Test Webhook": recorded, nothing to apply
    UNRECOGNIZED = "unrecognized"  # signed, but no repair order or maintenance item found in it: kept, shown
    UNKNOWN_TYPE = "unknown_type"  # (events stored before `unrecognized`) stored and reported, never applied


# -- stored items --------------------------------------------------------------------------------
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


class InboxItem(TableItem, discriminator="fleetrock_inbox"):
    """pk=FLEETROCK#{integration_id}#EVENT#{event_id}, sk=EVENT: put with attribute_not_exists(pk).

    gsi1 FLEETROCK#{integration_id}#INBOX / {received_at}#{event_id}: the integration's events,
    newest first. `body_zlib` is the raw body as Fleetrock signed it, zlib-compressed (a 1 MB
    body must fit DynamoDB's 400 KB item); `body`, the same uncompressed, only on events stored
    before that. While an event waits to be
    applied, gsi4 FRINBOXDUE#{shard} / {due}#{integration_id}#{event_id} is when the sweep looks at
    it (shared/fleetrock/inbox_sweep.py); `sweeps` counts the times the sweep queued it again.
    """

    integration_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    ro_id = UnicodeAttribute(null=True)  # the repair order a webhook names: applying re-reads it from Fleetrock
    content_type = UnicodeAttribute(null=True)
    headers = JSONAttribute(null=True)  # a webhook's, minus signatures and credentials: its sample (stream work)
    sent_at = UTCDateTimeAttribute(null=True)
    received_at = UTCDateTimeAttribute()
    body = UnicodeAttribute(null=True)
    body_zlib = BinaryAttribute(null=True, legacy_encoding=False)
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    applied_count = NumberAttribute(default=0)  # exactly once: goes 0 -> 1 with the APPLIED status
    last_error = UnicodeAttribute(null=True)
    applied_at = UTCDateTimeAttribute(null=True)
    replays = NumberAttribute(default=0)
    sweeps = NumberAttribute(default=0)


class RepairOrderItem(TableItem, discriminator="fleetrock_repair_order"):
    """pk=FLEETROCK#{integration_id}#RO, sk={ro_id}; gsi1 while open: FLEETROCK#{integration_id}#OPENRO / {ro_id}.

    While it is a cause (open) of an asset we do not know yet (no active asset has its VIN):
    `waiting_cause`, which the asset gets when its VIN claim becomes active, and a WaitingVinItem
    written in the same transaction (shared/fleetrock/attach.py).

    `as_of` is Fleetrock's own time of this state (date_updated, else the event's sent_at): an
    older event never overwrites it.
    """

    integration_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    ro_id = UnicodeAttribute()
    vin = UnicodeAttribute(null=True)
    unit_number = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    as_of = UTCDateTimeAttribute()
    asset_id = UnicodeAttribute(null=True)  # the asset matched by VIN, when there is one
    waiting_cause = JSONAttribute(null=True)
    # the order as Fleetrock describes it (shared/fleetrock/history.py: bounded, known fields only), for
    # the asset's events (GET /assets/{id}/events: gsi3 ORG#{org_id}#ROVIN#{vin} / {date_created}#{ro_id});
    # all nullable: orders stored before carry none of them
    group = UnicodeAttribute(null=True)
    unit_type = UnicodeAttribute(null=True)
    custom_asset_id = UnicodeAttribute(null=True)
    vendor_name = UnicodeAttribute(null=True)
    customer_name = UnicodeAttribute(null=True)
    priority_code = UnicodeAttribute(null=True)
    odometer_miles = NumberAttribute(null=True)
    engine_hours = NumberAttribute(null=True)
    date_created = UTCDateTimeAttribute(null=True)
    date_started = UTCDateTimeAttribute(null=True)
    date_expected_finish = UTCDateTimeAttribute(null=True)
    date_finished = UTCDateTimeAttribute(null=True)
    date_invoiced = UTCDateTimeAttribute(null=True)
    date_invoice_paid = UTCDateTimeAttribute(null=True)
    tasks = JSONAttribute(null=True)  # list of RepairTask dumps
    notes = JSONAttribute(null=True)  # list of RepairNote dumps
    tasks_omitted = NumberAttribute(null=True)  # tasks past the caps, left out
    notes_omitted = NumberAttribute(null=True)
    version = VersionAttribute()


class ScheduledMaintenanceItem(TableItem, discriminator="fleetrock_maintenance"):
    """pk=FLEETROCK#{integration_id}#SM, sk={maintenance_id}: one scheduled maintenance item's last state.

    Waiting for an asset with its VIN as a repair order does: `waiting_cause` and a WaitingVinItem.
    """

    integration_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    maintenance_id = UnicodeAttribute()
    vin = UnicodeAttribute(null=True)
    state = UnicodeAttribute()  # our almost_due | overdue | ok, or Fleetrock's Scheduled | Repair Order | Deleted
    as_of = UTCDateTimeAttribute()
    asset_id = UnicodeAttribute(null=True)
    waiting_cause = JSONAttribute(null=True)
    # Fleetrock's shape (intervals): newest wins by (last_service_date, as_of)
    last_service_date = UnicodeAttribute(null=True)  # ISO date
    baseline = JSONAttribute(null=True)  # a one-time item's first-seen last service: what it counts from
    ro_number = UnicodeAttribute(null=True)  # in status Repair Order: the order it counts through
    version = VersionAttribute()


class WaitingVinItem(TableItem, discriminator="fleetrock_waiting"):
    """pk=FLEETROCK#{integration_id}#WAITING#{vin}, sk=RO#{ro_id} | SM#{maintenance_id}: that repair order or
    maintenance item waits for an asset with this VIN. Written and deleted in the transactions that
    change the item; a key of the table, not of an index, so that the VIN claim's side reads it
    consistently: an asset and an event for its VIN that arrive at once cannot miss each other."""

    integration_id = UnicodeAttribute()
    vin = UnicodeAttribute()


class AssetMaintenanceItem(TableItem, discriminator="asset_maintenance"):
    """pk=ORG#{org_id}, sk=MAINT#{asset_id}: an asset's maintenance statuses and what caused each.

    `causes` maps `RO#{id}` / `SM#{id}` to the cause (a StoredCause as JSON); statuses and the top
    status are computed from it and the meters (maintenance.py). `set_in_shop`: we set the asset's status to
    in_shop, so we set it back when no In Shop cause is left.
    """

    org_id = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    causes = JSONAttribute(default=dict)
    top_status = UnicodeAttribute(null=True)
    computed_at = UTCDateTimeAttribute()
    set_in_shop = BooleanAttribute(default=False)
    # the asset's latest meters, from its repair orders (newest reading wins): interval items use them
    odometer_miles = NumberAttribute(null=True)
    engine_hours = NumberAttribute(null=True)
    meters_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()


class UnitSyncItem(TableItem, discriminator="fleetrock_sync"):
    """pk=ORG#{org_id}, sk=FRSYNC#{asset_id}: the asset's unit in Fleetrock and what we last sent.

    `synced_version` is the asset version Fleetrock has seen: stream records of older versions
    are skipped (in order, never twice). Before an AddUnit we look the VIN up in Fleetrock, so a
    unit whose AddUnit answer was lost is found, not created twice. While a failed sync waits for
    its next try, gsi4 FRSYNCDUE#{shard} / {due}#{org_id}#{asset_id} is when the every-minute sweep
    queues it again (shared/fleetrock/sync_sweep.py); `sweeps` counts those tries.
    """

    org_id = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    integration_id = UnicodeAttribute()
    unit_id = UnicodeAttribute(null=True)  # Fleetrock's id of the unit
    synced_version = NumberAttribute(default=0)
    synced = JSONAttribute(null=True)  # the unit fields last sent
    state = UnicodeAttribute(default="synced")  # synced | failed | retry
    attempts = NumberAttribute(default=0)
    sweeps = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


# -- API bodies ----------------------------------------------------------------------------------
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


class InboxEvent(StoredModel):
    event_id: str
    event_type: str
    ro_id: str | None = None
    status: InboxStatus
    sent_at: datetime | None = None
    received_at: datetime
    attempts: int = 0
    applied_count: int = Field(default=0, description="times applied: 0 or 1")
    applied_at: datetime | None = None
    last_error: str | None = None
    replays: int = 0


class UnitSync(StoredModel):
    """An asset's unit in Fleetrock: `failed` ones can be retried."""

    asset_id: str
    state: str = Field(description="synced | failed | retry")
    unit_id: str | None = None
    synced_version: int = 0
    attempts: int = 0
    last_error: str | None = None
    updated_at: datetime


class StoredCause(Model):
    """A cause as an asset's maintenance item keeps it. A scheduled maintenance item with due points
    (intervals, shared/fleetrock/intervals.py) is kept while nothing is due yet too (`status` None),
    so that today's date and the asset's meters alone re-evaluate it (maintenance.effective)."""

    status: MaintenanceStatus | None = None
    source: str = Field(description="repair_order | scheduled_maintenance")
    source_id: str
    detail: str = Field(description="the repair order's status, or the maintenance item's service")
    unit_number: str | None = None
    due_date: date | None = None
    due_miles: float | None = Field(default=None, description="odometer reading the item is due at")
    due_engine_hours: float | None = Field(default=None, description="engine hours the item is due at")
    upcoming_from_date: date | None = Field(default=None, description="Upcoming from this day (the fleet's "
                                            "almost-due days before the due date)")
    upcoming_from_miles: float | None = None
    upcoming_from_engine_hours: float | None = None
    since: datetime

    @property
    def by_interval(self) -> bool:
        """Computed from intervals (its upcoming-from points say when): re-evaluated by date and meters."""
        return any(p is not None for p in (self.upcoming_from_date, self.upcoming_from_miles,
                                           self.upcoming_from_engine_hours))


class Cause(StoredCause):
    """Why an asset has a maintenance status: the repair order or maintenance item behind it."""

    status: MaintenanceStatus


class Meters(Model):
    """An asset's odometer and engine hours as a repair order read them (`at`: that reading's time)."""

    odometer_miles: float | None = None
    engine_hours: float | None = None
    at: datetime


class DispatchAsset(Model):
    asset_id: str
    unit_number: str
    vin: str
    kind: str
    asset_status: str
    maintenance_status: MaintenanceStatus | None
    statuses: list[Cause]
    computed_at: datetime | None = None
    odometer_miles: float | None = Field(default=None, description="the latest odometer a repair order read")
    engine_hours: float | None = Field(default=None, description="the latest engine hours a repair order read")
    meters_at: datetime | None = None


class DispatchCheck(RequestBody):
    truck_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    trailer_id: Annotated[str, StringConstraints(max_length=64)] | None = None


class DispatchWarning(Model):
    asset_id: str
    kind: str
    unit_number: str
    status: MaintenanceStatus
    message: str
    cause: Cause


class DispatchCheckResult(Model):
    blocked: bool = Field(default=False, description="always false: assigning is warned about, never blocked")
    warnings: list[DispatchWarning]
    assets: list[DispatchAsset]


class WebhookAccepted(Model):
    event_id: str
    status: str


class WebhookSample(Model):
    """One webhook as it arrived (shared/fleetrock/samples.py): the last 20 are kept, 30 days."""

    received_at: datetime
    outcome: str = Field(description="what the intake made of it: accepted | test | unrecognized")
    event_id: str | None = None
    content_type: str | None = None
    headers: dict[str, str] = Field(description="as received, without signature headers and credentials")
    body: str = Field(description="the raw body: its text, or base64 when `body_base64` (not UTF-8 text)")
    body_base64: bool = False
    size: int = Field(description="the body's length in bytes, as received")
    truncated: bool = Field(default=False, description="only the body's first bytes were kept")


JsonObject = dict[str, Any]
