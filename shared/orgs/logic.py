"""Organizations and their users: sign-up, profile updates, user management."""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.transactions import TransactWrite

from shared.audit.public import add_audit_event
from shared.auth.principal import ADMIN_ROLE_OF_KIND, Identity, OrgKind, Principal, Role
from shared.db.base import atomic
from shared.db.claims import add_claim, email_claim_pk, release_claim
from shared.db.keys import PROFILE, org_pk
from shared.db.pagination import Page
from shared.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from shared.ids import new_id, spoken_code, utc_now
from shared.orgs import dal
from shared.orgs.location import check_locatable, locate_vendor
from shared.orgs.models import (
    ACCOUNT_MESSAGE,
    Me,
    Organization,
    OrganizationCreate,
    OrganizationUpdate,
    OrgItem,
    User,
    UserCreate,
    UserItem,
    UserUpdate,
)
from shared.outbox.public import add_message
from shared.ratelimit.limiter import hit
from shared.settings import get_settings

PARTNER_ID_ATTEMPTS = 5


def new_partner_id() -> str:
    return spoken_code(5)


def check_sign_up(identity: Identity, source_ip: str | None) -> None:
    """The abuse limits of sign-up (docs/security.md): one organization per person and per address (the
    claims, in create_organization), a verified address (whoever cannot read it cannot become its
    user: it is also the address tokens find the user by), and a few sign-ups per source address an hour."""
    if isinstance(identity, Principal):
        raise Conflict("you already belong to an organization")
    if not identity.email or not identity.email_verified:
        raise Forbidden("confirm your email address first (the code Fleetbridge emailed you at sign-up), then sign "
                        "in again: an organization is created only for a verified address")
    if source_ip:
        hit("organization_sign_up", source_ip, limit=get_settings().organizations_per_ip_per_hour,
            window_seconds=3600)


def create_organization(identity: Identity, body: OrganizationCreate, admin_name: str) -> Me:
    """Sign-up: a new organization, with the signed-in caller (its verified address) as its first admin."""
    if isinstance(identity, Principal):
        raise Conflict("you already belong to an organization")
    if not identity.email:
        raise Forbidden("your token carries no email address")
    check_locatable(body.address)
    email = identity.email.lower()
    for _ in range(PARTNER_ID_ATTEMPTS):
        partner_id = new_partner_id() if body.kind is OrgKind.VENDOR else None
        try:
            return _create_organization(identity, body, admin_name, email, partner_id)
        except _PartnerIdTaken:
            continue
    raise Conflict("could not allot a unique partner ID; try again")


class _PartnerIdTaken(DomainError):
    pass


def _create_organization(
    identity: Identity, body: OrganizationCreate, admin_name: str, email: str, partner_id: str | None
) -> Me:
    now = utc_now()
    org_id = new_id("org")
    org = OrgItem(
        org_pk(org_id),
        PROFILE,
        org_id=org_id,
        name=body.name,
        kind=body.kind.value,
        address=body.address.model_dump(mode="json"),
        contact_email=str(body.contact_email).lower(),
        services_offered=body.services_offered,
        partner_id=partner_id,
        created_at=now,
        updated_at=now,
    )
    locate_vendor(org)  # its location (vendors: and geo index keys), in this same write
    user = UserItem(
        org_pk(org_id),
        dal.user_sk(identity.user_id),
        user_id=identity.user_id,
        org_id=org_id,
        email=email,
        name=admin_name,
        role=ADMIN_ROLE_OF_KIND[body.kind].value,
        created_at=now,
        updated_at=now,
    )

    def conflict(failed: set[str]) -> DomainError:
        if dal.member_claim_pk(identity.user_id) in failed:
            return Conflict("you already belong to an organization")
        if email_claim_pk(email) in failed:
            return Conflict(f"{email} is already a user of Fleetbridge")
        if partner_id and dal.partner_claim_pk(partner_id) in failed:
            return _PartnerIdTaken("partner ID taken")
        return Conflict("the organization could not be created; try again")

    with atomic(conflict) as tx:
        tx.save(org, condition=OrgItem.pk.does_not_exist())
        tx.save(user, condition=UserItem.pk.does_not_exist())
        add_claim(tx, dal.member_claim_pk(identity.user_id), identity.user_id, org_id)
        add_claim(tx, email_claim_pk(email), identity.user_id, org_id)
        if partner_id:
            add_claim(tx, dal.partner_claim_pk(partner_id), org_id, org_id)
        organization = dal.to_organization(org)
        add_audit_event(tx, org_id=org_id, actor=identity, action="organization.created",
                        target_type="organization", target_id=org_id, after=organization)
    return Me(user=dal.to_user(user), organization=dal.to_organization(org))


