"""Audit API: GET /audit."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.audit.routes import router
from shared.coldstart import initialized
from shared.settings import get_settings

settings = get_settings()
app = build_resolver(router)
lambda_handler = entry_point(app)
initialized()  # last line: the cold start is over (shared/coldstart.py)
