"""Bulk actions on up to 1,000 jobs: edit (fields to set) or delete, each job on its own.

Each job is checked against the status rules and written in its own transaction (conditional
on the status and version read), so one job's conflict never stops the others; the answer says
per job what happened.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from shared.auth.principal import Principal
from shared.db.base import atomic
from shared.errors import Conflict, DomainError, NotFound, Unprocessable
from shared.ids import utc_now
from shared.jobs import changes, dal, logic, rules
from shared.jobs.bodies import BulkEdit, BulkOutcome, BulkRequest, BulkResult, dump_set
from shared.jobs.models import JobItem, JobStatus

WRITERS = 4
_CODES: dict[type[DomainError], str] = {NotFound: "not_found", Conflict: "conflict", Unprocessable: "invalid"}


def bulk_action(caller: Principal, body: BulkRequest) -> BulkResult:
    found = dal.get_job_items(body.job_ids)

    def one(job_id: str) -> BulkOutcome:
        item = found.get(job_id)
        try:
            if item is None or item.fleet_id != caller.org_id:
                raise NotFound(f"job {job_id} not found")
            if body.action == "delete":
                _delete(caller, item)
                return BulkOutcome(job_id=job_id, done=True, code="done")
            assert body.set is not None
            _edit(caller, item, body.set)
            return BulkOutcome(job_id=job_id, done=True, code="done", status=JobStatus(item.status))
        except (NotFound, Conflict, Unprocessable) as exc:
            status = JobStatus(item.status) if item is not None and not isinstance(exc, NotFound) else None
            return BulkOutcome(job_id=job_id, done=False, code=_CODES[type(exc)], message=exc.message, status=status)

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(one, body.job_ids))
    done = sum(r.done for r in results)
    return BulkResult(done=done, failed=len(results) - done, results=results)


def _delete(caller: Principal, item: JobItem) -> None:
    if item.status not in rules.DELETABLE:
        raise rules.status_conflict(item.job_id, item.status, "delete it: only PENDING or ASSIGNED jobs can be deleted")
    with atomic(changes.lost_race(item.job_id)) as tx:
        logic.delete_in(tx, caller, item)


def _edit(caller: Principal, item: JobItem, edit: BulkEdit) -> None:
    if item.status not in rules.EDITABLE:
        raise rules.status_conflict(item.job_id, item.status, "edit it: only PENDING jobs can be edited")
    before = changes.snapshot(item)
    for key, value in dump_set(edit).items():
        setattr(item, key, value)
    errors = rules.data_errors(item.kind, item.description, item.configuration)
    if errors:
        raise Unprocessable("; ".join(f"{f}: {m}" for f, m in errors))
    item.updated_at = utc_now()
    with atomic(changes.lost_race(item.job_id)) as tx:
        tx.save(item, condition=JobItem.status == JobStatus.PENDING.value)
        changes.audit(tx, caller, item, "job.updated", before, [caller.org_id])
