"""The fleet's jobs: create (Save & Assign, from a template), list, read, edit, assign, unassign, delete,
CSV import and bulk actions."""

from __future__ import annotations

import base64
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.api.resolver import RAW_BODY_ROUTES, RawBody
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.errors import Unprocessable
from shared.jobs import bulk, importer, logic
from shared.jobs.bodies import AssignBody, BulkRequest, BulkResult, ImportResult, JobCreate, JobUpdate, VersionBody
from shared.jobs.csv_parse import MAX_ROWS
from shared.jobs.models import Job, JobKind, JobStatus

router = Router()
JobId = Annotated[str, Path(max_length=64)]
Reader = Annotated[Principal, Depends(requires(Action.JOB_READ))]
Manager = Annotated[Principal, Depends(requires(Action.JOB_MANAGE))]
TAGS = ["jobs"]
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IDEMPOTENCY_KEY = 200
RAW_BODY_ROUTES[("POST", "/jobs/import")] = RawBody(
    content_types=frozenset({"text/csv", "application/csv"}),
    max_bytes=MAX_IMPORT_BYTES,
    description=f"CSV (UTF-8, header row, up to {MAX_ROWS} rows, at most 5 MB). Columns: kind, vin (or asset_id), "
                "title, description, due_date (YYYY-MM-DD), configuration (JSON object), template (a template's "
                "name), assigned_installer_company_id (an ACCEPTED partner's ID), site_id.",
)


@router.post("/jobs", tags=TAGS, summary="Create a job (partner_id: Save & Assign; template_id: from a template; "
                                         "save_as_template: also save it as a template)",
             responses={201: {"description": "created"}})
def create_job(body: Annotated[JobCreate, Body()], caller: Manager) -> tuple[Job, int]:
    return logic.create_job(caller, body), 201


@router.get("/jobs", tags=TAGS, summary="List your fleet's jobs, newest first (filter by kind, status, partner ID)")
def list_jobs(
    caller: Reader,
    kind: Annotated[JobKind | None, Query()] = None,
    status: Annotated[JobStatus | None, Query()] = None,
    partner: Annotated[str | None, Query(max_length=5, min_length=5, description="a partner ID")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Page[Job]:
    return logic.list_jobs(caller, kind, status, partner, limit, cursor)


@router.post(
    "/jobs/import",
    tags=TAGS,
    summary=f"Import jobs from a CSV (Content-Type: text/csv, up to {MAX_ROWS} rows): all rows or none",
    responses={
        201: {"description": "imported"},
        200: {"description": "a dry run's report, or the same import again (same Idempotency-Key or same file): "
                             "its first result, nothing written"},
    },
)
def import_jobs(
    caller: Manager,
    dry_run: Annotated[bool, Query(description="validate and report, write nothing")] = False,
) -> Response[ImportResult]:
    event = router.current_event
    raw = event.body or ""
    data = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8", errors="surrogateescape")
    key = event.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key.strip()) <= MAX_IDEMPOTENCY_KEY:
        raise Unprocessable.field("Idempotency-Key", f"1 to {MAX_IDEMPOTENCY_KEY} characters")
    result, replayed = importer.import_jobs(caller, data, key.strip() if key else None, dry_run=dry_run)
    return Response(status_code=200 if replayed or dry_run else 201, content_type=content_types.APPLICATION_JSON,
                    body=result, headers={"Idempotent-Replayed": "true"} if replayed else None)


@router.post("/jobs/bulk", tags=TAGS, summary="Edit or delete up to 1,000 jobs: per job, done or why not")
def bulk_action(body: Annotated[BulkRequest, Body()], caller: Manager) -> BulkResult:
    return bulk.bulk_action(caller, body)


@router.get("/jobs/<job_id>", tags=TAGS, summary="Get a job with its history")
def get_job(job_id: JobId, caller: Reader) -> Job:
    return logic.get_job(caller, job_id)


@router.patch("/jobs/<job_id>", tags=TAGS, summary="Edit a PENDING job (send the version you read)")
def update_job(job_id: JobId, body: Annotated[JobUpdate, Body()], caller: Manager) -> Job:
    return logic.update_job(caller, job_id, body)


@router.delete("/jobs/<job_id>", tags=TAGS, summary="Delete a PENDING or ASSIGNED job (its partner's access ends)")
def delete_job(
    job_id: JobId, caller: Manager, version: Annotated[int | None, Query(description="the version you read")] = None
) -> tuple[None, int]:
    logic.delete_job(caller, job_id, version)
    return None, 204


@router.post("/jobs/<job_id>/duplicate", tags=TAGS, responses={201: {"description": "created"}},
             summary="Duplicate a job: a new PENDING job with its vehicle and data, not its status, history or partner")
def duplicate_job(job_id: JobId, caller: Manager) -> tuple[Job, int]:
    return logic.duplicate_job(caller, job_id), 201


@router.post("/jobs/<job_id>/assign", tags=TAGS,
             summary="Assign a PENDING job to an ACCEPTED partner: it may read the vehicle until the job ends")
def assign_job(job_id: JobId, body: Annotated[AssignBody, Body()], caller: Manager) -> Job:
    return logic.assign_job(caller, job_id, body)


@router.post("/jobs/<job_id>/unassign", tags=TAGS,
             summary="Take an ASSIGNED job back (PENDING): the partner's vehicle access ends")
def unassign_job(job_id: JobId, caller: Manager, body: Annotated[VersionBody | None, Body()] = None) -> Job:
    return logic.unassign_job(caller, job_id, body or VersionBody())
