"""API docs: /swagger serves the OpenAPI of the whole API (every handler's routes), offline."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.api.routers import ALL_ROUTERS
from shared.settings import get_settings

settings = get_settings()
app = build_resolver(*ALL_ROUTERS, swagger=True)
lambda_handler = entry_point(app)
