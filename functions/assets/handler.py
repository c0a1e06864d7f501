"""Assets API: assets and asset groups."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.assets.routes import router as assets_router
from shared.coldstart import initialized
from shared.groups.routes import router as groups_router
from shared.settings import get_settings

settings = get_settings()
app = build_resolver(assets_router, groups_router)
lambda_handler = entry_point(app)
initialized()  # last line: the cold start is over (shared/coldstart.py)
