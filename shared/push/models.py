"""Push subscriptions (a fleet's dispatch systems) and the deliveries we make to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.assets.public import AssetKind, AssetStatus
from shared.base_models import Model, RequestBody, StoredModel
from shared.db.base import TableItem


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # waiting for its verification delivery to succeed
    ACTIVE = "active"  # receives snapshots
    PAUSED = "paused"  # by an admin, or by us after 3 days of failures


class DeliveryKind(StrEnum):
    VERIFICATION = "verification"
    SNAPSHOT = "snapshot"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # stored, to be sent now (its stream record triggers the send)
    SENDING = "sending"  # an attempt holds the lease
    RETRYING = "retrying"  # an attempt failed; the next one is due at next_attempt_at
    DELIVERED = "delivered"
    FAILED = "failed"  # retries exhausted (24 h) or the subscription went away: replayable


IN_FLIGHT = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.RETRYING)


# -- stored items --------------------------------------------------------------------------------
class PushSubscriptionItem(TableItem, discriminator="push_subscription"):
    """pk=ORG#{fleet_id}, sk=PUSHSUB#{subscription_id}. Secrets are ciphertext (shared/secrets)."""

    subscription_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    url = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    paused_reason = UnicodeAttribute(null=True)  # manual | failing
    secret = UnicodeAttribute()  # ciphertext
    previous_secret = UnicodeAttribute(null=True)  # ciphertext, still signing until previous_secret_expires_at
    previous_secret_expires_at = UTCDateTimeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    verified_at = UTCDateTimeAttribute(null=True)
    last_delivered_at = UTCDateTimeAttribute(null=True)
    failing_since = UTCDateTimeAttribute(null=True)  # first failed attempt since the last success
    snapshot_hash = UnicodeAttribute(null=True)  # content of the last snapshot queued: unchanged data is not re-sent
    # (removed when a delivery of it fails for good, shared/push/attempts.py)


class DeliveryItem(TableItem, discriminator="push_delivery"):
    """pk=PUSHSUB#{subscription_id}, sk=DELIVERY#{delivery_id}; gsi4 PUSHDUE#{shard} / {due}#{id} while in flight."""

    delivery_id = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    page = NumberAttribute()
    pages = NumberAttribute()
    body = BinaryAttribute(legacy_encoding=False)  # the exact JSON body, zlib-compressed
    content_hash = UnicodeAttribute(null=True)  # a snapshot page's: the subscription's snapshot_hash it stands for
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    attempts_before_window = NumberAttribute(default=0)  # attempts made before the last redelivery
    lease_until = UTCDateTimeAttribute(null=True)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    retry_until = UTCDateTimeAttribute()  # end of the 24 h retry window (restarts on redelivery)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    last_attempt_at = UTCDateTimeAttribute(null=True)
    last_status_code = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    delivered_at = UTCDateTimeAttribute(null=True)
    failed_at = UTCDateTimeAttribute(null=True)
    redeliveries = NumberAttribute(default=0)
    expires_at_epoch = NumberAttribute(null=True)  # TTL


# -- the snapshot we push (spec: fleetrock.md, the daily refresh and push) ----------------------
class SnapshotStatus(Model):
    """One current maintenance status of an asset and what causes it."""

    status: str = Field(description="In Shop | Awaiting Service | Overdue | Upcoming")
    source: Literal["repair_order", "scheduled_maintenance"]
    source_id: str
    detail: str | None = None


class AssetSnapshot(Model):
    """One asset of a pushed snapshot, as subscribers receive it."""

    asset_id: str
    unit_number: str
    vin: str
    kind: AssetKind
    asset_status: AssetStatus
    maintenance_status: str | None = Field(default=None, description="the top status, None when all is well")
    statuses: list[SnapshotStatus] = Field(default_factory=list)


# -- API bodies ----------------------------------------------------------------------------------
Url = Annotated[str, StringConstraints(min_length=8, max_length=2048)]


class SubscriptionCreate(RequestBody):
    url: Url = Field(description="where we POST; https (http://127.0.0.1 or localhost only in local development)")
    description: Annotated[str, StringConstraints(max_length=200)] | None = None


class Subscription(StoredModel):
    """A subscription as its fleet's admins see it: never its secret."""

    subscription_id: str
    fleet_id: str
    url: str
    description: str | None = None
    status: SubscriptionStatus
    paused_reason: str | None = None
    previous_secret_expires_at: datetime | None = Field(
        default=None, description="until then the previous secret signs too (a second v1= in the header)"
    )
    created_at: datetime
    updated_at: datetime
    verified_at: datetime | None = None
    last_delivered_at: datetime | None = None
    failing_since: datetime | None = None


class SubscriptionWithSecret(Subscription):
    """The answer of create and rotate: the only time the secret is shown."""

    secret: str = Field(description="signs our deliveries (HMAC-SHA256); shown once: store it now")


class Delivery(StoredModel):
    delivery_id: str
    subscription_id: str
    kind: DeliveryKind
    page: int
    pages: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = None
    retry_until: datetime
    created_at: datetime
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    redeliveries: int = 0
