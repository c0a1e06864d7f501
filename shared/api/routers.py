"""Every router of the API but the docs': for the committed openapi.json (dev/openapi.py) and the tests."""

from __future__ import annotations

from shared.assets.routes import router as assets_router
from shared.audit.routes import router as audit_router
from shared.connections.routes import router as connections_router
from shared.fleetrock.routes import router as fleetrock_router
from shared.fleetrock.webhook_routes import router as fleetrock_webhook_router
from shared.groups.routes import router as groups_router
from shared.invitations.routes import router as invitations_router
from shared.jobs.partner_routes import router as partner_jobs_router
from shared.jobs.routes import router as jobs_router
from shared.jobs.template_routes import router as job_templates_router
from shared.orgs.routes import router as orgs_router
from shared.partners.routes import router as partners_router
from shared.portal.customer_routes import router as portal_customer_router
from shared.portal.vendor_routes import router as portal_vendor_router
from shared.push.routes import router as push_router
from shared.search.routes import router as search_router
from shared.services.routes import router as services_router

# one per line; the connections handler has the same ones as functions/connections/handler.py ROUTERS
ALL_ROUTERS = (
    orgs_router,
    assets_router,
    groups_router,
    audit_router,
    connections_router,
    search_router,
    invitations_router,
    services_router,
    partners_router,
    jobs_router,
    job_templates_router,
    partner_jobs_router,
    portal_vendor_router,
    portal_customer_router,
    fleetrock_router,
    fleetrock_webhook_router,
    push_router,
)
