"""Jobs API: the fleet's installation and maintenance jobs and templates, the partner's jobs and vehicles."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.jobs.routes import router as jobs_router
from shared.settings import get_settings

settings = get_settings()
# each capability's router; keep one per line
ROUTERS = [
    jobs_router,
]
app = build_resolver(*ROUTERS)
lambda_handler = entry_point(app)
