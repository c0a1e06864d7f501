"""Stream work: a job with a site reaching SUCCEEDED becomes a completed service at that site.

Runs on the job item's MODIFY record (shared/streams/router.py). Idempotent: a claim keyed by
the job id is written in the same transaction as the service, so a redelivered record (or a
later edit of the succeeded job) records nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.assets.public import get_asset_item
from shared.db.base import atomic
from shared.db.claims import add_claim
from shared.errors import Conflict
from shared.ids import new_id, utc_now
from shared.observability import logger
from shared.portal.items import SiteServiceItem
from shared.portal.setup import services_dal, sites_dal

SUCCEEDED = "SUCCEEDED"


def _when(value: Any) -> datetime:
    if isinstance(value, str) and value:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    return utc_now()


def _vehicle(fleet_id: str, asset_id: str | None) -> dict[str, Any] | None:
    if not asset_id:
        return None
    asset = get_asset_item(fleet_id, asset_id) if fleet_id else None
    if asset is None:
        return {"unit_number": asset_id, "asset_id": asset_id, "vin": None}
    return {"unit_number": asset.unit_number, "asset_id": asset_id, "vin": asset.vin}


def record_job_service(image: dict[str, Any]) -> None:
    """Record the job's service at its site once, when the job succeeded at a site of its partner."""
    if image.get("status") != SUCCEEDED or not image.get("site_id") or not image.get("partner_org_id"):
        return
    job_id, org_id, site_id = str(image["job_id"]), str(image["partner_org_id"]), str(image["site_id"])
    claim_pk = services_dal.job_claim_pk(job_id)
    if services_dal.job_recorded(job_id):
        return
    site = sites_dal.get_site_item(org_id, site_id)
    if site is None:  # not a site of the vendor that did the job: nothing to show anyone
        logger.info("job site is not the partner's", extra={"job_id": job_id})
        return
    completed_at = _when(image.get("finished_at"))
    service_id = new_id("svc")
    title = str(image.get("title") or "Job")
    item = SiteServiceItem(
        services_dal.services_pk(org_id, site_id), services_dal.service_sk(completed_at, service_id),
        service_id=service_id, org_id=org_id, site_id=site_id, customer_id=site.customer_id, service_name=title,
        service_name_folded=title.casefold(), completed_at=completed_at,
        vehicle=_vehicle(str(image.get("fleet_id") or ""), image.get("asset_id")), picture_keys=[],
        job={"job_id": job_id, "title": title, "kind": str(image.get("kind") or "")}, source="job",
        recorded_by=job_id, recorded_at=utc_now())
    try:
        with atomic("recorded already") as tx:
            add_claim(tx, claim_pk, service_id, org_id)
            tx.save(item, condition=SiteServiceItem.pk.does_not_exist())
    except Conflict:
        return  # a concurrent delivery of the same record won: recorded once
