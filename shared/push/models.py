"""Push subscriptions (a fleet's dispatch systems) and the deliveries we make to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator
from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.base_models import Model, RequestBody, StoredModel
from shared.db.base import TableItem


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # waiting for its verification delivery to succeed
    ACTIVE = "active"  # receives snapshots
    PAUSED = "paused"  # by an admin, or by us after 3 days of failures


class DeliveryKind(StrEnum):
    VERIFICATION = "verification"
    SNAPSHOT = "snapshot"
    STATUS_CHANGED = "status_changed"
    TEST = "test"  # on demand (POST /subscriptions/{id}/test): one attempt, no retries


class EventType(StrEnum):
    """What a subscription asked for (verification and test deliveries go to every subscription)."""

    SNAPSHOT = "snapshot"  # the morning's full snapshot, paged
    STATUS_CHANGED = "status_changed"  # an asset's statuses or asset status changed, within seconds


ALL_EVENTS = [EventType.SNAPSHOT, EventType.STATUS_CHANGED]
LEGACY_EVENTS = [EventType.SNAPSHOT]  # a subscription made before status_changed existed, until it opts in


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
    events = UnicodeSetAttribute(null=True)  # EventType values; absent: LEGACY_EVENTS

    def wants(self, event: EventType) -> bool:
        return event.value in (self.events if self.events is not None else [e.value for e in LEGACY_EVENTS])


class AssetPushStateItem(TableItem, discriminator="asset_push_state"):
    """pk=ORG#{fleet_id}, sk=PUSHSTATE#{asset_id}: the asset's last recorded state, its sequence, and the
    change waiting to go out (the outbox of status_changed; shared/push/changes.py).

    Written in the transaction of the change (or, for the asset's own status and deletion, by the
    asset's stream record); status `pending` until the change is fanned out to the subscriptions'
    deliveries. Several changes before that are one delivery: `previous` stays what subscribers last
    got, `state` is the latest. gsi4 PUSHCHGDUE#{shard} while pending (the sweep's safety net).
    """

    fleet_id = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    sequence = NumberAttribute(default=0)  # +1 per recorded change: receivers order by it and drop stale ones
    signature = UnicodeAttribute(null=True)  # AssetState.signature() of `state` ("" when the asset is gone)
    state = JSONAttribute(null=True)  # the latest AssetState; None: the asset was deleted
    previous = JSONAttribute(null=True)  # the state subscribers last got (or had before the first change)
    cause = JSONAttribute(null=True)  # ChangeCause of the latest change
    changed_at = UTCDateTimeAttribute(null=True)
    status = UnicodeAttribute(default="published")  # pending | published
    attempts = NumberAttribute(default=0)  # sweeps of a pending change (the stream did not fan it out)
    version = VersionAttribute()


class DeliveryItem(TableItem, discriminator="push_delivery"):
    """pk=PUSHSUB#{subscription_id}, sk=DELIVERY#{delivery_id}; gsi4 PUSHDUE#{shard} / {due}#{id} while in flight."""

    delivery_id = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    page = NumberAttribute()
    pages = NumberAttribute()
    # the exact JSON body, zlib-compressed, when it is small; a larger one is in its own item (DeliveryBodyItem),
    # out of the due index's copy of this one (deliveries stored before carry theirs here, whatever its size)
    body = BinaryAttribute(legacy_encoding=False, null=True)
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


class DeliveryBodyItem(TableItem, discriminator="push_delivery_body"):
    """pk=PUSHSUB#{subscription_id}, sk=BODY#{delivery_id}: a delivery's body too large to ride in the delivery.

    Written once, with its delivery; never in an index, so the delivery's state changes (and their copies in
    the due index) do not carry a snapshot page each time (docs/capacity.md: hot keys).
    """

    delivery_id = UnicodeAttribute()
    body = BinaryAttribute(legacy_encoding=False)  # the exact JSON body, zlib-compressed
    expires_at_epoch = NumberAttribute(null=True)  # TTL: after its delivery's (a redelivery moves both)


# -- API bodies ----------------------------------------------------------------------------------
Url = Annotated[str, StringConstraints(min_length=8, max_length=2048)]


Description = Annotated[str, StringConstraints(max_length=200)]
Events = Annotated[list[EventType], Field(min_length=1, max_length=len(EventType))]


class SubscriptionCreate(RequestBody):
    url: Url = Field(description="where we POST; https (http://127.0.0.1 or localhost only in local development)")
    description: Description | None = None
    events: Events = Field(default_factory=lambda: list(ALL_EVENTS), description="what to receive (default: both)")


class SubscriptionUpdate(RequestBody):
    """Change what a subscription receives or its description (e.g. opt in to status_changed)."""

    description: Description | None = None
    events: Events | None = None


class Subscription(StoredModel):
    """A subscription as its fleet's admins see it: never its secret."""

    subscription_id: str
    fleet_id: str
    url: str
    description: str | None = None
    status: SubscriptionStatus
    events: list[EventType] = Field(description="what it receives; subscriptions older than status_changed: "
                                    "snapshot only, until updated")
    paused_reason: str | None = None
    previous_secret_expires_at: datetime | None = Field(
        default=None, description="until then the previous secret signs too (a second v1= in the header)"
    )
    created_at: datetime
    updated_at: datetime
    verified_at: datetime | None = None
    last_delivered_at: datetime | None = None
    failing_since: datetime | None = None

    @field_validator("events", mode="before")
    @classmethod
    def _legacy(cls, value: object) -> object:
        if value is None:
            return list(LEGACY_EVENTS)
        return sorted(value) if isinstance(value, set) else value


class SubscriptionWithSecret(Subscription):
    """The answer of create and rotate: the only time the secret is shown."""

    secret: str = Field(description="signs our deliveries (HMAC-SHA256); shown once: store it now")


class TestDeliveryResult(Model):
    """The outcome of a test delivery, as the subscriber answered it."""

    delivery_id: str
    delivered: bool
    status_code: int | None = Field(default=None, description="the subscriber's HTTP status; None: no answer")
    duration_ms: int = Field(description="from sending to the answer (or the failure)")
    error: str | None = None


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
