"""Organizations (fleets and vendors) and their users: stored items and API bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints
from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.auth.principal import OrgKind, Role
from shared.base_models import (
    Address,
    Email,
    Model,
    Name,
    RequestBody,
    StoredModel,
    Version,
    VersionedUpdate,
)
from shared.db.base import TableItem

Service = Annotated[str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True)]
# the outbox message that brings a user's Cognito account in step with the table (shared/orgs/accounts.py)
ACCOUNT_MESSAGE = "cognito_account"


# -- stored items --------------------------------------------------------------------------------
class OrgItem(TableItem, discriminator="org"):
    """pk=ORG#{org_id}, sk=PROFILE.

    Vendors with a location (the address's lat/lng, else its ZIP centroid) are in the geo index:
    gsi1 GEO#{geohash[:3]} / {geohash}#{org_id} (shared/search/dal.py keeps it in step).
    """

    org_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    address = JSONAttribute()
    contact_email = UnicodeAttribute()
    services_offered = ListAttribute(of=UnicodeAttribute, default=list)
    partner_id = UnicodeAttribute(null=True)
    lat = NumberAttribute(null=True)  # vendors: where the vendor is, for the search by ZIP + radius
    lng = NumberAttribute(null=True)
    team_of = UnicodeAttribute(null=True)  # an internal team: the fleet it belongs to (never in vendor search)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class UserItem(TableItem, discriminator="user"):
    """pk=ORG#{org_id}, sk=USER#{user_id}."""

    user_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


# -- API bodies ----------------------------------------------------------------------------------
class OrganizationCreate(RequestBody):
    name: Name
    kind: OrgKind
    address: Address
    contact_email: Email
    services_offered: list[Service] = Field(default_factory=list, max_length=50)


class OrganizationUpdate(VersionedUpdate):
    not_null = ("name", "address", "contact_email", "services_offered")
    name: Name | None = None
    address: Address | None = None
    contact_email: Email | None = None
    services_offered: list[Service] | None = Field(default=None, max_length=50)


class Organization(StoredModel):
    org_id: str
    name: str
    kind: OrgKind
    address: Address
    contact_email: str
    services_offered: Annotated[list[str], BeforeValidator(lambda v: list(v or []))]
    partner_id: str | None = Field(default=None, description="vendors only: 5-character partner ID")
    lat: float | None = Field(default=None, description="where we place it: the address's lat/lng, else its ZIP's "
                              "centroid (vendor search measures from here)")
    lng: float | None = None
    team_of: str | None = Field(default=None, description="an internal team: the fleet it belongs to (it works "
                                "only that fleet's jobs, and never shows in vendor search)")
    created_at: datetime
    updated_at: datetime
    version: Version


class UserCreate(RequestBody):
    email: Email
    name: Name
    role: Role


class UserUpdate(VersionedUpdate):
    not_null = ("name", "role")
    name: Name | None = None
    role: Role | None = None


class User(StoredModel):
    user_id: str
    org_id: str
    email: str
    name: str
    role: Role
    created_at: datetime
    updated_at: datetime
    version: Version


class Me(Model):
    user: User
    organization: Organization
