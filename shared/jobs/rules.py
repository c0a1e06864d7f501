"""The job's rules in plain functions: the status machine and what each kind must carry.

Shared by the API, the CSV import and the bulk actions, so a job is valid the same way
whichever door it came through.
"""

from __future__ import annotations

import json
from typing import Any

from shared.errors import Conflict
from shared.jobs.models import MAX_CONFIGURATION_BYTES, JobKind, JobStatus

# (from, to) -> the history action
TRANSITIONS: dict[tuple[JobStatus, JobStatus], str] = {
    (JobStatus.PENDING, JobStatus.ASSIGNED): "assigned",
    (JobStatus.ASSIGNED, JobStatus.PENDING): "unassigned",
    (JobStatus.ASSIGNED, JobStatus.RUNNING): "started",
    (JobStatus.RUNNING, JobStatus.SUCCEEDED): "succeeded",
    (JobStatus.RUNNING, JobStatus.FAILED): "failed",
}
EDITABLE = frozenset({JobStatus.PENDING})  # the fleet edits only PENDING jobs
DELETABLE = frozenset({JobStatus.PENDING, JobStatus.ASSIGNED})
# a partner holds the job: it reads the vehicle, the pair's record counts it open, its relationship's end takes it back
OPEN = frozenset({JobStatus.ASSIGNED, JobStatus.RUNNING})
OVERRIDABLE = OPEN  # and may override its configuration (with the flag)


def status_conflict(job_id: str, current: JobStatus | str, wanted: str) -> Conflict:
    """The 409 of an illegal transition or action: it names the job's current status."""
    return Conflict(f"job {job_id} is {current}: cannot {wanted}",
                    [{"field": "status", "message": f"current status is {current}"}])


# only the system takes a RUNNING job back: when the partner's relationship with the fleet ends
TAKEN_BACK: dict[tuple[JobStatus, JobStatus], str] = {(JobStatus.RUNNING, JobStatus.PENDING): "unassigned"}


def action_of(job_id: str, current: JobStatus | str, to: JobStatus, *, system: bool = False) -> str:
    """The history action of current -> to, or the 409 naming the current status."""
    action = TRANSITIONS.get((JobStatus(current), to)) or (TAKEN_BACK.get((JobStatus(current), to)) if system else None)
    if action is None:
        raise status_conflict(job_id, current, f"go to {to.value}")
    return action


def data_errors(kind: JobKind | str, description: str | None, configuration: Any,
                *, complete: bool = True) -> list[tuple[str, str]]:
    """(field, reason) for each way the job's data does not fit its kind.

    `complete=False` (templates) skips what is missing: a job made from it fills that in.
    """
    errors: list[tuple[str, str]] = []
    if kind == JobKind.INSTALLATION:
        if configuration is None and complete:
            errors.append(("configuration", "an installation job needs a configuration (a JSON object)"))
    elif kind == JobKind.MAINTENANCE:
        if not description and complete:
            errors.append(("description", "a maintenance job needs a description of the work"))
        if configuration is not None:
            errors.append(("configuration", "only installation jobs carry a configuration"))
    if configuration is not None:
        if not isinstance(configuration, dict):
            errors.append(("configuration", "must be a JSON object ({...})"))
        elif len(json.dumps(configuration)) > MAX_CONFIGURATION_BYTES:
            errors.append(("configuration", f"is over {MAX_CONFIGURATION_BYTES} bytes of JSON"))
    return errors
