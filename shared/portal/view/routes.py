"""The portal routes a vendor's customer users call: open a link, see sites and what was done there;
and the page that calls them (`GET /portal` and its files: page.py), public like any web page.

No Cognito here: each route's dependency checks the portal token itself (shared/portal/view/auth.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.api.params import source_ip
from shared.portal import ranges
from shared.portal.ranges import From, To, parse_when
from shared.portal.view import page, session, views
from shared.portal.view.auth import portal_link, portal_session
from shared.portal.view.models import MapSites, PortalProfile, PortalSession, SiteDetail
from shared.portal.view.session import PortalCaller

router = Router()
Link = Annotated[PortalCaller, Depends(portal_link)]
Session = Annotated[PortalCaller, Depends(portal_session)]
SiteId = Annotated[str, Path(max_length=64)]
ServiceFilter = Annotated[str | None, Query(max_length=120,
                                            description="only this service name (can_filter_geofence_by_service)")]
TAGS = ["portal"]


def _source_ip() -> str | None:
    return source_ip(router.current_event.raw_event)


def _range(from_: str | None, to: str | None) -> tuple[datetime, datetime]:
    return ranges.date_range(parse_when(from_, "from"), parse_when(to, "to", end_of_day=True))


PAGE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY"}


@router.get("/portal", include_in_schema=False)
def portal_page() -> Response[str]:
    """The page a portal link opens (its token in the fragment, which no request carries)."""
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=page.page_html(),
                    headers={**PAGE_HEADERS, "Content-Security-Policy": page.content_security_policy()})


@router.get("/portal/assets/<name>", include_in_schema=False)
def portal_asset(name: Annotated[str, Path(max_length=64)]) -> Response[str]:
    body, content_type = page.asset(name)
    return Response(status_code=200, content_type=content_type, body=body,
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


@router.post("/portal/session", tags=TAGS,
             summary="Open a portal link: send the link token as Bearer, get a session token for an hour",
             responses={201: {"description": "session opened"}})
def open_link(caller: Link) -> tuple[PortalSession, int]:
    return session.exchange(caller, _source_ip()), 201


@router.get("/portal/me", tags=TAGS, summary="Who you are in the portal, and what your portal shows")
def get_me(caller: Session) -> PortalProfile:
    session.record(caller, "view_me", _source_ip())
    return session.profile(caller)


@router.get("/portal/sites", tags=TAGS, summary="Your sites on a map: lat/lng, geofence, serviced in the range")
def list_sites(caller: Session, from_: From = None, to: To = None, service: ServiceFilter = None) -> MapSites:
    start, end = _range(from_, to)
    answer = views.map_sites(caller, start, end, service)
    session.record(caller, "view_sites", _source_ip())
    return answer


@router.get("/portal/sites/<site_id>", tags=TAGS,
            summary="One site: the services completed there in the range, as your portal permits")
def get_site(site_id: SiteId, caller: Session, from_: From = None, to: To = None,
             service: ServiceFilter = None) -> SiteDetail:
    start, end = _range(from_, to)
    answer = views.site_detail(caller, site_id, start, end, service)
    session.record(caller, "view_site", _source_ip(), site_id=site_id)
    return answer
