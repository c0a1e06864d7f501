"""Who may do what: one table, role -> allowed actions. Every route names its action."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from aws_lambda_powertools.event_handler.request import Request

from shared.auth.principal import Identity, Principal, Role, identity_from_event, principal_from_event
from shared.errors import Forbidden


class Action(StrEnum):
    ORG_READ = "org:read"
    ORG_UPDATE = "org:update"
    USER_READ = "user:read"
    USER_MANAGE = "user:manage"
    ASSET_READ = "asset:read"
    ASSET_WRITE = "asset:write"
    GROUP_READ = "group:read"
    GROUP_WRITE = "group:write"
    AUDIT_READ = "audit:read"


_EVERYONE = {Action.ORG_READ, Action.USER_READ}
_FLEET_READ = _EVERYONE | {Action.ASSET_READ, Action.GROUP_READ}
_FLEET_ADMIN = _FLEET_READ | {
    Action.ORG_UPDATE,
    Action.USER_MANAGE,
    Action.ASSET_WRITE,
    Action.GROUP_WRITE,
    Action.AUDIT_READ,
}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.CUSTOMER: frozenset(_FLEET_READ),
    Role.CUSTOMER_ADMIN: frozenset(_FLEET_ADMIN),
    Role.MANAGER: frozenset(_FLEET_ADMIN),
    Role.VENDOR: frozenset(_EVERYONE),
    Role.VENDOR_ADMIN: frozenset(_EVERYONE | {Action.ORG_UPDATE, Action.USER_MANAGE, Action.AUDIT_READ}),
}


def is_allowed(role: Role, action: Action) -> bool:
    return action in PERMISSIONS[role]


def authorize(principal: Principal, action: Action) -> None:
    if not is_allowed(principal.role, action):
        raise Forbidden(f"role {principal.role.value} may not {action.value}")


def requires(action: Action) -> Callable[[Request], Principal]:
    """A route dependency: the caller, checked against the table for `action`."""

    def caller(request: Request) -> Principal:
        principal = principal_from_event(request.resolved_event.raw_event)
        authorize(principal, action)
        return principal

    caller.__name__ = f"requires_{action.name.lower()}"
    caller.action = action  # type: ignore[attr-defined]
    return caller


def signed_in(request: Request) -> Identity:
    """A route dependency for routes open to any signed-in user (sign-up)."""
    return identity_from_event(request.resolved_event.raw_event)