def get_organization(caller: Principal, org_id: str) -> Organization:
    """An organization the caller may see: its own (connections widen this later)."""
    item = dal.get_org_item(org_id) if org_id == caller.org_id else None
    if item is None:
        raise NotFound(f"organization {org_id} not found")
    return dal.to_organization(item)


def update_organization(caller: Principal, org_id: str, body: OrganizationUpdate) -> Organization:
    item = dal.get_org_item(org_id) if org_id == caller.org_id else None
    if item is None:
        raise NotFound(f"organization {org_id} not found")
    _check_version(item.version, body.version, "organization")
    if body.address is not None:
        check_locatable(body.address)
    before = dal.to_organization(item)
    changes = body.model_dump(exclude_unset=True, exclude={"version"}, mode="json")
    for field, value in changes.items():
        setattr(item, field, value.lower() if field == "contact_email" else value)
    if "address" in changes or item.lat is None:
        locate_vendor(item)  # a vendor moves in the geo index with the address, in this same write
    item.updated_at = utc_now()
    with atomic("the organization was changed by someone else; reload it and try again") as tx:
        tx.save(item)
        add_audit_event(tx, org_id=org_id, actor=caller, action="organization.updated",
                        target_type="organization", target_id=org_id, before=before,
                        after=dal.to_organization(item))
    return dal.to_organization(item)


def me(caller: Principal) -> Me:
    user = dal.get_user_item(caller.org_id, caller.user_id)
    org = dal.get_org_item(caller.org_id)
    if user is None or org is None:
        raise NotFound("your user is not registered in this organization")
    return Me(user=dal.to_user(user), organization=dal.to_organization(org))


def list_users(caller: Principal, limit: int, cursor: str | None) -> Page[User]:
    return dal.list_user_items(caller.org_id, limit=limit, cursor=cursor)


def get_user(caller: Principal, user_id: str) -> User:
    item = dal.get_user_item(caller.org_id, user_id)
    if item is None:
        raise NotFound(f"user {user_id} not found")
    return dal.to_user(item)


def _caller_still_has_role(tx: TransactWrite, caller: Principal) -> None:
    """The caller's own user must still hold the role its token names: two admins who demote or remove
    each other, one with a token from before its own demotion, must not leave the org without one."""
    tx.condition_check(UserItem, org_pk(caller.org_id), dal.user_sk(caller.user_id),
                       condition=UserItem.role == caller.role.value)


def _lost(caller: Principal, message: str) -> Callable[[set[str]], DomainError]:
    def conflict(_: set[str]) -> DomainError:
        mine = dal.get_user_item(caller.org_id, caller.user_id, consistent=True)
        if mine is None or mine.role != caller.role.value:
            return Forbidden("your role changed since you signed in (or you were removed): sign in again")
        return Conflict(message)

    return conflict


def _check_role_fits(caller: Principal, role: Role) -> None:
    if role.org_kind is not caller.org_kind:
        allowed = ", ".join(r.value for r in Role if r.org_kind is caller.org_kind)
        raise Unprocessable.field("role", f"a {caller.org_kind.value} user's role is one of: {allowed}")


def _check_version(stored: int | None, expected: int, what: str) -> None:
    if (stored or 0) != expected:
        raise Conflict(f"the {what} is at version {stored}, not {expected}: reload it and try again")


def create_user(caller: Principal, body: UserCreate) -> User:
    """Add a user to the caller's organization; they get a welcome email (through the outbox)."""
    _check_role_fits(caller, body.role)
    org = dal.get_org_item(caller.org_id)
    if org is None:
        raise NotFound("your organization is not registered")
    return add_user(caller, org, body)


