"""The tenancy claims of a user's ID token, read from our table when Cognito issues the token.

Cognito's Pre Token Generation trigger (functions/token_claims) asks, at every sign-in and token
refresh, who the signed-in person is in Fleetbridge: the user that holds their verified email
address (its EMAIL# claim: the organization's creator, or a user an admin added). Their
organization, role and user id go into the ID token as `custom:org_id`, `custom:role` and
`custom:user_id` (shared/auth/principal.py reads them). Nobody writes tenancy into Cognito, so it
cannot drift from the table: a role change or a removal takes effect at the next refresh. An
unverified email gets no tenancy: whoever cannot read that mailbox cannot become its user.
"""

from __future__ import annotations

from pydantic import ConfigDict

from shared.auth.principal import Role
from shared.base_models import Model
from shared.orgs import dal

ORG_CLAIM, ROLE_CLAIM, USER_CLAIM = "custom:org_id", "custom:role", "custom:user_id"


class Tenancy(Model):
    """Who a signed-in person is in Fleetbridge."""

    model_config = ConfigDict(frozen=True)
    user_id: str
    org_id: str
    role: Role

    def claims(self) -> dict[str, str]:
        return {ORG_CLAIM: self.org_id, ROLE_CLAIM: self.role.value, USER_CLAIM: self.user_id}


def tenancy_of(email: str | None, email_verified: bool) -> Tenancy | None:
    """The user holding this verified email address, with its organization and role; None if none."""
    if not email or not email_verified:
        return None
    claim = dal.get_email_claim(email.strip().lower())
    # consistent: the token refreshed right after sign-up or a role change must see it
    user = dal.get_user_item(claim.org_id, claim.owner_id, consistent=True) if claim is not None else None
    if user is None:
        return None
    return Tenancy(user_id=user.user_id, org_id=user.org_id, role=Role(user.role))
