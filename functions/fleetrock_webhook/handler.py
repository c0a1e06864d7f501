"""Fleetrock's signed webhooks: verified, stored in the inbox, answered 202."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.fleetrock.webhook_routes import router as fleetrock_webhook_router
from shared.settings import get_settings

settings = get_settings()
# each capability's router; keep one per line
ROUTERS = [
    fleetrock_webhook_router,
]
app = build_resolver(*ROUTERS)
lambda_handler = entry_point(app)
