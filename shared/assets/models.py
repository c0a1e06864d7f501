"""Assets (a fleet's trucks and trailers): stored items and API bodies."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints
from pynamodb.attributes import (
    BooleanAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.assets.vin import Vin
from shared.base_models import DistinctIds, RequestBody, StoredModel, UsState, Version, VersionedUpdate
from shared.db.base import TableItem

MAX_GROUPS_PER_ASSET = 25
UnitNumber = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]
LicenseNumber = Annotated[str, StringConstraints(min_length=1, max_length=20, strip_whitespace=True, to_upper=True)]
GroupIds = Annotated[DistinctIds, Field(max_length=MAX_GROUPS_PER_ASSET)]


class AssetKind(StrEnum):
    TRUCK = "truck"
    TRAILER = "trailer"


class AssetStatus(StrEnum):
    ACTIVE = "active"
    IN_SHOP = "in_shop"
    INACTIVE = "inactive"


class SettableStatus(StrEnum):
    """Statuses a client sets directly; `inactive` comes only from DELETE."""

    ACTIVE = "active"
    IN_SHOP = "in_shop"


# -- stored items --------------------------------------------------------------------------------
class AssetItem(TableItem, discriminator="asset"):
    """pk=ORG#{org_id}, sk=ASSET#{asset_id}; gsi1: ORG#{org_id}#ASSETS#{status} / ASSET#{asset_id}."""

    asset_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    unit_number = UnicodeAttribute()
    kind = UnicodeAttribute()
    vin = UnicodeAttribute()
    license_number = UnicodeAttribute(null=True)
    license_state = UnicodeAttribute(null=True)
    license_expiration = UnicodeAttribute(null=True)  # ISO date
    status = UnicodeAttribute()
    group_ids = UnicodeSetAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class VinClaimItem(TableItem, discriminator="vin_claim"):
    """pk=ORG#{org_id}, sk=VIN#{vin}: which asset holds the VIN in this fleet.

    `active` claims make the VIN unique among active assets; an inactive claim remembers the
    asset to reactivate when the VIN is created again. gsi2 (VIN#{vin} / ORG#{org_id}) is set
    only while active: the fleets that run a VIN.
    """

    asset_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    active = BooleanAttribute()


# -- API bodies ----------------------------------------------------------------------------------
class AssetCreate(RequestBody):
    unit_number: UnitNumber
    kind: AssetKind
    vin: Vin
    license_number: LicenseNumber | None = None
    license_state: UsState | None = None
    license_expiration: date | None = None
    status: SettableStatus = SettableStatus.ACTIVE
    group_ids: GroupIds = Field(default_factory=list)


class AssetUpdate(VersionedUpdate):
    not_null = ("unit_number", "kind", "vin", "status", "group_ids")
    unit_number: UnitNumber | None = None
    kind: AssetKind | None = None
    vin: Vin | None = None
    license_number: LicenseNumber | None = None
    license_state: UsState | None = None
    license_expiration: date | None = None
    status: SettableStatus | None = None
    group_ids: GroupIds | None = Field(default=None, description="replaces the asset's groups")


class Asset(StoredModel):
    asset_id: str
    org_id: str
    unit_number: str
    kind: AssetKind
    vin: str
    license_number: str | None = None
    license_state: str | None = None
    license_expiration: date | None = None
    status: AssetStatus
    group_ids: Annotated[list[str], BeforeValidator(lambda v: sorted(v or []))]
    created_at: datetime
    updated_at: datetime
    version: Version
