"""Invitations to join Fleetbridge, sent to people not in the network yet: items and API bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.auth.principal import OrgKind
from shared.base_models import Email, RequestBody, StoredModel
from shared.db.base import TableItem


# -- stored items --------------------------------------------------------------------------------
class InvitationItem(TableItem, discriminator="invitation"):
    """pk=ORG#{org_id}, sk=INVITE#{invitation_id}: one invitation the organization sent (ULID: newest last)."""

    invitation_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    email = UnicodeAttribute()
    kind = UnicodeAttribute()  # the kind of organization the invitee is asked to create
    invited_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    resend_after = UTCDateTimeAttribute()  # inviting the same email again before this sends nothing
    accepted_org_id = UnicodeAttribute(null=True)  # the organization the invitee signed up and accepted it with
    accepted_at = UTCDateTimeAttribute(null=True)
    connection_id = UnicodeAttribute(null=True)  # the connection it made (a fleet and a vendor)


class InviteDedupeItem(TableItem, discriminator="invite_dedupe"):
    """pk=INVITE#{org_id}#{email}, sk=DEDUPE: the organization's latest invitation of this email.

    Put with `attribute_not_exists(pk) OR expires_at_epoch < :now` in the invitation's
    transaction, so one email goes out per organization and address per 24 h, whatever the
    races; TTL removes it afterwards (until then the condition treats it as gone).
    """

    org_id = UnicodeAttribute()
    email = UnicodeAttribute()
    invitation_id = UnicodeAttribute()
    expires_at_epoch = NumberAttribute()


# -- API bodies ----------------------------------------------------------------------------------
class InvitationCreate(RequestBody):
    email: Email
    kind: OrgKind


class InvitationAccept(RequestBody):
    invitation: str = Field(min_length=3, max_length=200,
                            description="the `invitation` parameter of the sign-up link in the email, as it is")


class Invitation(StoredModel):
    invitation_id: str
    org_id: str
    email: str
    kind: OrgKind
    invited_by: str
    created_at: datetime
    resend_after: datetime
    accepted_org_id: str | None = Field(default=None, description="who signed up and accepted it; unset: pending")
    accepted_at: datetime | None = None
    connection_id: str | None = Field(default=None, description="the connection it made (a fleet and a vendor)")
