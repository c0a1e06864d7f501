"""The partner's side of jobs: its jobs, start / succeed / fail, override edits.

A vendor sees a job only while it is (or was, for finished jobs) assigned to it; anything else
is 404. The configuration is readable only while the job is ASSIGNED or RUNNING; SUCCEEDED and
FAILED end the vehicle access in the transaction of the transition.
"""

from __future__ import annotations

from shared.auth.principal import Principal
from shared.db.base import atomic
from shared.db.pagination import Page
from shared.errors import Forbidden, NotFound, Unprocessable
from shared.ids import utc_now
from shared.jobs import building, changes, dal, rules, transitions
from shared.jobs.bodies import FailBody, OverrideUpdate, SucceedBody, VersionBody, dump_set
from shared.jobs.models import ACCESS_STATUSES, Job, JobItem, JobStatus
from shared.partners.public import accepted_partner


def partner_job(caller: Principal, job_id: str) -> JobItem:
    item = dal.get_job_item(job_id)
    if item is None or item.partner_org_id != caller.org_id:
        raise NotFound(f"job {job_id} not found")
    return item


def partner_view(job: Job) -> Job:
    """What the partner sees: the configuration only while it may work on the vehicle, and the history
    from its assignment on (what came before may name another partner)."""
    assigned = [n for n, entry in enumerate(job.history) if entry.action == "assigned"]
    update: dict[str, object] = {"history": job.history[assigned[-1]:] if assigned else job.history}
    if job.status not in ACCESS_STATUSES:
        update["configuration"] = None
    return job.model_copy(update=update)


def list_jobs(caller: Principal, status: JobStatus | None, limit: int, cursor: str | None) -> Page[Job]:
    page = dal.list_partner_jobs(caller.org_id, status=status, limit=limit, cursor=cursor)
    return Page[Job](items=[partner_view(j) for j in page.items], next_cursor=page.next_cursor)


def get_job(caller: Principal, job_id: str) -> Job:
    return partner_view(dal.to_job(partner_job(caller, job_id)))


def _transition(caller: Principal, job_id: str, to: JobStatus, version: int | None, note: str | None = None) -> Job:
    """The partner's transition of its job (SUCCEEDED and FAILED end its vehicle access)."""
    item = partner_job(caller, job_id)
    return partner_view(dal.to_job(transitions.transition(caller, item, to, version=version, note=note)))


def start_job(caller: Principal, job_id: str, body: VersionBody) -> Job:
    return _transition(caller, job_id, JobStatus.RUNNING, body.version)


def succeed_job(caller: Principal, job_id: str, body: SucceedBody) -> Job:
    return _transition(caller, job_id, JobStatus.SUCCEEDED, body.version, body.note)


def fail_job(caller: Principal, job_id: str, body: FailBody) -> Job:
    if not body.reason.strip():
        raise Unprocessable.field("reason", "say why the job failed")
    return _transition(caller, job_id, JobStatus.FAILED, body.version, body.reason)


def override_job(caller: Principal, job_id: str, body: OverrideUpdate) -> Job:
    """A partner whose fleet gave it the override flag changes its ASSIGNED/RUNNING job; 403 without the flag."""
    item = partner_job(caller, job_id)
    if item.status not in rules.OVERRIDABLE:
        raise rules.status_conflict(job_id, item.status, "change it: only ASSIGNED or RUNNING jobs can be overridden")
    record = accepted_partner(item.fleet_id, item.partner_id or "")
    if record is None or not record.allow_override:
        raise Forbidden("the fleet has not allowed your organization to override job configuration and data")
    changes.check_version(item, body.version)
    before, expected = changes.snapshot(item), item.status
    values = dump_set(body)
    changed = sorted(k for k, v in values.items() if getattr(item, k) != v)
    for key, value in values.items():
        setattr(item, key, value)
    errors = rules.data_errors(item.kind, item.description, item.configuration)
    if errors:
        raise Unprocessable("the job is not valid", [{"field": f, "message": m} for f, m in errors])
    if not changed:
        return partner_view(dal.to_job(partner_job(caller, job_id)))
    now = utc_now()
    item.updated_at = now
    changes.append_history(item, caller, now, "override_edited", expected, changes=changed)
    with atomic(changes.lost_race(job_id)) as tx:
        tx.save(item, condition=JobItem.status == expected)
        building.partner_still_accepted(tx, item, override=True)
        changes.audit(tx, caller, item, "job.override_edited", before, [item.fleet_id, item.partner_org_id])
    return partner_view(dal.to_job(item))
