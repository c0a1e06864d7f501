"""Installation partners: a fleet's invitations of service partners, and what they become once accepted."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints
from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.base_models import Email, RequestBody, StoredModel, Version
from shared.db.base import TableItem

OVERRIDE_DESCRIPTION = "allow the partner to override job configuration and data"


class PartnerStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"  # the vendor said no; inviting the same email again makes it PENDING with a new link
    REMOVED = "REMOVED"  # the fleet ended it; its open jobs went back to PENDING (invite again: PENDING)
    LEFT = "LEFT"  # the partner left the fleet; the same


# -- stored items --------------------------------------------------------------------------------
class PartnerInvitationItem(TableItem, discriminator="partner_invitation"):
    """pk=ORG#{fleet_id}, sk=PARTNERINV#{invitation_id}: one per fleet and partner email.

    The ClaimItem PARTNEREMAIL#{fleet_id}#{email} holds its id (one invitation per fleet per
    email); once accepted, the ClaimItem FLEETPARTNER#{fleet_id}#{partner_id} holds it too (one
    record per fleet and partner organization, found by the 5-character partner ID).
    `token_hash` is the SHA-256 of the current invite token: the token itself is never stored.
    """

    invitation_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    fleet_name = UnicodeAttribute()
    email = UnicodeAttribute()
    allow_override = BooleanAttribute(default=False)
    status = UnicodeAttribute()
    invited_by = UnicodeAttribute()
    token_hash = UnicodeAttribute(null=True)
    token_expires_at = UTCDateTimeAttribute(null=True)
    partner_org_id = UnicodeAttribute(null=True)
    partner_id = UnicodeAttribute(null=True)
    partner_name = UnicodeAttribute(null=True)
    accepted_by = UnicodeAttribute(null=True)
    accepted_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class PartnerTokenItem(TableItem, discriminator="partner_token"):
    """pk=PARTNERTOKEN#{sha256 of the token}, sk=TOKEN: finds the invitation a token opens.

    TTL (`expires_at_epoch`) removes it after its expiry; `used_at` is set when it is accepted.
    """

    fleet_id = UnicodeAttribute()
    invitation_id = UnicodeAttribute()
    expires_at_epoch = NumberAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    used_by_org = UnicodeAttribute(null=True)


# -- API bodies ----------------------------------------------------------------------------------
class PartnerInvite(RequestBody):
    email: Email
    allow_override: bool = Field(default=False, description=OVERRIDE_DESCRIPTION)


class PartnerUpdate(RequestBody):
    allow_override: bool = Field(description=OVERRIDE_DESCRIPTION)
    version: int


class PartnerAccept(RequestBody):
    token: Annotated[str, StringConstraints(min_length=16, max_length=256)] = Field(
        description="the token of the invitation link")


class PartnerRecord(StoredModel):
    """A fleet's installation partner: invited (PENDING) or registered (ACCEPTED, with its partner ID)."""

    invitation_id: str | None = Field(description="the invitation it accepted; None for a connected vendor")
    fleet_id: str
    fleet_name: str
    email: str
    status: PartnerStatus
    allow_override: bool = Field(description=OVERRIDE_DESCRIPTION)
    partner_org_id: str | None = Field(default=None, description="the partner's organization, once accepted")
    partner_id: str | None = Field(default=None, description="the partner's 5-character partner ID, once accepted")
    partner_name: str | None = None
    token_expires_at: datetime | None = Field(
        default=None, description="while PENDING: the invitation link works until then (invite again for a new one)")
    accepted_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    version: Version
    connection_id: str | None = Field(default=None, description="a connected vendor: the accepted connection it "
                                      "works the fleet's units through (only on vehicles of its granted groups)")
    granted_group_ids: list[str] | None = Field(default=None, description="a connected vendor: its groups now")
    team: bool = Field(default=False, description="the fleet's own internal team (POST /teams)")
