"""Data access of organizations and users: partition ORG#{org_id}, uniqueness claims beside it."""

from __future__ import annotations

from collections.abc import Iterator

from shared.db.claims import CLAIM, ClaimItem, email_claim_pk
from shared.db.keys import PROFILE, org_pk
from shared.db.pagination import Page, query_page
from shared.orgs.models import Organization, OrgItem, User, UserItem


def user_sk(user_id: str) -> str:
    return f"USER#{user_id}"


def member_claim_pk(user_id: str) -> str:
    """One membership per login: a user belongs to exactly one organization."""
    return f"MEMBER#{user_id}"


def partner_claim_pk(partner_id: str) -> str:
    return f"PARTNER#{partner_id}"


def to_organization(item: OrgItem) -> Organization:
    return Organization.model_validate(item)

def to_user(item: UserItem) -> User:
    return User.model_validate(item)

def get_org_item(org_id: str) -> OrgItem | None:
    return OrgItem.find(org_pk(org_id), PROFILE)


def get_email_claim(email: str) -> ClaimItem | None:
    """Who holds this email address in Fleetbridge (the user and its organization), if anyone."""
    return ClaimItem.find(email_claim_pk(email), CLAIM, consistent_read=True)


def get_user_item(org_id: str, user_id: str, *, consistent: bool = False) -> UserItem | None:
    return UserItem.find(org_pk(org_id), user_sk(user_id), consistent_read=consistent)


def list_user_items(org_id: str, *, limit: int, cursor: str | None) -> Page[User]:
    return query_page(
        UserItem.query,
        org_pk(org_id),
        range_key_condition=UserItem.sk.startswith("USER#"),
        limit=limit,
        cursor=cursor,
        convert=to_user,
    )


def users_of(org_id: str) -> Iterator[UserItem]:
    """Every user of an organization (a Query of its USER# range, all pages): who a notification may mail."""
    return UserItem.query(org_pk(org_id), UserItem.sk.startswith("USER#"))


def org_id_of_email(email: str) -> str | None:
    """The organization of the user who signs in with this address, if anyone does."""
    claim = get_email_claim(email.strip().lower())
    return claim.org_id if claim is not None else None


def org_id_of_partner(partner_id: str) -> str | None:
    """The vendor organization that holds this 5-character partner ID (its sign-up claim), if any."""
    claim = ClaimItem.find(partner_claim_pk(partner_id.strip().upper()), CLAIM, consistent_read=True)
    return claim.owner_id if claim is not None else None
