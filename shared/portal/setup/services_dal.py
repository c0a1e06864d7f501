"""Data access of the services completed at a site, by completion time."""

from __future__ import annotations

from datetime import datetime

from pynamodb.expressions.condition import Condition

from shared.db.claims import CLAIM, ClaimItem
from shared.db.pagination import Page, query_page
from shared.portal.items import SiteServiceItem
from shared.portal.setup.models import SiteService


def services_pk(org_id: str, site_id: str) -> str:
    return f"ORG#{org_id}#SITE#{site_id}#SERVICES"


def service_sk(completed_at: datetime, service_id: str) -> str:
    return f"{_iso(completed_at)}#{service_id}"


def job_claim_pk(job_id: str) -> str:
    """One recorded service per job, however often the stream delivers its SUCCEEDED record."""
    return f"JOBSERVICE#{job_id}"


def job_recorded(job_id: str) -> bool:
    return ClaimItem.find(job_claim_pk(job_id), CLAIM, consistent_read=True) is not None


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def to_service(item: SiteServiceItem) -> SiteService:
    return SiteService.model_validate(item)


def _between(start: datetime, end: datetime) -> Condition:
    # the sort key starts with the completion time; "~" sorts after "#<id>" so `end` is inclusive
    return SiteServiceItem.sk.between(_iso(start), f"{_iso(end)}~")


def list_services(org_id: str, site_id: str, start: datetime, end: datetime, *, limit: int,
                  cursor: str | None) -> Page[SiteService]:
    """A vendor's page of a site's services in [start, end], newest first."""
    return query_page(SiteServiceItem.query, services_pk(org_id, site_id), range_key_condition=_between(start, end),
                      scan_index_forward=False, limit=limit, cursor=cursor, convert=to_service)


def services_in_range(org_id: str, site_id: str, start: datetime, end: datetime,
                      service_name: str | None = None, limit: int | None = None) -> list[SiteServiceItem]:
    """A site's services in [start, end], newest first, optionally only one service name (case-insensitive)."""
    condition = None
    if service_name:
        condition = SiteServiceItem.service_name_folded == service_name.casefold()
    query = SiteServiceItem.query(services_pk(org_id, site_id), _between(start, end), filter_condition=condition,
                                  scan_index_forward=False)
    found = []
    for item in query:
        found.append(item)
        if limit is not None and len(found) >= limit:
            break
    return found
