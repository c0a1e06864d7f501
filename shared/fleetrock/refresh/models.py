"""The daily maintenance refresh (fleetrock.md): one task item per active integration and day."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field
from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.base_models import Model, StoredModel
from shared.db.base import TableItem


class RefreshStatus(StrEnum):
    PENDING = "pending"  # written by the scheduled run; its INSERT record runs it
    QUEUED = "queued"  # the sweeper queued a retry; its MODIFY record runs it
    RUNNING = "running"  # an attempt holds the lease
    RETRYING = "retrying"  # an attempt failed (Fleetrock down); the next one is due at next_attempt_at
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every attempt failed: reported, tomorrow's run tries again
    SKIPPED = "skipped"  # the integration was deactivated (or deleted) before the task ran


RUNNABLE = (RefreshStatus.PENDING.value, RefreshStatus.QUEUED.value)


class RefreshTaskItem(TableItem, discriminator="maintenance_refresh_task"):
    """pk=FLEETROCK#{integration_id}#REFRESH, sk={run date, US Eastern}: put with attribute_not_exists(pk).

    While not done it sits in the due index, gsi3 `FRREFRESHDUE#{shard}` / `{due}#{integration_id}#{date}`,
    where the every-minute sweep finds retries, expired leases and tasks the stream never ran.
    Every change is conditional on the status and attempt counter it was read with.
    """

    integration_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    run_date = UnicodeAttribute()
    scheduled_at = UTCDateTimeAttribute()  # the schedule's time: a run computes as of this time at the earliest
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    result = JSONAttribute(null=True)  # a RefreshResult
    expires_at_epoch = NumberAttribute(null=True)  # TTL: tasks are kept 90 days


class RefreshResult(Model):
    """What one fleet's refresh did."""

    open_checked: int = Field(default=0, description="open repair orders of ours checked with GetRO")
    closed: int = Field(default=0, description="repair orders Fleetrock had closed (missed webhooks)")
    applied: int = Field(default=0, description="repair orders we had missed or held in an older state")
    skipped: int = Field(default=0, description="repair orders Fleetrock sent in a shape we cannot apply")
    recomputed: int = Field(default=0, description="maintenance statuses written (top status, computed at)")
    changed: int = Field(default=0, description="of those, the ones whose top status changed (by date)")
    assets: int = Field(default=0, description="assets in the pushed snapshot")
    deliveries: int = Field(default=0, description="push deliveries queued (0: nothing changed for anyone)")


class RefreshTask(StoredModel):
    """A fleet's refresh of one day, as its admins see it."""

    integration_id: str
    run_date: date
    status: RefreshStatus
    attempts: int
    scheduled_at: datetime
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    result: RefreshResult | None = None


class ScheduledRun(Model):
    """What the scheduled run did: tasks written for the day, and those that existed already."""

    run_date: date
    created: int
    existing: int
