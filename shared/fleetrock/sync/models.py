"""Unit sync: an asset's unit in Fleetrock as stored, and its API body."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.base_models import StoredModel
from shared.db.base import TableItem


class UnitSyncItem(TableItem, discriminator="fleetrock_sync"):
    """pk=ORG#{org_id}, sk=FRSYNC#{asset_id}: the asset's unit in Fleetrock and what we last sent.

    `synced_version` is the asset version Fleetrock has seen: stream records of older versions
    are skipped (in order, never twice). Before an AddUnit we look the VIN up in Fleetrock, so a
    unit whose AddUnit answer was lost is found, not created twice. While a failed sync waits for
    its next try, gsi4 FRSYNCDUE#{shard} / {due}#{org_id}#{asset_id} is when the every-minute sweep
    queues it again (shared/fleetrock/sync/sweep.py); `sweeps` counts those tries.
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


class UnitSync(StoredModel):
    """An asset's unit in Fleetrock: `failed` ones can be retried."""

    asset_id: str
    state: str = Field(description="synced | failed | retry")
    unit_id: str | None = None
    synced_version: int = 0
    attempts: int = 0
    last_error: str | None = None
    updated_at: datetime
