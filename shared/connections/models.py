"""Fleet <-> vendor connections and the asset groups a vendor may see."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints
from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.assets.public import AssetKind, AssetStatus
from shared.base_models import DistinctIds, RequestBody, StoredModel, Version
from shared.db.base import TableItem

MAX_GRANTED_GROUPS = 25
SortedIds = Annotated[list[str], BeforeValidator(lambda v: sorted(v or []))]


class ConnectionStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    DISCONNECTED = "disconnected"


LIVE_STATUSES = (ConnectionStatus.PENDING, ConnectionStatus.ACCEPTED)


# -- stored items --------------------------------------------------------------------------------
class ConnectionItem(TableItem, discriminator="connection"):
    """pk=CONN#{connection_id}, sk=CONN.

    gsi1: ORG#{fleet_id}#CONNS / {status}#{connection_id}; gsi2: ORG#{vendor_id}#CONNS / same:
    each side lists its connections, all or by status. While the connection is live, the pair
    claim PAIR#{fleet_id}#{vendor_id} holds its id: one live connection per pair.
    """

    connection_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    fleet_name = UnicodeAttribute()
    vendor_id = UnicodeAttribute()
    vendor_name = UnicodeAttribute()
    requested_by_org = UnicodeAttribute()
    requested_by_user = UnicodeAttribute()
    message = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class GrantItem(TableItem, discriminator="grant"):
    """pk=CONN#{connection_id}, sk=GRANT: the fleet's groups the vendor sees; TTL at expires_at."""

    connection_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    vendor_id = UnicodeAttribute()
    group_ids = UnicodeSetAttribute(null=True)
    expires_at = UTCDateTimeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


# -- API bodies ----------------------------------------------------------------------------------
class ConnectionRequest(RequestBody):
    org_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="the other organization: a vendor when you are a fleet, a fleet when you are a vendor"
    )
    message: Annotated[str, StringConstraints(max_length=500)] | None = None


class Connection(StoredModel):
    connection_id: str
    fleet_id: str
    fleet_name: str
    vendor_id: str
    vendor_name: str
    requested_by_org: str
    message: str | None = None
    status: ConnectionStatus
    created_at: datetime
    updated_at: datetime
    version: Version


class GrantUpdate(RequestBody):
    group_ids: DistinctIds = Field(max_length=MAX_GRANTED_GROUPS, description="replaces the granted groups")
    expires_at: datetime | None = Field(default=None, description="access ends on its own at this time")
    version: int = Field(description="the grant's version you read (0 when there is none yet)")


class Grant(StoredModel):
    connection_id: str
    fleet_id: str
    vendor_id: str
    group_ids: SortedIds
    expires_at: datetime | None = None
    updated_at: datetime | None = None
    version: Version


class SharedAsset(StoredModel):
    """What a connected vendor sees of a fleet's asset: no internal fields, none of its other groups."""

    asset_id: str
    unit_number: str
    kind: AssetKind
    vin: str
    license_number: str | None = None
    license_state: str | None = None
    status: AssetStatus
