"""Connections API: finding each other, connection requests, group access, notifications,
invitations, fleet services and merchants, installation partners."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.coldstart import initialized
from shared.connections.routes import router as connections_router
from shared.invitations.routes import router as invitations_router
from shared.partners.routes import router as partners_router
from shared.search.routes import router as search_router
from shared.services.routes import router as services_router
from shared.settings import get_settings

settings = get_settings()
# each capability's router; keep one per line
ROUTERS = [
    connections_router,
    search_router,
    invitations_router,
    services_router,
    partners_router,
]
app = build_resolver(*ROUTERS)
lambda_handler = entry_point(app)
initialized()  # last line: the cold start is over (shared/coldstart.py)
