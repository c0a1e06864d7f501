"""Invite someone not in the network: an email with a sign-up link, at most once per 24 h.

The 24 h window is a dedupe item per inviting organization and email, put conditionally in the
same transaction as the invitation and its outbox email: two racing invitations send one
email, and the loser answers with the winner's invitation. Organizations do not share windows:
another organization's invitation of the same address is none of the caller's business.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from urllib.parse import urlencode

from shared.auth.principal import OrgKind, Principal
from shared.db.base import atomic
from shared.db.claims import email_claim_pk
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.errors import Conflict, DomainError, NotFound
from shared.ids import new_id, utc_now
from shared.invitations import dal
from shared.invitations.models import Invitation, InvitationCreate, InvitationItem
from shared.orgs.public import OrgItem, get_org_item
from shared.outbox.public import add_email
from shared.settings import get_settings

RESEND_WINDOW = timedelta(hours=24)
ATTEMPTS = 6


class _WindowHeld(DomainError):
    """An unexpired invitation of this email holds the window (or a racing one is committing)."""


def reference(org_id: str, invitation_id: str) -> str:
    """What the sign-up link carries as `invitation` and POST /invitations/accept takes back: both keys."""
    return f"{org_id}.{invitation_id}"


def sign_up_link(org_id: str, invitation_id: str, email: str, kind: OrgKind) -> str:
    query = urlencode({"invitation": reference(org_id, invitation_id), "email": email, "kind": kind.value})
    return f"{get_settings().app_base_url.rstrip('/')}/sign-up?{query}"


def invite(caller: Principal, body: InvitationCreate, *, now: datetime | None = None) -> tuple[Invitation, bool]:
    """The new invitation and True (its email goes out); or the one sent within 24 h and False (no email).

    `now` is the clock (tests move it); by default the current time.
    """
    email = str(body.email).lower()
    org = get_org_item(caller.org_id)
    if org is None:
        raise NotFound("your organization is not registered")
    for attempt in range(ATTEMPTS):
        at = now or utc_now()
        try:
            return _send(caller, org, email, body.kind, at), True
        except _WindowHeld:
            existing = _live_invitation(caller.org_id, email, at)
            if existing is not None:
                return existing, False
        # the window's holder expired meanwhile or has not committed yet: try again shortly
        time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
    raise Conflict("the invitation raced with other changes; try again")


def _live_invitation(org_id: str, email: str, at: datetime) -> Invitation | None:
    dedupe = dal.get_dedupe_item(org_id, email)
    if dedupe is None or dedupe.expires_at_epoch < int(at.timestamp()):
        return None
    item = dal.get_invitation_item(org_id, dedupe.invitation_id)
    return dal.to_invitation(item) if item is not None else None


def _send(caller: Principal, org: OrgItem, email: str, kind: OrgKind, at: datetime) -> Invitation:
    invitation_id = new_id("inv")
    resend_after = at + RESEND_WINDOW
    item = InvitationItem(org_pk(caller.org_id), dal.invitation_sk(invitation_id), invitation_id=invitation_id,
                          org_id=caller.org_id, email=email, kind=kind.value, invited_by=caller.user_id,
                          created_at=at, resend_after=resend_after)

    def conflict(failed: set[str]) -> DomainError:
        if email_claim_pk(email) in failed:
            return Conflict(f"{email} is in the Fleetbridge network already: search for them and send a "
                            "connection request instead", [{"field": "email", "message": "already a user"}])
        return _WindowHeld("an invitation of this email is under way")

    with atomic(conflict) as tx:
        dal.check_not_a_user(tx, email)
        dal.put_invitation(tx, item, window_end_epoch=int(resend_after.timestamp()), now_epoch=int(at.timestamp()))
        add_email(
            tx,
            to=email,
            subject=f"{org.name} invites you to Fleetbridge",
            body=(f"Hello,\n\n{caller.email or 'A colleague'} of {org.name} invites you to join Fleetbridge, "
                  f"the service network of fleets and vendors, as a {kind.value}.\n\n"
                  f"Sign up here: {sign_up_link(caller.org_id, invitation_id, email, kind)}\n\n"
                  f"{_connected_after(org, kind)}"
                  "If you did not expect this email, you can ignore it.\n"),
        )
    return dal.to_invitation(item)


def _connected_after(inviter: OrgItem, kind: OrgKind) -> str:
    if kind.value == inviter.kind or inviter.team_of:
        return ""
    return f"Once you have signed up, your organization and {inviter.name} are connected on Fleetbridge.\n\n"


def list_invitations(caller: Principal, limit: int, cursor: str | None) -> Page[Invitation]:
    return dal.list_invitation_items(caller.org_id, limit=limit, cursor=cursor)
