"""Building job items: a new PENDING job; the fleet's ACCEPTED partner it may be assigned to, and the
check, at commit, that the partner still is.

Used by the single create, the CSV import and the transitions alike (assigning: transitions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from shared.assets.public import AssetItem
from shared.auth.principal import Principal
from shared.connections.public import CONN, ConnectionItem, ConnectionStatus, RelationshipItem, connection_pk, count
from shared.db.keys import org_pk
from shared.errors import Conflict, Unprocessable
from shared.ids import new_id
from shared.jobs import changes, dal
from shared.jobs.models import JobItem, JobStatus
from shared.partners.public import PartnerInvitationItem, PartnerRecord, PartnerStatus, accepted_partner, invitation_sk
from shared.portal.public import vendor_site_ids

JOB_DATA = ("title", "description", "configuration", "due_date", "site_id")


@dataclass(frozen=True)
class JobOrigin:
    """Where a new job comes from, all optional: the template it was made from, the CSV import that
    created it, and the job id that import fixed for it (a resumed import writes the same ids)."""

    template_id: str | None = None
    import_id: str | None = None
    job_id: str | None = None
    duplicate_of: str | None = None  # POST /jobs/{id}/duplicate: the job it copies


BY_HAND = JobOrigin()  # no template, no import, a new id


def new_job_item(caller: Principal, asset: AssetItem, kind: str, data: dict[str, Any], at: datetime,
                 origin: JobOrigin = BY_HAND) -> JobItem:
    job_id = origin.job_id or new_id("job")
    item = JobItem(dal.job_pk(job_id), dal.JOB, job_id=job_id, fleet_id=caller.org_id, kind=kind,
                   status=JobStatus.PENDING.value, asset_id=asset.asset_id, vin=asset.vin,
                   template_id=origin.template_id, import_id=origin.import_id, created_by=caller.user_id,
                   created_at=at, updated_at=at, history=[])
    for key in JOB_DATA:
        setattr(item, key, data.get(key))
    note = f"a duplicate of job {origin.duplicate_of}" if origin.duplicate_of else None
    changes.append_history(item, caller, at, "created", None, note=note)
    dal.index(item)
    return item


def accepted(fleet_id: str, partner_id: str, field: str = "partner_id") -> PartnerRecord:
    """The fleet's ACCEPTED partner with this partner ID, or 422 on `field`."""
    record = accepted_partner(fleet_id, partner_id)
    if record is None:
        raise Unprocessable.field(field, f"{partner_id} is not an ACCEPTED installation partner of your fleet: "
                                         "invite it first (POST /partners/invitations)")
    return record


def check_site(site_id: str | None, partner: PartnerRecord | None, field: str = "site_id") -> None:
    """A job assigned to a partner at a site: the site must be the partner's (a vendor's customers' sites
    are its own), else its completed service could never reach the customer's portal. 422 on `field`."""
    if site_id and partner is not None and not vendor_site_ids(partner.partner_org_id or "", [site_id]):
        raise Unprocessable.field(field, f"site {site_id} is not a site of partner {partner.partner_id} "
                                         f"({partner.partner_name}): use one of its sites, or no site")


def check_vehicle(asset: AssetItem, partner: PartnerRecord | None, field: str = "asset_id") -> None:
    """A connected vendor works only on vehicles of the groups the fleet granted it: 422 naming the vehicle."""
    if partner is None or partner.connection_id is None:
        return
    if not set(asset.group_ids or ()) & set(partner.granted_group_ids or ()):
        raise Unprocessable.field(field, f"vehicle {asset.unit_number} ({asset.vin}) is in no group you granted to "
                                         f"{partner.partner_name} ({partner.partner_id}): grant one of its groups "
                                         f"(PUT /connections/{partner.connection_id}/groups), or assign another "
                                         "partner")


def partner_still_accepted(tx: TransactWrite, item: JobItem, *, override: bool = False, open_jobs: int = 0) -> None:
    """The partner record must still be ACCEPTED (and allow override, for an override edit) at commit; a
    connected vendor's connection must still be accepted (it never overrides); the fleet's internal team
    must still be its team (it never overrides either). `open_jobs` more open jobs are counted on the pair's
    record in the same write (the team's check rides on that write: one operation per item)."""
    partner_org = item.partner_org_id or ""
    if item.partner_team:
        if override:
            raise Conflict(f"{item.partner_name} is your fleet's internal team: it does not override a job's "
                           "configuration; the fleet edits the job")
        count(tx, item.fleet_id, partner_org, open_jobs=open_jobs, condition=RelationshipItem.team == True)  # noqa: E712
        return
    count(tx, item.fleet_id, partner_org, open_jobs=open_jobs)
    if item.partner_connection_id is not None:
        if override:
            raise Conflict(f"{item.partner_name} works the job through its connection: only an invited partner "
                           "with the override flag may change a job's configuration")
        tx.condition_check(ConnectionItem, connection_pk(item.partner_connection_id), CONN,
                           condition=ConnectionItem.status == ConnectionStatus.ACCEPTED.value)
        return
    assert item.partner_invitation_id is not None
    condition = (PartnerInvitationItem.status == PartnerStatus.ACCEPTED.value) & (
        PartnerInvitationItem.partner_org_id == item.partner_org_id)
    if override:
        condition &= PartnerInvitationItem.allow_override == True  # noqa: E712
    tx.condition_check(PartnerInvitationItem, org_pk(item.fleet_id), invitation_sk(
        item.partner_invitation_id), condition=condition)
