"""The fleet's job templates: create, edit, delete, duplicate, list."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.jobs import templates
from shared.jobs.templates_models import JobTemplate, TemplateCreate, TemplateDuplicate, TemplateUpdate

router = Router()
TemplateId = Annotated[str, Path(max_length=64)]
Reader = Annotated[Principal, Depends(requires(Action.JOB_READ))]
Manager = Annotated[Principal, Depends(requires(Action.JOB_MANAGE))]
TAGS = ["job templates"]


@router.post("/job-templates", tags=TAGS, summary="Create a job template (a name and any job data)",
              responses={201: {"description": "created"}})
def create_template(body: Annotated[TemplateCreate, Body()], caller: Manager) -> tuple[JobTemplate, int]:
    return templates.create_template(caller, body), 201


@router.get("/job-templates", tags=TAGS, summary="List your fleet's job templates, newest first")
def list_templates(caller: Reader, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[JobTemplate]:
    return templates.list_templates(caller, limit, cursor)


@router.get("/job-templates/<template_id>", tags=TAGS, summary="Get a job template")
def get_template(template_id: TemplateId, caller: Reader) -> JobTemplate:
    return templates.get_template(caller, template_id)


@router.patch("/job-templates/<template_id>", tags=TAGS, summary="Edit a job template (send the version you read)")
def update_template(template_id: TemplateId, body: Annotated[TemplateUpdate, Body()], caller: Manager) -> JobTemplate:
    return templates.update_template(caller, template_id, body)


@router.delete("/job-templates/<template_id>", tags=TAGS, summary="Delete a job template (its jobs keep their data)")
def delete_template(template_id: TemplateId, caller: Manager) -> tuple[None, int]:
    templates.delete_template(caller, template_id)
    return None, 204


@router.post("/job-templates/<template_id>/duplicate", tags=TAGS, summary="Copy a job template under a new name",
              responses={201: {"description": "created"}})
def duplicate_template(
    template_id: TemplateId, body: Annotated[TemplateDuplicate, Body()], caller: Manager
) -> tuple[JobTemplate, int]:
    return templates.duplicate_template(caller, template_id, body), 201
