"""Data access of invitations: the inviting organization's list, and the per-email dedupe item."""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from shared.db.claims import CLAIM, ClaimItem, email_claim_pk
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.invitations.models import Invitation, InvitationItem, InviteDedupeItem

DEDUPE = "DEDUPE"


def invitation_sk(invitation_id: str) -> str:
    return f"INVITE#{invitation_id}"


def dedupe_pk(org_id: str, email: str) -> str:
    return f"INVITE#{org_id}#{email.lower()}"


def to_invitation(item: InvitationItem) -> Invitation:
    return Invitation.model_validate(item)


def get_invitation_item(org_id: str, invitation_id: str) -> InvitationItem | None:
    return InvitationItem.find(org_pk(org_id), invitation_sk(invitation_id), consistent_read=True)


def get_dedupe_item(org_id: str, email: str) -> InviteDedupeItem | None:
    return InviteDedupeItem.find(dedupe_pk(org_id, email), DEDUPE, consistent_read=True)


def list_invitation_items(org_id: str, *, limit: int, cursor: str | None) -> Page[Invitation]:
    """Newest first."""
    return query_page(InvitationItem.query, org_pk(org_id),
                      range_key_condition=InvitationItem.sk.startswith("INVITE#"), limit=limit, cursor=cursor,
                      convert=to_invitation, scan_index_forward=False)


def put_invitation(tx: TransactWrite, item: InvitationItem, *, window_end_epoch: int, now_epoch: int) -> None:
    """The invitation and its dedupe item; the dedupe put fails while an unexpired one exists."""
    dedupe = InviteDedupeItem(dedupe_pk(item.org_id, item.email), DEDUPE, org_id=item.org_id, email=item.email,
                              invitation_id=item.invitation_id, expires_at_epoch=window_end_epoch)
    tx.save(dedupe, condition=InviteDedupeItem.pk.does_not_exist() | (InviteDedupeItem.expires_at_epoch < now_epoch))
    tx.save(item, condition=InvitationItem.pk.does_not_exist())


def check_not_a_user(tx: TransactWrite, email: str) -> None:
    """The transaction fails when the email belongs to a Fleetbridge user (its EMAIL# claim exists)."""
    tx.condition_check(ClaimItem, email_claim_pk(email), CLAIM, condition=ClaimItem.pk.does_not_exist())
