"""Accepting an invitation to Fleetbridge: the invitee signed up, created their organization, and says yes.

The sign-up link carries `invitation=<inviter's org id>.<invitation id>` (logic.reference); the web
app hands it back to POST /invitations/accept once the new organization exists (and the token,
refreshed, carries it). Only the person it was sent to may accept it: the token's email, which
Cognito verified at sign-up, must be its address; with an organization of the kind it invited;
once. A fleet and a vendor are then connected (shared/connections/invited.py) in the transaction
that marks it accepted, so neither happens without the other. An invitation between two fleets
(or two vendors) only records who joined.
"""

from __future__ import annotations

from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.connections.public import can_connect, live_connection, open_invited_connection
from shared.db.base import atomic
from shared.errors import Conflict, DomainError, Forbidden, Gone, NotFound
from shared.ids import utc_now
from shared.invitations import dal
from shared.invitations.models import Invitation, InvitationAccept, InvitationItem
from shared.orgs.public import get_org_item

NOT_VALID = ("this invitation link is not valid (check that it was copied whole): ask whoever invited you to "
             "invite you again")


def _invitation(reference: str) -> InvitationItem:
    org_id, _, invitation_id = reference.strip().partition(".")
    item = dal.get_invitation_item(org_id, invitation_id) if org_id and invitation_id else None
    if item is None:
        raise NotFound(NOT_VALID)
    return item


def accept(caller: Principal, body: InvitationAccept) -> Invitation:
    """The invitation, accepted by the caller's organization (again: the same answer)."""
    item = _invitation(body.invitation)
    if item.accepted_org_id == caller.org_id:
        return dal.to_invitation(item)
    if (caller.email or "").lower() != item.email or not caller.email_verified:
        raise Forbidden("this invitation was sent to another email address: sign in with the address it was sent to")
    if item.accepted_org_id:
        raise Gone("this invitation was accepted already")
    if item.kind != caller.org_kind.value:
        raise Conflict(f"this invitation asks you to join as a {item.kind}, and your organization is a "
                       f"{caller.org_kind.value}")
    inviter, mine = get_org_item(item.org_id), get_org_item(caller.org_id)
    if inviter is None or mine is None:
        raise NotFound(NOT_VALID)
    connects = can_connect(inviter, mine)
    live = live_connection(inviter, mine) if connects else None  # they found each other meanwhile: that one stands
    before = dal.to_invitation(item)

    def conflict(failed: set[str]) -> DomainError:
        return Conflict("the invitation was accepted, or the organizations connected, meanwhile; reload")

    with atomic(conflict) as tx:
        if connects and live is None:
            item.connection_id = open_invited_connection(
                tx, inviter, mine, invited_by=item.invited_by, accepted_by=caller,
                invitation_id=item.invitation_id).connection_id
        elif live is not None:
            item.connection_id = live.connection_id
        item.accepted_org_id, item.accepted_at = caller.org_id, utc_now()
        tx.save(item, condition=InvitationItem.accepted_org_id.does_not_exist())
        for org_id in (item.org_id, caller.org_id):
            add_audit_event(tx, org_id=org_id, actor=caller, action="invitation.accepted", target_type="invitation",
                            target_id=item.invitation_id, before=before, after=dal.to_invitation(item))
    return dal.to_invitation(item)
