"""Webhooks in and what they tell, as stored (the inbox, repair orders, maintenance items) and as API bodies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field
from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.base_models import Model, StoredModel
from shared.db.base import TableItem


class InboxStatus(StrEnum):
    PENDING = "pending"  # stored, the stream processor applies it
    APPLIED = "applied"
    FAILED = "failed"  # applying raised; retried by the stream, then dead-lettered; replayable
    QUEUED = "queued"  # a replay was asked for: the MODIFY record applies it again
    TEST = "test"  # Fleetrock's "Send Test Webhook": recorded, nothing to apply
    UNRECOGNIZED = "unrecognized"  # signed, but no repair order or maintenance item found in it: kept, shown
    UNKNOWN_TYPE = "unknown_type"  # (events stored before `unrecognized`) stored and reported, never applied


class InboxItem(TableItem, discriminator="fleetrock_inbox"):
    """pk=FLEETROCK#{integration_id}#EVENT#{event_id}, sk=EVENT: put with attribute_not_exists(pk).

    gsi1 FLEETROCK#{integration_id}#INBOX / {received_at}#{event_id}: the integration's events,
    newest first. `body_zlib` is the raw body as Fleetrock signed it, zlib-compressed (a 1 MB
    body must fit DynamoDB's 400 KB item); `body`, the same uncompressed, only on events stored
    before that. While an event waits to be
    applied, gsi4 FRINBOXDUE#{shard} / {due}#{integration_id}#{event_id} is when the sweep looks at
    it (shared/fleetrock/inbox/sweep.py); `sweeps` counts the times the sweep queued it again.
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
    expires_at_epoch = NumberAttribute(null=True)  # TTL: set once applied (APPLIED_KEPT); failed ones stay


class RepairOrderItem(TableItem, discriminator="fleetrock_repair_order"):
    """pk=FLEETROCK#{integration_id}#RO, sk={ro_id}; gsi1 while open: FLEETROCK#{integration_id}#OPENRO / {ro_id}.

    While it is a cause (open) of an asset we do not know yet (no active asset has its VIN):
    `waiting_cause`, which the asset gets when its VIN claim becomes active, and a WaitingVinItem
    written in the same transaction (shared/fleetrock/inbox/attach.py).

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
    # the order as Fleetrock describes it (shared/fleetrock/history/events.py: bounded, known fields only), for
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


class WebhookAccepted(Model):
    event_id: str
    status: str


class WebhookSample(Model):
    """One webhook as it arrived (shared/fleetrock/inbox/samples.py): the last 20 are kept, 30 days."""

    received_at: datetime
    outcome: str = Field(description="what the intake made of it: accepted | test | unrecognized")
    event_id: str | None = None
    content_type: str | None = None
    headers: dict[str, str] = Field(description="as received, without signature headers and credentials")
    body: str = Field(description="the raw body: its text, or base64 when `body_base64` (not UTF-8 text)")
    body_base64: bool = False
    size: int = Field(description="the body's length in bytes, as received")
    truncated: bool = Field(default=False, description="only the body's first bytes were kept")
