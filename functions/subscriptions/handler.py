"""Push subscriptions of a fleet and their deliveries."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.coldstart import initialized
from shared.push.routes import router as push_router
from shared.settings import get_settings

settings = get_settings()
# each capability's router; keep one per line
ROUTERS = [
    push_router,
]
app = build_resolver(*ROUTERS)
lambda_handler = entry_point(app)
initialized()  # last line: the cold start is over (shared/coldstart.py)
