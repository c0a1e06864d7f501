"""Every change of a job's status, one way: the rule (rules.TRANSITIONS), the job's fields, its history
entry, the conditional write, the audit events, and the partner's vehicle access.

Access follows the status: assigning a job grants the partner a read of the vehicle, and the
transitions that end its work on it (unassign, succeed, fail) revoke it, in the transaction of
the transition. `transition` changes a stored job; a job created already assigned (alone or
by the CSV import) goes through `apply` in memory, and its creator writes it with `write`
(the import: its grants beside the jobs, in batches).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from shared.assets.public import get_asset_item
from shared.auth.principal import Principal
from shared.connections.public import count
from shared.db.base import atomic
from shared.ids import utc_now
from shared.jobs import building, changes, dal, notices, rules
from shared.jobs.models import JobItem, JobStatus
from shared.partners.public import PartnerRecord

# the transitions after which the partner may no longer read the vehicle
ENDS_ACCESS = frozenset({JobStatus.PENDING, JobStatus.SUCCEEDED, JobStatus.FAILED})


def transition(caller: Principal, item: JobItem, to: JobStatus, *, version: int | None,
               partner_id: str | None = None, note: str | None = None, system: bool = False) -> JobItem:
    """The stored job `item` goes to `to`, in one transaction conditional on the status read.

    409 when the rules forbid it (naming the current status) or `version` is not the job's; 422
    when `to` is ASSIGNED and `partner_id` is not an ACCEPTED partner of the fleet.
    """
    rules.action_of(item.job_id, item.status, to, system=system)
    changes.check_version(item, version)
    partner = building.accepted(item.fleet_id, partner_id or "") if to == JobStatus.ASSIGNED else None
    building.check_site(item.site_id, partner)
    if partner is not None and partner.connection_id is not None:
        asset = get_asset_item(item.fleet_id, item.asset_id)
        if asset is not None:
            building.check_vehicle(asset, partner)
    before, expected, partner_org = changes.snapshot(item), item.status, item.partner_org_id
    with atomic(changes.lost_race(item.job_id)) as tx:
        if to in ENDS_ACCESS:
            dal.revoke_access(tx, item)  # before `apply`, which forgets the partner on unassign
        action = apply(caller, item, to, utc_now(), partner=partner, note=note, system=system)
        tx.save(item, condition=JobItem.status == expected)
        write(tx, caller, item, action, before, partner_org or item.partner_org_id, email=not system)
    return item


def apply(caller: Principal, item: JobItem, to: JobStatus, at: datetime, *,
          partner: PartnerRecord | None = None, note: str | None = None, system: bool = False) -> str:
    """The transition in memory: status, the fields it sets, the history entry, the index keys; its action.

    ASSIGNED takes the `partner`; back to PENDING forgets it; FAILED keeps `note` as the failure reason.
    """
    from_status = JobStatus(item.status)
    action = rules.action_of(item.job_id, from_status, to, system=system)
    item.status, item.updated_at = to.value, at
    if to == JobStatus.ASSIGNED:
        assert partner is not None
        item.partner_id, item.partner_org_id = partner.partner_id, partner.partner_org_id
        item.partner_name, item.partner_invitation_id = partner.partner_name, partner.invitation_id
        item.partner_connection_id, item.partner_team = partner.connection_id, partner.team or None
        note = f"to partner {partner.partner_id}"
    elif to == JobStatus.PENDING:
        note = f"from partner {item.partner_id}" + (f": {note}" if note else "")
    elif to == JobStatus.RUNNING:
        item.started_at = at
    else:
        item.finished_at = at
        item.failure_reason = note if to == JobStatus.FAILED else None
    changes.append_history(item, caller, at, action, from_status, note=note)
    if to == JobStatus.PENDING:
        item.partner_id = item.partner_org_id = item.partner_name = item.partner_invitation_id = None
        item.partner_connection_id = item.partner_team = None
    dal.index(item)
    return action


def write(tx: TransactWrite, caller: Principal, item: JobItem, action: str, before: dict[str, Any] | None,
          partner_org: str | None, *, email: bool = True) -> None:
    """What the transition writes beside the job, in `tx`: on assign, the check that the partner is still
    ACCEPTED and its vehicle grant; always the audit event, in the fleet's and the partner's trails; and the
    notification of whoever must know (notices.py); and the count of the partner's open jobs on the pair's
    record (shared/connections/relationships.py) when the job opens or closes for it."""
    was_open = before is not None and before.get("status") in rules.OPEN
    opened = int(item.status in rules.OPEN) - int(was_open)
    if item.status == JobStatus.ASSIGNED.value:  # only assigning reaches ASSIGNED
        building.partner_still_accepted(tx, item, open_jobs=opened)
        dal.grant_access(tx, item)
    elif opened and partner_org:
        count(tx, item.fleet_id, partner_org, open_jobs=opened)
    changes.audit(tx, caller, item, f"job.{action}", before, [item.fleet_id, partner_org])
    notices.tell(tx, item, action, partner_org, email=email)
