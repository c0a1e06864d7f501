"""Jobs API: the fleet's installation and maintenance jobs and templates, the partner's jobs and vehicles."""

from __future__ import annotations

from shared.api.resolver import build_resolver, entry_point
from shared.coldstart import initialized
from shared.jobs.partner_routes import router as partner_jobs_router
from shared.jobs.routes import router as jobs_router
from shared.jobs.template_routes import router as job_templates_router
from shared.settings import get_settings

settings = get_settings()
# each capability's router; keep one per line
ROUTERS = [
    jobs_router,
    job_templates_router,
    partner_jobs_router,
]
app = build_resolver(*ROUTERS)
lambda_handler = entry_point(app)
initialized()  # last line: the cold start is over (shared/coldstart.py)
