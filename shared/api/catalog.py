"""Which Lambda handler serves which paths: read by the CDK stack and the local dev server alike."""

from __future__ import annotations

# handler folder under functions/ -> the first path segments it serves
API_HANDLERS: dict[str, tuple[str, ...]] = {
    "organizations": ("organizations", "users", "me"),
    "assets": ("assets", "groups"),
    "audit": ("audit",),
    "connections": (
        "connections",
        "notifications",
        "fleets",
        "vendors",
        "invitations",
        "services",
        "service-connections",
        "partners",
        "partner-invitations",
    ),
    # jobs.md: the fleet's jobs and templates, the partner's jobs and its time-boxed vehicles
    "jobs": ("jobs", "job-templates", "partner", "vehicles"),
    # portal.md, vendor side: customers, sites, customer users, portal links, completed services
    "customers": ("customers", "sites", "customer-users"),
    # portal.md, the customer's side: link exchange and portal views (portal session token)
    "portal": ("portal",),
    # fleetrock.md: integration set-up, inbox replay, dispatch
    "integrations": ("integrations", "dispatch"),
    # fleetrock.md: Fleetrock's signed webhooks
    "fleetrock_webhook": ("webhooks",),
    # fleetrock.md: push subscriptions and their deliveries
    "subscriptions": ("subscriptions",),
    "docs": ("swagger",),
}
# API handlers whose routes need no token (API Gateway: no authorizer; dev server: no check), GET only
PUBLIC_HANDLERS: frozenset[str] = frozenset({"docs"})
# API handlers behind no Cognito authorizer that authenticate every request themselves, any method:
# the Fleetrock webhook (HMAC signature of the body) and the customer portal (signed link / session token)
SELF_AUTHENTICATED_HANDLERS: frozenset[str] = frozenset({"fleetrock_webhook", "portal"})
# API handlers that only read the table (IAM: no write action on it)
READ_ONLY_HANDLERS: frozenset[str] = frozenset({"audit"})
# handlers not behind API Gateway
EVENT_HANDLERS: tuple[str, ...] = ("stream_processor", "push_retry", "maintenance_refresh")


def handler_for_path(path: str) -> str | None:
    """The API handler that serves `path`, or None when no handler does."""
    first = path.strip("/").split("/", 1)[0]
    for name, segments in API_HANDLERS.items():
        if first in segments:
            return name
    return None
