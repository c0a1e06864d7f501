"""Data access of installation partner invitations, their tokens, and the accepted-partner lookup."""

from __future__ import annotations

import hashlib

from pynamodb.transactions import TransactWrite

from shared.connections.public import RelationshipItem, accepted_connection, active_relationship, granted_group_ids
from shared.db.claims import CLAIM, ClaimItem
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.orgs.public import org_id_of_partner
from shared.partners.models import PartnerInvitationItem, PartnerRecord, PartnerStatus, PartnerTokenItem

TOKEN = "TOKEN"


def invitation_sk(invitation_id: str) -> str:
    return f"PARTNERINV#{invitation_id}"


def email_claim_pk(fleet_id: str, email: str) -> str:
    """One invitation per fleet per partner email."""
    return f"PARTNEREMAIL#{fleet_id}#{email.lower()}"


def partner_link_pk(fleet_id: str, partner_id: str) -> str:
    """One accepted record per fleet and partner organization, found by its partner ID."""
    return f"FLEETPARTNER#{fleet_id}#{partner_id}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_pk(token_hash: str) -> str:
    return f"PARTNERTOKEN#{token_hash}"


def to_record(item: PartnerInvitationItem) -> PartnerRecord:
    return PartnerRecord.model_validate(item)


def get_invitation_item(fleet_id: str, invitation_id: str) -> PartnerInvitationItem | None:
    return PartnerInvitationItem.find(org_pk(fleet_id), invitation_sk(invitation_id), consistent_read=True)


def invitation_for_email(fleet_id: str, email: str) -> PartnerInvitationItem | None:
    claim = ClaimItem.find(email_claim_pk(fleet_id, email), CLAIM, consistent_read=True)
    if claim is None:
        return None
    return get_invitation_item(fleet_id, claim.owner_id)


def get_token_item(token: str) -> PartnerTokenItem | None:
    """The token's item, looked up by the token's hash."""
    return PartnerTokenItem.find(token_pk(hash_token(token)), TOKEN, consistent_read=True)


def list_invitation_items(fleet_id: str, *, limit: int, cursor: str | None) -> Page[PartnerRecord]:
    """Newest first."""
    return query_page(PartnerInvitationItem.query, org_pk(fleet_id),
                      range_key_condition=PartnerInvitationItem.sk.startswith("PARTNERINV#"),
                      scan_index_forward=False, limit=limit, cursor=cursor, convert=to_record)


def put_token(tx: TransactWrite, item: PartnerInvitationItem, token_hash: str, expires_at_epoch: int) -> None:
    tx.save(PartnerTokenItem(token_pk(token_hash), TOKEN, fleet_id=item.fleet_id, invitation_id=item.invitation_id,
                             expires_at_epoch=expires_at_epoch),
            condition=PartnerTokenItem.pk.does_not_exist())


def drop_token(tx: TransactWrite, token_hash: str) -> None:
    tx.delete(PartnerTokenItem(token_pk(token_hash), TOKEN))


def accepted_partner(fleet_id: str, partner_id: str) -> PartnerRecord | None:
    """The fleet's partner with this 5-character partner ID, or None: however it works with the fleet.

    For the jobs capability (assigning jobs, CSV `assigned_installer_company_id`, the override
    flag). The pair's one record says how (shared/connections/relationships.py): an accepted
    invitation (any vehicle, its override flag), the fleet's internal team (any vehicle), or an
    accepted connection alone (the vehicles of its granted groups). A pair whose record predates
    it is read the way it was written: the invitation's FLEETPARTNER# link, then the connection.
    """
    code = partner_id.strip().upper()
    vendor_id = org_id_of_partner(code)
    pair = active_relationship(fleet_id, vendor_id) if vendor_id else None
    if pair is None:
        item = linked_invitation_item(fleet_id, code)
        return to_record(item) if item is not None else connected_vendor(fleet_id, code)
    if pair.team:
        return team_record(pair)
    if pair.invitation_id:
        invitation = get_invitation_item(fleet_id, pair.invitation_id)
        if invitation is not None and invitation.status == PartnerStatus.ACCEPTED.value:
            return to_record(invitation)
    return connected_vendor(fleet_id, code) if pair.connection_id else None


def team_record(pair: RelationshipItem) -> PartnerRecord:
    """The fleet's internal team as a partner: on any of the fleet's vehicles, never overriding a job."""
    at = pair.created_at or pair.updated_at
    assert at is not None
    return PartnerRecord(invitation_id=None, fleet_id=pair.fleet_id, fleet_name=pair.fleet_name or "", email="",
                         status=PartnerStatus.ACCEPTED, allow_override=False, partner_org_id=pair.vendor_id,
                         partner_id=pair.partner_id, partner_name=pair.vendor_name, accepted_at=at, created_at=at,
                         updated_at=pair.updated_at or at, version=int(pair.rev or 0), team=True)


def linked_invitation_item(fleet_id: str, partner_id: str) -> PartnerInvitationItem | None:
    """The fleet's ACCEPTED partner record of this partner ID (its FLEETPARTNER# link), or None."""
    link = _link(fleet_id, partner_id)
    return _accepted_item(fleet_id, link) if link is not None else None


def _link(fleet_id: str, partner_id: str) -> ClaimItem | None:
    return ClaimItem.find(partner_link_pk(fleet_id, partner_id.strip().upper()), CLAIM, consistent_read=True)


def _accepted_item(fleet_id: str, link: ClaimItem) -> PartnerInvitationItem | None:
    item = get_invitation_item(fleet_id, link.owner_id)
    return item if item is not None and item.status == PartnerStatus.ACCEPTED.value else None


def connected_vendor(fleet_id: str, partner_id: str) -> PartnerRecord | None:
    """A vendor with this partner ID whose connection with the fleet is accepted: a partner too, on the
    vehicles of the groups the fleet granted it (one relationship per pair: no second invitation)."""
    vendor_id = org_id_of_partner(partner_id)
    connection = accepted_connection(fleet_id, vendor_id) if vendor_id else None
    if connection is None:
        return None
    return PartnerRecord(invitation_id=None, fleet_id=fleet_id, fleet_name=connection.fleet_name, email="",
                         status=PartnerStatus.ACCEPTED, allow_override=False, partner_org_id=connection.vendor_id,
                         partner_id=partner_id.strip().upper(), partner_name=connection.vendor_name,
                         accepted_at=connection.updated_at, created_at=connection.created_at,
                         updated_at=connection.updated_at, version=int(connection.version or 0),
                         connection_id=connection.connection_id,
                         granted_group_ids=sorted(granted_group_ids(connection)))
