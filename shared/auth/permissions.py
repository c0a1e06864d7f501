"""Who may do what: one table, role -> allowed actions. Every route names its action."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler.request import Request

from shared.auth.dependencies import Credential, declare, route_credential
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
    # connections (connections.md): all roles unless the table below says otherwise
    CONNECTION_READ = "connection:read"
    CONNECTION_WRITE = "connection:write"  # request, accept, reject, cancel, disconnect
    CONNECTION_GRANT = "connection:grant"  # fleet sets the groups a connected vendor sees
    SHARED_ASSET_READ = "shared_asset:read"  # vendor reads a connected fleet's granted assets
    NOTIFICATION_READ = "notification:read"
    FLEETS_WORKED_READ = "relationship:fleets"  # vendor: the fleets it works with (GET /vendor/fleets)
    VENDORS_WORKING_READ = "relationship:vendors"  # fleet: the vendors that work with it (GET /fleet/vendors)
    INVITE = "invite:send"  # invite someone not in the network
    VENDOR_SEARCH = "vendor:search"  # fleet finds vendors by ZIP + radius
    FLEET_LOOKUP = "fleet:lookup"  # vendor finds fleets by VIN
    SERVICE_MANAGE = "service:manage"  # fleet: its services, merchant requests on them
    MERCHANT = "merchant:act"  # vendor: request a fleet service, place orders on it
    PARTNER_MANAGE = "partner:manage"  # fleet: invite installation partners, override flag
    TEAM_MANAGE = "team:manage"  # fleet admin: its internal teams (its own shop) and their users
    PARTNER_ACCEPT = "partner:accept"  # vendor admin: accept an installation partner invitation
    # jobs (jobs.md)
    JOB_READ = "job:read"  # fleet: list and read its jobs and templates
    JOB_MANAGE = "job:manage"  # fleet: create, edit, assign, unassign, delete, import, bulk; templates
    PARTNER_JOB = "partner_job:act"  # vendor (installation partner): its jobs, start/finish, its job's vehicle
    # customer portal (portal.md), vendor side
    PORTAL_MANAGE = "portal:manage"  # customers, sites, customer users, portal links, completed services
    # Fleetrock integration (fleetrock.md)
    INTEGRATION_MANAGE = "integration:manage"  # configure, activate, deactivate, replay inbox events
    DISPATCH_READ = "dispatch:read"  # dispatch list and check: maintenance status before assigning
    SUBSCRIPTION_MANAGE = "subscription:manage"  # push subscriptions and their deliveries (fleet admins)


_EVERYONE = {
    Action.ORG_READ,
    Action.USER_READ,
    Action.CONNECTION_READ,
    Action.CONNECTION_WRITE,
    Action.NOTIFICATION_READ,
    Action.INVITE,
}
_FLEET = {Action.CONNECTION_GRANT, Action.VENDOR_SEARCH, Action.SERVICE_MANAGE, Action.PARTNER_MANAGE,
          Action.VENDORS_WORKING_READ}
_VENDOR = {Action.SHARED_ASSET_READ, Action.FLEET_LOOKUP, Action.MERCHANT, Action.PARTNER_JOB, Action.PORTAL_MANAGE,
           Action.FLEETS_WORKED_READ}
_FLEET_READ = _EVERYONE | _FLEET | {Action.ASSET_READ, Action.GROUP_READ, Action.JOB_READ, Action.DISPATCH_READ}
_FLEET_ADMIN = _FLEET_READ | {
    Action.ORG_UPDATE,
    Action.USER_MANAGE,
    Action.ASSET_WRITE,
    Action.GROUP_WRITE,
    Action.AUDIT_READ,
    Action.JOB_MANAGE,
    Action.INTEGRATION_MANAGE,
    Action.SUBSCRIPTION_MANAGE,
    Action.TEAM_MANAGE,
}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.CUSTOMER: frozenset(_FLEET_READ),
    Role.CUSTOMER_ADMIN: frozenset(_FLEET_ADMIN),
    Role.MANAGER: frozenset(_FLEET_ADMIN),
    Role.VENDOR: frozenset(_EVERYONE | _VENDOR),
    Role.VENDOR_ADMIN: frozenset(
        _EVERYONE | _VENDOR | {Action.ORG_UPDATE, Action.USER_MANAGE, Action.AUDIT_READ, Action.PARTNER_ACCEPT}
    ),
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
    return declare(caller, Credential(action))


def signed_in(request: Request) -> Identity:
    """A route dependency for routes open to any signed-in user (sign-up)."""
    return identity_from_event(request.resolved_event.raw_event)


declare(signed_in, Credential("signed_in", precheck=signed_in))


def check_caller(route_func: Callable[..., Any], request: Request) -> None:
    """The route's own credential and role checks, run before its input is validated
    (shared/api/resolver.py), so 401 and 403 come before 422: a caller who may not use a route
    learns nothing about what it accepts. The route's dependency checks the same again (one with a
    `precheck`, such as the portal's, runs only that here)."""
    found = _route_credential(route_func)
    if found is None:
        return
    requirement, precheck = found[1].requirement, found[1].precheck
    if isinstance(requirement, Action):
        authorize(principal_from_event(request.resolved_event.raw_event), requirement)
    elif precheck is not None:
        precheck(request)


@cache
def _route_credential(route_func: Callable[..., Any]) -> tuple[Callable[..., Any], Credential] | None:
    return route_credential(route_func)
