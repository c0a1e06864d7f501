"""What every change of a job writes beside it: its history entry, audit events, the 409 of a lost race."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.errors import Conflict, DomainError, NotFound
from shared.jobs import dal
from shared.jobs.models import HistoryEntry, JobItem, JobStatus

# what an audit event keeps of a job: who may see the vehicle, and why (not the whole configuration)
_AUDITED = ("job_id", "fleet_id", "kind", "status", "asset_id", "title", "partner_id", "partner_org_id", "site_id",
            "failure_reason")


def snapshot(item: JobItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in _AUDITED}


def append_history(item: JobItem, caller: Principal, at: datetime, action: str, from_status: JobStatus | str | None,
                   note: str | None = None, changes: list[str] | None = None) -> None:
    entry = HistoryEntry(at=at, actor_id=caller.user_id, actor_org_id=caller.org_id, action=action,
                         from_status=JobStatus(from_status) if from_status else None,
                         to_status=JobStatus(item.status), note=note, changes=changes)
    item.history = [*(item.history or []), entry.model_dump(mode="json", exclude_none=True)]


def audit(tx: TransactWrite, caller: Principal, item: JobItem, action: str, before: dict[str, Any] | None,
          orgs: Iterable[str | None]) -> None:
    """The same event in each organization's trail (the fleet's, and the partner's when its access changes)."""
    after = snapshot(item) if action != "job.deleted" else None
    for org_id in dict.fromkeys(o for o in orgs if o):
        add_audit_event(tx, org_id=org_id, actor=caller, action=action, target_type="job", target_id=item.job_id,
                        before=before, after=after)


def check_version(item: JobItem, version: int | None) -> None:
    if version is not None and version != (item.version or 0):
        raise Conflict(f"job {item.job_id} is at version {item.version}, not {version}: it is {item.status} now; "
                       "reload it and try again", [{"field": "version", "message": f"current version {item.version}"}])


def lost_race(job_id: str) -> Callable[[set[str]], DomainError]:
    """For `atomic`: the job changed between our read and our conditional write: say what it is now."""

    def conflict(failed: set[str]) -> DomainError:
        current = dal.get_job_item(job_id)
        if current is None:
            return NotFound(f"job {job_id} was deleted meanwhile")
        if dal.job_pk(job_id) in failed:
            return Conflict(f"job {job_id} changed meanwhile: it is {current.status} now (version {current.version}); "
                            "reload it and try again", [{"field": "status", "message": f"current status is "
                                                                                       f"{current.status}"}])
        return Conflict(f"job {job_id} could not change: the partner or the vehicle changed meanwhile (the job is "
                        f"{current.status}); reload and try again")

    return conflict
