"""Installation partners: a fleet invites a service partner by email; a vendor admin accepts with the token.

The invite token is random (`secrets.token_urlsafe`, 256 bits), goes out only in the email, and
is stored only as its SHA-256 (the key of the token item that finds the invitation). It works
for 14 days; inviting the same email again while PENDING returns the invitation, and after the
token expired sends a new token (the old one stops working).

Accepting: unknown token (or one replaced by a newer invitation email) -> 404; expired or
already accepted by another organization -> 410 Gone (the message says what to do); accepting
again by the organization that accepted it -> 200 with the record. Accepting links the
invitation to the vendor organization and its partner ID, in one transaction with both
organizations' audit events and the fleet's notification. An invitation to the address of a vendor's
user on Fleetbridge shows on that vendor's dashboard too; declining tells the fleet.
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from pynamodb.transactions import TransactWrite

from shared.audit.public import add_audit_event
from shared.auth.principal import OrgKind, Principal
from shared.connections.public import Pair, Way, get_relationship_item, open_way, set_override
from shared.db.base import atomic, expect_version
from shared.db.claims import add_claim
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.errors import Conflict, DomainError, Gone, NotFound
from shared.ids import new_id, utc_now
from shared.notifications.public import notify
from shared.orgs.public import OrgItem, get_org_item, org_id_of_email
from shared.outbox.public import add_email
from shared.partners import dal
from shared.partners.models import (
    PartnerAccept,
    PartnerInvitationItem,
    PartnerInvite,
    PartnerRecord,
    PartnerStatus,
    PartnerTokenItem,
    PartnerUpdate,
)
from shared.settings import get_settings

TOKEN_LIFETIME = timedelta(days=14)
# a relationship that ended: inviting the email again starts it over (PENDING, a new link)
ENDED = (PartnerStatus.DECLINED.value, PartnerStatus.REMOVED.value, PartnerStatus.LEFT.value)
TOKEN_BYTES = 32
ATTEMPTS = 5


@dataclass(frozen=True)
class InviteResult:
    record: PartnerRecord
    created: bool
    token: str | None  # the raw token when an email with it went out (for in-process callers: the seed)


def accept_link(token: str) -> str:
    return f"{get_settings().app_base_url.rstrip('/')}/partner-invitations/accept?{urlencode({'token': token})}"


def _fleet(caller: Principal) -> OrgItem:
    org = get_org_item(caller.org_id)
    if org is None:
        raise NotFound("your organization is not registered")
    return org


def _invite_email(fleet: OrgItem, token: str, expires: datetime) -> dict[str, str]:
    return {
        "subject": f"{fleet.name} invites you to be its installation partner on Fleetbridge",
        "body": (f"Hello,\n\n{fleet.name} invites your company to install and service equipment in its "
                 "vehicles as an installation partner on Fleetbridge.\n\n"
                 f"Accept the invitation (as an administrator of your company's vendor account; sign up first "
                 f"if you have none): {accept_link(token)}\n\n"
                 f"The link works until {expires:%Y-%m-%d %H:%M} UTC.\n"),
    }


# -- invite ------------------------------------------------------------------------------------
class _EmailTaken(DomainError):
    pass


def invite_partner(caller: Principal, body: PartnerInvite, *, now: datetime | None = None) -> InviteResult:
    """A new PENDING invitation and its email; or the fleet's invitation of this email (a new token
    and email only when it is PENDING and its token expired). `now` is the clock (tests move it)."""
    email = str(body.email).lower()
    fleet = _fleet(caller)
    for attempt in range(ATTEMPTS):
        at = now or utc_now()
        existing = dal.invitation_for_email(caller.org_id, email)
        if existing is not None:
            expired = existing.token_expires_at is not None and existing.token_expires_at <= at
            if (existing.status == PartnerStatus.PENDING.value and expired) or existing.status in ENDED:
                return _renew_token(caller, fleet, existing, at)
            return InviteResult(dal.to_record(existing), False, None)
        try:
            return _create(caller, fleet, email, body.allow_override, at)
        except _EmailTaken:
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
    raise Conflict("the invitation raced with other changes; try again")


def _create(caller: Principal, fleet: OrgItem, email: str, allow_override: bool, at: datetime) -> InviteResult:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = at + TOKEN_LIFETIME
    invitation_id = new_id("pin")
    item = PartnerInvitationItem(
        org_pk(caller.org_id), dal.invitation_sk(invitation_id), invitation_id=invitation_id,
        fleet_id=caller.org_id, fleet_name=fleet.name, email=email, allow_override=allow_override,
        status=PartnerStatus.PENDING.value, invited_by=caller.user_id, token_hash=dal.hash_token(token),
        token_expires_at=expires, created_at=at, updated_at=at,
    )

    def conflict(failed: set[str]) -> DomainError:
        return _EmailTaken("invited already")

    with atomic(conflict) as tx:
        tx.save(item, condition=PartnerInvitationItem.pk.does_not_exist())
        add_claim(tx, dal.email_claim_pk(caller.org_id, email), invitation_id, caller.org_id)
        dal.put_token(tx, item, dal.hash_token(token), int(expires.timestamp()))
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="partner.invited", target_type="partner",
                        target_id=invitation_id, after=dal.to_record(item))
        add_email(tx, to=email, **_invite_email(fleet, token, expires))
        _tell_invitee_org(tx, fleet, item)
    return InviteResult(dal.to_record(item), True, token)


def _renew_token(caller: Principal, fleet: OrgItem, item: PartnerInvitationItem, at: datetime) -> InviteResult:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = at + TOKEN_LIFETIME
    old_hash = item.token_hash
    item.token_hash = dal.hash_token(token)
    item.token_expires_at = expires
    item.updated_at = at
    item.status = PartnerStatus.PENDING.value  # a declined invitation asked again
    with atomic("the invitation changed meanwhile; reload and try again") as tx:
        tx.save(item)
        if old_hash:
            dal.drop_token(tx, old_hash)
        dal.put_token(tx, item, item.token_hash, int(expires.timestamp()))
        add_email(tx, to=item.email, **_invite_email(fleet, token, expires))
        _tell_invitee_org(tx, fleet, item)
    return InviteResult(dal.to_record(item), False, token)


def _tell_invitee_org(tx: TransactWrite, fleet: OrgItem, item: PartnerInvitationItem) -> None:
    """When the invited address is a user's of a vendor organization on Fleetbridge, that organization sees
    the invitation on its dashboard too (the link itself goes only to the address, by email)."""
    org_id = org_id_of_email(item.email)
    vendor = get_org_item(org_id) if org_id else None
    if vendor is None or vendor.kind != OrgKind.VENDOR.value:
        return
    notify(tx, vendor, kind="partner.invited", title=f"{fleet.name} invites you to be its installation partner",
           body=(f"Hello {vendor.name},\n\n{fleet.name} invited your company (at {item.email}) to be its "
                 "installation partner on Fleetbridge. The invitation email to that address has the link to "
                 "accept or decline it.\n"),
           data={"invitation_id": item.invitation_id, "fleet_id": fleet.org_id, "email": item.email})


# -- list, change the flag --------------------------------------------------------------------
def list_partners(caller: Principal, limit: int, cursor: str | None) -> Page[PartnerRecord]:
    return dal.list_invitation_items(caller.org_id, limit=limit, cursor=cursor)


def update_partner(caller: Principal, invitation_id: str, body: PartnerUpdate) -> PartnerRecord:
    item = dal.get_invitation_item(caller.org_id, invitation_id)
    if item is None:
        raise NotFound(f"partner invitation {invitation_id} not found")
    expect_version(item, body.version, "partner record")
    if item.allow_override == body.allow_override:
        return dal.to_record(item)
    before = dal.to_record(item)
    item.allow_override = body.allow_override
    item.updated_at = utc_now()
    after = dal.to_record(item)
    pair = get_relationship_item(item.fleet_id, item.partner_org_id) if item.partner_org_id else None
    with atomic("the partner record was changed by someone else; reload it and try again") as tx:
        tx.save(item)
        if item.status == PartnerStatus.ACCEPTED.value:
            set_override(tx, pair, body.allow_override)
        trails = [caller.org_id] + ([item.partner_org_id] if item.partner_org_id else [])
        for org_id in trails:
            add_audit_event(tx, org_id=org_id, actor=caller, action="partner.override_changed",
                            target_type="partner", target_id=invitation_id, before=before, after=after)
    return dal.to_record(item)


# -- accept (vendor admin) ----------------------------------------------------------------------
def accept_invitation(caller: Principal, body: PartnerAccept, *, now: datetime | None = None) -> PartnerRecord:
    at = now or utc_now()
    not_valid = NotFound("this invitation link is not valid (a newer invitation email may have replaced it): "
                         "ask the fleet to invite you again")
    token = dal.get_token_item(body.token)
    item = dal.get_invitation_item(token.fleet_id, token.invitation_id) if token is not None else None
    if token is None or item is None:
        raise not_valid
    if item.status == PartnerStatus.PENDING.value and token.pk != dal.token_pk(item.token_hash or ""):
        raise not_valid  # a renewed invitation replaced this token
    if item.status in ENDED:
        raise Gone(f"this invitation of {item.fleet_name} is {item.status.lower()}; ask them to invite you again")
    if token.used_at is not None or item.status == PartnerStatus.ACCEPTED.value:
        if item.partner_org_id == caller.org_id:
            return dal.to_record(item)  # accepted by your organization already: nothing to do
        raise Gone(f"this invitation of {item.fleet_name} was accepted already; ask them for a new one if "
                   "your company should be their partner")
    if token.expires_at_epoch < int(at.timestamp()):
        raise Gone(f"this invitation link expired: ask {item.fleet_name} to invite you again (they can resend it)")
    vendor = get_org_item(caller.org_id)
    if vendor is None or vendor.kind != OrgKind.VENDOR.value:
        raise NotFound("your organization is not registered as a vendor")
    if vendor.team_of:
        raise Conflict("your organization is an internal team of a fleet: it works only for that fleet, and cannot "
                       "become another fleet's partner")
    if not vendor.partner_id:
        raise Conflict("your organization has no partner ID yet; contact support")
    return _accept(caller, token, item, vendor, vendor.partner_id, at)


def decline_invitation(caller: Principal, body: PartnerAccept) -> PartnerRecord:
    """The vendor says no: the invitation is DECLINED, its link used up, and the fleet told by email."""
    token = dal.get_token_item(body.token)
    item = dal.get_invitation_item(token.fleet_id, token.invitation_id) if token is not None else None
    if token is None or item is None or token.pk != dal.token_pk(item.token_hash or ""):
        raise NotFound("this invitation link is not valid: a newer invitation may have replaced it")
    if item.status != PartnerStatus.PENDING.value:
        raise Conflict(f"this invitation is {item.status.lower()}: only a pending one can be declined")
    vendor, fleet, at = get_org_item(caller.org_id), get_org_item(item.fleet_id), utc_now()
    before = dal.to_record(item)
    item.status, item.updated_at = PartnerStatus.DECLINED.value, at
    item.token_hash = item.token_expires_at = None
    with atomic("the invitation changed meanwhile; reload and try again") as tx:
        tx.save(item)
        tx.update(token, actions=[PartnerTokenItem.used_at.set(at), PartnerTokenItem.used_by_org.set(caller.org_id)],
                  condition=PartnerTokenItem.pk.exists() & PartnerTokenItem.used_at.does_not_exist())
        add_audit_event(tx, org_id=item.fleet_id, actor=caller, action="partner.declined", target_type="partner",
                        target_id=item.invitation_id, before=before, after=dal.to_record(item))
        if fleet is not None:
            name = vendor.name if vendor is not None else item.email
            notify(tx, fleet, kind="partner.declined", title=f"{name} declined your installation partner invitation",
                   body=(f"Hello {fleet.name},\n\n{name} declined your installation partner invitation (sent to "
                         f"{item.email}). You may invite them again later.\n"),
                   data={"invitation_id": item.invitation_id, "partner_org_id": caller.org_id})
    return dal.to_record(item)


def _accept(
    caller: Principal, token: PartnerTokenItem, item: PartnerInvitationItem, vendor: OrgItem, partner_id: str,
    at: datetime,
) -> PartnerRecord:
    before = dal.to_record(item)
    item.status = PartnerStatus.ACCEPTED.value
    item.partner_org_id, item.partner_id, item.partner_name = vendor.org_id, partner_id, vendor.name
    item.accepted_by, item.accepted_at, item.updated_at = caller.user_id, at, at
    item.token_hash = item.token_expires_at = None
    after = dal.to_record(item)
    link = dal.partner_link_pk(item.fleet_id, partner_id)

    def conflict(failed: set[str]) -> DomainError:
        if link in failed:
            return Conflict(f"your organization is an installation partner of {item.fleet_name} already")
        return Conflict("the invitation was accepted or changed meanwhile; reload and try again")

    fleet = get_org_item(item.fleet_id)
    pair = get_relationship_item(item.fleet_id, vendor.org_id)
    with atomic(conflict) as tx:
        tx.save(item)
        tx.update(token, actions=[PartnerTokenItem.used_at.set(at), PartnerTokenItem.used_by_org.set(vendor.org_id)],
                  condition=PartnerTokenItem.pk.exists() & PartnerTokenItem.used_at.does_not_exist())
        add_claim(tx, link, item.invitation_id, item.fleet_id)
        open_way(tx, pair, Pair(item.fleet_id, item.fleet_name, vendor.org_id, vendor.name, partner_id),
                 Way.INVITATION, item.invitation_id, allow_override=bool(item.allow_override))
        for org_id in (item.fleet_id, vendor.org_id):
            add_audit_event(tx, org_id=org_id, actor=caller, action="partner.accepted", target_type="partner",
                            target_id=item.invitation_id, before=before, after=after)
        if fleet is not None:
            notify(tx, fleet, kind="partner.accepted", title=f"{vendor.name} is now your installation partner",
                   body=(f"Hello {fleet.name},\n\n{vendor.name} accepted your installation partner invitation "
                         f"(sent to {item.email}). Its partner ID is {partner_id}: use it to assign jobs.\n"),
                   data={"invitation_id": item.invitation_id, "partner_org_id": vendor.org_id,
                         "partner_id": partner_id})
    return dal.to_record(item)
