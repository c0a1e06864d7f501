"""Fleetrock's signed webhooks: verified, stored in the inbox, answered 202."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.coldstart import initialized
from shared.fleetrock.webhook import MAX_BODY_BYTES
from shared.fleetrock.webhook_routes import router as fleetrock_webhook_router
from shared.settings import get_settings

settings = get_settings()
# each capability's router; keep one per line
ROUTERS = [
    fleetrock_webhook_router,
]
app = build_resolver(*ROUTERS)
# its own 1 MB limit, and a non-JSON body is the route's 400 (fleetrock.md), not the resolver's 415
lambda_handler = entry_point(app, max_body_bytes=MAX_BODY_BYTES, json_only=False)
initialized()  # last line: the cold start is over (shared/coldstart.py)
