"""When a partner's relationship with a fleet ends, its open jobs there go back to the fleet.

An invited partner removed by the fleet, or that left it, a connection disconnected (by either
side), and an internal team removed by its fleet take back every ASSIGNED or RUNNING job the vendor held
through it: back to PENDING, its vehicle access revoked, audited, and the vendor told (the job's
unassignment notification); the fleet is told by the disconnection's own notification. The work comes
from the connection's stream record, so it is retried until done, and a job already taken back (a
redelivered record) is left alone.
"""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.condition import Condition

from shared.auth.principal import Principal, Role
from shared.errors import Conflict
from shared.jobs import dal, rules, transitions
from shared.jobs.models import JobItem, JobStatus
from shared.observability import logger
from shared.orgs.public import get_org_item


def connection_ended_record(image: dict[str, Any]) -> None:
    """Stream work on a connection's MODIFY: when it is disconnected, take its open jobs back."""
    if image.get("status") != "disconnected":
        return
    fleet_id, vendor_id = str(image["fleet_id"]), str(image["vendor_id"])
    vendor = get_org_item(vendor_id)
    if vendor is None or not vendor.partner_id:
        return
    jobs = _open_jobs(fleet_id, vendor.partner_id, JobItem.partner_connection_id == str(image["connection_id"]))
    _take_back(fleet_id, jobs, "the connection ended")


def partnership_ended_record(image: dict[str, Any]) -> None:
    """Stream work on a partner record's MODIFY: when the fleet removed it or the partner left, take its
    open jobs back."""
    if image.get("status") not in ("REMOVED", "LEFT") or not image.get("partner_id"):
        return
    fleet_id = str(image["fleet_id"])
    jobs = _open_jobs(fleet_id, str(image["partner_id"]), JobItem.partner_invitation_id == str(image["invitation_id"]))
    _take_back(fleet_id, jobs, "the partnership ended")


def team_removed_change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    """Stream work on a pair's record MODIFY: a fleet removed its internal team, whose open jobs go back."""
    if not old or not new or not old.get("team") or new.get("team") or not new.get("partner_id"):
        return
    fleet_id = str(new["fleet_id"])
    jobs = _open_jobs(fleet_id, str(new["partner_id"]), JobItem.partner_team == True)  # noqa: E712
    _take_back(fleet_id, jobs, "the team was removed")


def _take_back(fleet_id: str, jobs: list[JobItem], why: str) -> None:
    system = Principal(user_id="system:relationship-ended", org_id=fleet_id, role=Role.CUSTOMER_ADMIN)
    for job in jobs:
        try:
            transitions.transition(system, job, JobStatus.PENDING, version=None, note=why, system=True)
        except Conflict:
            logger.info("job changed while its partner's relationship ended: left as it is",
                        extra={"job_id": job.job_id})


def _open_jobs(fleet_id: str, partner_id: str, through: Condition) -> list[JobItem]:
    """The fleet's open jobs of the partner that came `through` one relationship (gsi3: by partner, every shard)."""
    found = dal.fleet_jobs_of_partner(fleet_id, partner_id, through)
    return [j for j in found if j.status in rules.OPEN]
