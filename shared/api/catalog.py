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
    "docs": ("swagger",),
}
# API handlers whose routes need no token (API Gateway: no authorizer; dev server: no check)
PUBLIC_HANDLERS: frozenset[str] = frozenset({"docs"})
# handlers not behind API Gateway
EVENT_HANDLERS: tuple[str, ...] = ("stream_processor",)


def handler_for_path(path: str) -> str | None:
    """The API handler that serves `path`, or None when no handler does."""
    first = path.strip("/").split("/", 1)[0]
    for name, segments in API_HANDLERS.items():
        if first in segments:
            return name
    return None
