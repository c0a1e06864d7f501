"""The API's routes as the code declares them, with the action each one requires."""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth.dependencies import route_credential
from shared.auth.permissions import Action


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str  # with <param> placeholders
    requirement: Action | str | None  # an Action, "signed_in", "public", another scheme, or None (a defect)


def all_routes() -> list[RouteInfo]:
    from shared.api.docs import router as docs_router
    from shared.api.resolver import build_resolver
    from shared.api.routers import all_routers

    app = build_resolver(*all_routers(), docs_router)
    routes = []
    for route in [*app._static_routes, *app._dynamic_routes]:
        requirement: Action | str | None = None
        if not route.include_in_schema:
            requirement = "public"
        # an Action (role table), "signed_in", or a scheme the route checks itself for routes without
        # a user token: "portal_session", "portal_link", "webhook_signature"
        if (found := route_credential(route.func)) is not None:
            requirement = found[1].requirement
        routes.append(RouteInfo(route.method, route.path, requirement))
    return sorted(routes, key=lambda r: (r.path, r.method))
