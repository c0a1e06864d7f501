"""Which Lambda handler serves which paths: read by the CDK stack and the local dev server alike."""

from __future__ import annotations

from functools import cache

# handler folder under functions/ -> the module of each router it serves (its `router`, included in
# this order) -> the first path segments of that router's routes. A router is imported on the first
# request to one of its segments (shared/api/lazy_routers.py), so a cold start loads no route code.
API_HANDLERS: dict[str, dict[str, tuple[str, ...]]] = {
    # a user's email preferences for notifications are the user's own: /me/notification-preferences
    "organizations": {"shared.orgs.routes": ("organizations", "users", "me"),
                      "shared.notifications.preference_routes": ("me",)},
    # an asset's events (its Fleetrock repair orders) are served with the assets
    "assets": {"shared.assets.routes": ("assets",), "shared.assets.groups.routes": ("groups",),
               "shared.fleetrock.history.routes": ("assets",)},
    "audit": {"shared.audit.routes": ("audit",)},
    "connections": {
        "shared.connections.routes": ("connections", "fleets"),
        "shared.notifications.routes": ("notifications",),
        "shared.search.routes": ("vendors", "fleets"),
        "shared.invitations.routes": ("invitations",),
        "shared.services.routes": ("services", "service-connections"),
        "shared.partners.routes": ("partners", "partner-invitations"),
        "shared.connections.pair_routes": ("vendor", "fleet"),
        "shared.partners.team_routes": ("teams",),
    },
    # jobs.md: the fleet's jobs and templates, the partner's jobs and its time-boxed vehicles
    "jobs": {
        "shared.jobs.routes": ("jobs",),
        "shared.jobs.template_routes": ("job-templates",),
        "shared.jobs.partner_routes": ("partner", "vehicles"),
    },
    # portal.md, vendor side: customers, sites, customer users, portal links, completed services
    "customers": {"shared.portal.setup.routes": ("customers", "sites", "customer-users")},
    # portal.md, the customer's side: link exchange and portal views (portal session token)
    "portal": {"shared.portal.view.routes": ("portal",)},
    # fleetrock.md: integration set-up, inbox replay; dispatch (maintenance statuses, fed by Fleetrock)
    "integrations": {"shared.fleetrock.integration.routes": ("integrations",),
                     "shared.maintenance.routes": ("dispatch",)},
    # fleetrock.md: Fleetrock's signed webhooks
    "fleetrock_webhook": {"shared.fleetrock.inbox.webhook_routes": ("webhooks",)},
    # fleetrock.md: push subscriptions and their deliveries
    "subscriptions": {"shared.push.routes": ("subscriptions",)},
    # the API's OpenAPI (and Swagger UI), and the AsyncAPI of the pushes we send (README: Receiving pushes)
    "docs": {"shared.api.docs": ("swagger", "openapi.json", "asyncapi.yaml")},
}
# API handlers whose routes need no token (API Gateway: no authorizer; dev server: no check), GET only
PUBLIC_HANDLERS: frozenset[str] = frozenset({"docs"})
# API handlers behind no Cognito authorizer that authenticate every request themselves, any method:
# the Fleetrock webhook (HMAC signature of the body) and the customer portal (signed link / session token)
SELF_AUTHENTICATED_HANDLERS: frozenset[str] = frozenset({"fleetrock_webhook", "portal"})
# API handlers that only read the table (IAM: no write action on it)
READ_ONLY_HANDLERS: frozenset[str] = frozenset({"audit"})
# handlers not behind API Gateway
# (token_claims: Cognito's Pre Token Generation trigger, the ID token's tenancy from the table)
EVENT_HANDLERS: tuple[str, ...] = ("stream_processor", "push_retry", "maintenance_refresh", "token_claims")


def segments_of(handler: str) -> tuple[str, ...]:
    """The first path segments an API handler serves, each once (API Gateway: one resource each)."""
    return tuple(dict.fromkeys(s for served in API_HANDLERS[handler].values() for s in served))


def handler_for_path(path: str) -> str | None:
    """The API handler that serves `path`, or None when no handler does."""
    return _handler_of_segment().get(path.strip("/").split("/", 1)[0])


@cache
def _handler_of_segment() -> dict[str, str]:
    """First path segment -> its API handler (the dev server asks at every request)."""
    found: dict[str, str] = {}
    for name in API_HANDLERS:
        for segment in segments_of(name):
            found.setdefault(segment, name)
    return found
