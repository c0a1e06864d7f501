"""Customer portal set-up (vendor side): customers, sites, customer users, portal links, services."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.coldstart import initialized
from shared.portal.vendor_routes import router as portal_vendor_router
from shared.settings import get_settings

settings = get_settings()
# each capability's router; keep one per line
ROUTERS = [
    portal_vendor_router,
]
app = build_resolver(*ROUTERS)
lambda_handler = entry_point(app)
initialized()  # last line: the cold start is over (shared/coldstart.py)
