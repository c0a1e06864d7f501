"""The fleet's side of jobs: create (from a template, Save & Assign, save as template), read, list, edit,
assign, unassign, delete.

Every change is one transaction: the job written with its expected status and version as the
condition, its history entry, audit events, and the partner's vehicle access grant put or
deleted with the transition that starts or ends it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from shared.auth.principal import Principal
from shared.connections.public import count
from shared.db.base import atomic
from shared.db.pagination import Page
from shared.errors import Conflict, DomainError, NotFound, Unprocessable
from shared.ids import utc_now
from shared.jobs import building, changes, dal, notices, rules, templates, templates_dal, transitions, vehicles
from shared.jobs.bodies import AssignBody, JobCreate, JobUpdate, VersionBody, dump_set
from shared.jobs.models import Job, JobItem, JobKind, JobStatus
from shared.jobs.templates_models import JobTemplateItem


def fleet_job(caller: Principal, job_id: str) -> JobItem:
    """The caller's fleet's job, or 404 (also for another fleet's job)."""
    item = dal.get_job_item(job_id)
    if item is None or item.fleet_id != caller.org_id:
        raise NotFound(f"job {job_id} not found")
    return item


T = TypeVar("T")


def _merged(template: JobTemplateItem | None, body: JobCreate) -> dict[str, Any]:
    """The template's data, overridden by each field the request gives (an explicit null clears it); a
    configuration given is merged into the template's key by key, the request's keys winning."""
    data: dict[str, Any] = {k: getattr(template, k) for k in templates.TEMPLATE_FIELDS} if template else {}
    given = dump_set(body)
    if isinstance(data.get("configuration"), dict) and isinstance(given.get("configuration"), dict):
        given["configuration"] = {**data["configuration"], **given["configuration"]}
    data.update(given)
    return data


def _collect(problems: list[dict[str, Any]], check: Callable[[], T]) -> T | None:
    """Run one check; its 422's details join `problems` (None then), so all of them are answered at once."""
    try:
        return check()
    except Unprocessable as exc:
        problems += exc.details or [{"field": None, "message": exc.message}]
        return None


def _require(data: dict[str, Any]) -> None:
    errors = [] if data.get("kind") else [("kind", "give kind (installation or maintenance), or a template_id")]
    if not data.get("title"):
        errors.append(("title", "give a title, or a template_id whose template has one"))
    if data.get("kind"):
        errors += rules.data_errors(data["kind"], data.get("description"), data.get("configuration"))
    if errors:
        raise Unprocessable("the job is not valid", [{"field": f, "message": m} for f, m in errors])


def _create_conflict(caller: Principal, template_name: str | None) -> Callable[[set[str]], DomainError]:
    def conflict(failed: set[str]) -> DomainError:
        if template_name and templates_dal.name_claim_pk(caller.org_id, template_name) in failed:
            return Conflict(f"your fleet has a job template named {template_name!r} already",
                            [{"field": "save_as_template", "message": "already used by another template"}])
        return Conflict("the vehicle or the partner changed meanwhile (vehicle deleted, or partner no longer "
                        "accepted): reload and try again")

    return conflict


def create_job(caller: Principal, body: JobCreate) -> Job:
    template = templates.template_data(caller, body.template_id) if body.template_id else None
    data = _merged(template, body)
    problems: list[dict[str, Any]] = []  # every field's problem in one 422, not one per request
    _collect(problems, lambda: _require(data))
    asset = _collect(problems, lambda: vehicles.resolve(caller.org_id, body.asset_id, body.vin))
    partner_id = body.partner_id
    partner = _collect(problems, lambda: building.accepted(caller.org_id, partner_id)) if partner_id else None
    _collect(problems, lambda: building.check_site(data.get("site_id"), partner))
    if asset is not None:
        _collect(problems, lambda: building.check_vehicle(asset, partner, "asset_id" if body.vin is None else "vin"))
    if problems or asset is None:
        raise Unprocessable("the job is not valid", problems)
    now = utc_now()
    item = building.new_job_item(caller, asset, data["kind"], data, now,
                                 building.JobOrigin(template_id=body.template_id))
    assigned = transitions.apply(caller, item, JobStatus.ASSIGNED, now, partner=partner) if partner else None
    saved = templates.new_template_item(caller, body.save_as_template, data) if body.save_as_template else None
    with atomic(_create_conflict(caller, body.save_as_template)) as tx:
        tx.save(item, condition=JobItem.pk.does_not_exist())
        vehicles.still_usable(tx, asset)
        changes.audit(tx, caller, item, "job.created", None, [caller.org_id])
        if assigned is not None:
            transitions.write(tx, caller, item, assigned, None, item.partner_org_id)
        if saved is not None:
            templates.add_template(tx, caller, saved)
    return dal.to_job(item)


def duplicate_job(caller: Principal, job_id: str) -> Job:
    """A new PENDING job with the job's kind, vehicle, template and data; not its status, history, partner,
    or times (INVERS' "Duplicate"). 422 when the vehicle is no longer usable."""
    source = fleet_job(caller, job_id)
    asset = vehicles.resolve(caller.org_id, source.asset_id, None)
    data = {k: getattr(source, k) for k in building.JOB_DATA}
    item = building.new_job_item(caller, asset, source.kind, data, utc_now(),
                                 building.JobOrigin(template_id=source.template_id, duplicate_of=source.job_id))
    with atomic("the vehicle changed meanwhile (deleted?): reload and try again") as tx:
        tx.save(item, condition=JobItem.pk.does_not_exist())
        vehicles.still_usable(tx, asset)
        changes.audit(tx, caller, item, "job.created", None, [caller.org_id])
    return dal.to_job(item)


def get_job(caller: Principal, job_id: str) -> Job:
    return dal.to_job(fleet_job(caller, job_id))


def list_jobs(caller: Principal, kind: JobKind | None, status: JobStatus | None, partner_id: str | None,
              limit: int, cursor: str | None) -> Page[Job]:
    return dal.list_fleet_jobs(caller.org_id, kind=kind, status=status,
                               partner_id=partner_id.strip().upper() if partner_id else None, limit=limit,
                               cursor=cursor)


def update_job(caller: Principal, job_id: str, body: JobUpdate) -> Job:
    """The fleet edits a PENDING job (a partner with override edits through partner.override_job)."""
    item = fleet_job(caller, job_id)
    if item.status not in rules.EDITABLE:
        raise rules.status_conflict(job_id, item.status, "edit it: only PENDING jobs can be edited")
    changes.check_version(item, body.version)
    before, expected = changes.snapshot(item), item.status
    values = dump_set(body)
    asset = vehicles.resolve(caller.org_id, values.pop("asset_id"), None) if "asset_id" in values else None
    for key, value in values.items():
        setattr(item, key, value)
    if asset is not None:
        item.asset_id, item.vin = asset.asset_id, asset.vin
    errors = rules.data_errors(item.kind, item.description, item.configuration)
    if errors:
        raise Unprocessable("the job is not valid", [{"field": f, "message": m} for f, m in errors])
    item.updated_at = utc_now()
    with atomic(changes.lost_race(job_id)) as tx:
        tx.save(item, condition=JobItem.status == expected)
        if asset is not None:
            vehicles.still_usable(tx, asset)
        changes.audit(tx, caller, item, "job.updated", before, [caller.org_id])
    return dal.to_job(item)


def assign_job(caller: Principal, job_id: str, body: AssignBody) -> Job:
    """PENDING -> ASSIGNED: the partner's vehicle access starts in the same transaction."""
    item = fleet_job(caller, job_id)
    return dal.to_job(transitions.transition(caller, item, JobStatus.ASSIGNED, version=body.version,
                                             partner_id=body.partner_id))


def unassign_job(caller: Principal, job_id: str, body: VersionBody) -> Job:
    """ASSIGNED -> PENDING: the partner's vehicle access ends in the same transaction."""
    item = fleet_job(caller, job_id)
    return dal.to_job(transitions.transition(caller, item, JobStatus.PENDING, version=body.version))


def delete_job(caller: Principal, job_id: str, version: int | None) -> None:
    """PENDING or ASSIGNED only; an ASSIGNED job's vehicle access ends with it."""
    item = fleet_job(caller, job_id)
    if item.status not in rules.DELETABLE:
        raise rules.status_conflict(job_id, item.status, "delete it: only PENDING or ASSIGNED jobs can be deleted")
    changes.check_version(item, version)
    with atomic(changes.lost_race(job_id)) as tx:
        delete_in(tx, caller, item)


def delete_in(tx: Any, caller: Principal, item: JobItem) -> None:
    """The delete of a PENDING/ASSIGNED job, its grant and audit events, in `tx` (bulk uses it too); the
    partner of an ASSIGNED one is told."""
    tx.delete(item, condition=JobItem.status == item.status)
    if item.status == JobStatus.ASSIGNED.value:
        dal.revoke_access(tx, item)
        count(tx, item.fleet_id, item.partner_org_id or "", open_jobs=-1)  # one open job less on the pair's record
        notices.tell(tx, item, "deleted", item.partner_org_id)
    changes.audit(tx, caller, item, "job.deleted", changes.snapshot(item), [caller.org_id, item.partner_org_id])
