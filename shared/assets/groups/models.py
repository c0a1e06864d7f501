"""Asset groups: a fleet's named sets of assets; vendors get access per group."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute

from shared.base_models import DistinctIds, Name, RequestBody, StoredModel, Version, VersionedUpdate
from shared.db.base import TableItem

MAX_ASSETS_PER_CALL = 25
Description = Annotated[str, StringConstraints(max_length=500, strip_whitespace=True)]


class GroupItem(TableItem, discriminator="group"):
    """pk=ORG#{org_id}, sk=GROUP#{group_id}."""

    group_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    asset_count = NumberAttribute(null=True)  # its members, kept in the memberships' transactions
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class GroupMemberItem(TableItem, discriminator="group_member"):
    """pk=ORG#{org_id}#GROUP#{group_id}, sk=ASSET#{asset_id}: one asset in one group."""

    org_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    added_at = UTCDateTimeAttribute()


class GroupCreate(RequestBody):
    name: Name
    description: Description | None = None
    asset_ids: DistinctIds = Field(default_factory=list, max_length=MAX_ASSETS_PER_CALL)


class GroupUpdate(VersionedUpdate):
    not_null = ("name",)
    name: Name | None = None
    description: Description | None = None


class Group(StoredModel):
    group_id: str
    org_id: str
    name: str
    description: str | None = None
    asset_count: int | None = Field(default=None, description="how many assets it holds (None: counted before "
                                    "it was kept; the relationship migration counts it)")
    created_at: datetime
    updated_at: datetime
    version: Version