def add_user(actor: Principal, org: OrgItem, body: UserCreate) -> User:
    """Add a user to `org` (the caller's, or a fleet's internal team: partners/teams.py, whose caller checked
    the role fits the team); they get a welcome email (through the outbox)."""
    now = utc_now()
    user_id = new_id("usr")
    email = str(body.email).lower()
    item = UserItem(
        org_pk(org.org_id), dal.user_sk(user_id), user_id=user_id, org_id=org.org_id,
        email=email, name=body.name, role=body.role.value, created_at=now, updated_at=now,
    )
    with atomic(f"{email} is already a user of Fleetbridge") as tx:
        tx.save(item, condition=UserItem.pk.does_not_exist())
        add_claim(tx, dal.member_claim_pk(user_id), user_id, org.org_id)
        add_claim(tx, email_claim_pk(email), user_id, org.org_id)
        add_audit_event(tx, org_id=org.org_id, actor=actor, action="user.created",
                        target_type="user", target_id=user_id, after=dal.to_user(item))
        # their Cognito account and its invitation (shared/orgs/accounts.py), once this commits
        add_message(tx, kind=ACCOUNT_MESSAGE,
                    payload={"email": email, "user_id": user_id, "org_name": org.name,
                             "invited_by": actor.email or None})
    return dal.to_user(item)


def add_team_organization(tx: TransactWrite, actor: Principal, fleet: OrgItem, name: str,
                          partner_id: str) -> OrgItem:
    """In `tx`: a fleet's internal team, an organization of vendor users inside the fleet (partners/teams.py
    makes it the fleet's partner in the same transaction). It has the fleet's address and contact, its own
    partner ID (claimed here: the transaction fails if taken), and no place in vendor search."""
    now = utc_now()
    org_id = new_id("org")
    org = OrgItem(org_pk(org_id), PROFILE, org_id=org_id, name=name, kind=OrgKind.VENDOR.value,
                  address=fleet.address, contact_email=fleet.contact_email, services_offered=[],
                  partner_id=partner_id, team_of=fleet.org_id, created_at=now, updated_at=now)
    locate_vendor(org)  # lat/lng from the fleet's address; a team gets no geo index keys
    tx.save(org, condition=OrgItem.pk.does_not_exist())
    add_claim(tx, dal.partner_claim_pk(partner_id), org_id, org_id)
    add_audit_event(tx, org_id=org_id, actor=actor, action="organization.created", target_type="organization",
                    target_id=org_id, after=dal.to_organization(org))
    return org


def update_user(caller: Principal, user_id: str, body: UserUpdate) -> User:
    item = dal.get_user_item(caller.org_id, user_id)
    if item is None:
        raise NotFound(f"user {user_id} not found")
    if body.role is not None:
        _check_role_fits(caller, body.role)
        if user_id == caller.user_id and body.role.value != item.role:
            raise Conflict("you cannot change your own role; ask another administrator")
    _check_version(item.version, body.version, "user")
    before = dal.to_user(item)
    if body.name is not None:
        item.name = body.name
    if body.role is not None:
        item.role = body.role.value
    item.updated_at = utc_now()
    action = "user.role_changed" if before.role.value != item.role else "user.updated"
    with atomic(_lost(caller, "the user was changed by someone else; reload and try again")) as tx:
        if user_id == caller.user_id:
            tx.save(item, condition=UserItem.role == caller.role.value)
        else:
            _caller_still_has_role(tx, caller)
            tx.save(item)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action=action, target_type="user",
                        target_id=user_id, before=before, after=dal.to_user(item))
    return dal.to_user(item)


def delete_user(caller: Principal, user_id: str) -> None:
    """Remove a user from the organization: their access ends, their email is free again."""
    if user_id == caller.user_id:
        raise Conflict("you cannot remove yourself; ask another administrator")
    item = dal.get_user_item(caller.org_id, user_id)
    if item is None:
        raise NotFound(f"user {user_id} not found")
    with atomic(_lost(caller, "the user was changed meanwhile; reload and try again")) as tx:
        _caller_still_has_role(tx, caller)
        tx.delete(item)
        release_claim(tx, dal.member_claim_pk(user_id), user_id)
        release_claim(tx, email_claim_pk(item.email), user_id)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="user.removed", target_type="user",
                        target_id=user_id, before=dal.to_user(item))
        add_message(tx, kind=ACCOUNT_MESSAGE, payload={"email": item.email})  # disabled, signed out everywhere

