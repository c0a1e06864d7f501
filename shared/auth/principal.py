"""Who is calling: the claims API Gateway's authorizer (or the local dev server) put in the event."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import ConfigDict

from shared.base_models import Model
from shared.errors import Forbidden, Unauthenticated


class OrgKind(StrEnum):
    FLEET = "fleet"
    VENDOR = "vendor"


class Role(StrEnum):
    CUSTOMER = "customer"
    CUSTOMER_ADMIN = "customer_admin"
    MANAGER = "manager"
    VENDOR = "vendor"
    VENDOR_ADMIN = "vendor_admin"

    @property
    def org_kind(self) -> OrgKind:
        return OrgKind.VENDOR if self in (Role.VENDOR, Role.VENDOR_ADMIN) else OrgKind.FLEET


ROLES_OF_KIND: dict[OrgKind, tuple[Role, ...]] = {
    kind: tuple(r for r in Role if r.org_kind is kind) for kind in OrgKind
}
ADMIN_ROLE_OF_KIND = {OrgKind.FLEET: Role.CUSTOMER_ADMIN, OrgKind.VENDOR: Role.VENDOR_ADMIN}


class Identity(Model):
    """An authenticated user, who may not belong to an organization yet (just signed up)."""

    model_config = ConfigDict(frozen=True)
    user_id: str
    email: str | None = None
    email_verified: bool = False  # Cognito confirmed the address (a sign-up's code, or an invitation used)


class Principal(Identity):
    """An authenticated user acting for one organization with one role."""

    org_id: str
    role: Role

    @property
    def org_kind(self) -> OrgKind:
        return self.role.org_kind


def _claims(event: Any) -> dict[str, Any]:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims")
    return claims if isinstance(claims, dict) else {}


def identity_from_event(event: Any) -> Identity:
    """The caller: our user id (`custom:user_id`, which the token trigger takes from the table:
    shared/orgs/tenancy.py), else the sign-in's own `sub` (a person without a user yet)."""
    claims = _claims(event)
    sub = claims.get("sub")
    if not sub:
        raise Unauthenticated("sign in: this request carries no valid credentials")
    return Identity(user_id=str(claims.get("custom:user_id") or sub), email=claims.get("email"),
                    email_verified=str(claims.get("email_verified", "")).lower() == "true")


def principal_from_event(event: Any) -> Principal:
    identity = identity_from_event(event)
    claims = _claims(event)
    org_id, role = claims.get("custom:org_id"), claims.get("custom:role")
    if not org_id or not role:
        raise Forbidden("this user belongs to no organization yet: create or join one first")
    try:
        parsed_role = Role(role)
    except ValueError:
        raise Forbidden(f"unknown role {role!r}") from None
    return Principal(user_id=identity.user_id, email=identity.email, email_verified=identity.email_verified,
                     org_id=str(org_id), role=parsed_role)
