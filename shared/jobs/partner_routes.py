"""The installation partner's side: its jobs (all fleets), start / succeed / fail, override edits, and the
vehicle of an open job."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.assets.public import Asset
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.jobs import partner, vehicles
from shared.jobs.bodies import FailBody, OverrideUpdate, SucceedBody, VersionBody
from shared.jobs.models import Job, JobStatus

router = Router()
JobId = Annotated[str, Path(max_length=64)]
AssetId = Annotated[str, Path(max_length=64)]
Partner = Annotated[Principal, Depends(requires(Action.PARTNER_JOB))]
TAGS = ["partner jobs"]


@router.get("/partner/jobs", tags=TAGS, summary="Jobs assigned to your organization, newest first")
def list_partner_jobs(
    caller: Partner,
    status: Annotated[JobStatus | None, Query()] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Page[Job]:
    return partner.list_jobs(caller, status, limit, cursor)


@router.get("/partner/jobs/<job_id>", tags=TAGS,
            summary="A job assigned to you (its configuration while ASSIGNED or RUNNING)")
def get_partner_job(job_id: JobId, caller: Partner) -> Job:
    return partner.get_job(caller, job_id)


@router.patch("/partner/jobs/<job_id>", tags=TAGS,
              summary="Override configuration and data of your ASSIGNED/RUNNING job (needs the fleet's override flag)")
def override_job(job_id: JobId, body: Annotated[OverrideUpdate, Body()], caller: Partner) -> Job:
    return partner.override_job(caller, job_id, body)


@router.post("/partner/jobs/<job_id>/start", tags=TAGS, summary="Start an ASSIGNED job (RUNNING)")
def start_job(job_id: JobId, caller: Partner, body: Annotated[VersionBody | None, Body()] = None) -> Job:
    return partner.start_job(caller, job_id, body or VersionBody())


@router.post("/partner/jobs/<job_id>/succeed", tags=TAGS,
             summary="Finish a RUNNING job (SUCCEEDED): your access to the vehicle ends")
def succeed_job(job_id: JobId, caller: Partner, body: Annotated[SucceedBody | None, Body()] = None) -> Job:
    return partner.succeed_job(caller, job_id, body or SucceedBody())


@router.post("/partner/jobs/<job_id>/fail", tags=TAGS,
             summary="Fail a RUNNING job with the reason (FAILED): your access to the vehicle ends")
def fail_job(job_id: JobId, body: Annotated[FailBody, Body()], caller: Partner) -> Job:
    return partner.fail_job(caller, job_id, body)


@router.get("/vehicles/<asset_id>", tags=TAGS,
            summary="The vehicle of one of your ASSIGNED or RUNNING jobs (404 once the job ends)")
def get_vehicle(asset_id: AssetId, caller: Partner) -> Asset:
    return vehicles.read_vehicle(caller, asset_id)
