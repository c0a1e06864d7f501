"""Fleetrock integration set-up, inbox replay, and dispatch (maintenance status per asset)."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.coldstart import initialized
from shared.fleetrock.routes import router as fleetrock_router
from shared.settings import get_settings

settings = get_settings()
# each capability's router; keep one per line
ROUTERS = [
    fleetrock_router,
]
app = build_resolver(*ROUTERS)
lambda_handler = entry_point(app)
initialized()  # last line: the cold start is over (shared/coldstart.py)
