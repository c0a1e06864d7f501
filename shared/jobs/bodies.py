"""Request bodies of the jobs API (the stored shapes are in models.py)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

from shared.assets.public import Vin
from shared.base_models import Ids, Model, PartialUpdate, RequestBody, VersionedUpdate
from shared.jobs.models import Configuration, Description, JobStatus, PartnerId, Reason, SiteId, Title
from shared.jobs.templates_models import TemplateName

MAX_BULK_JOBS = 1000
OptionalVersion = Field(default=None, description="the version you read: a 409 when the job changed since")


class JobCreate(RequestBody):
    """A new job; with `template_id` the template's data fills what the request leaves out."""

    kind: Literal["installation", "maintenance"] | None = None
    asset_id: str | None = Field(default=None, max_length=64, description="the vehicle; or give its vin")
    vin: Vin | None = None
    title: Title | None = None
    description: Description | None = None
    configuration: Configuration | None = None
    due_date: date | None = None
    site_id: SiteId | None = None
    partner_id: PartnerId | None = Field(
        default=None, description="Save & Assign: assign to this ACCEPTED partner (partner ID) in the same call")
    template_id: str | None = Field(default=None, max_length=64, description="start from this template")
    save_as_template: TemplateName | None = Field(
        default=None, description="also save this job's data as a new template with this name")


class JobUpdate(VersionedUpdate):
    """The fleet edits a PENDING job."""

    not_null = ("title", "asset_id")
    asset_id: str | None = Field(default=None, max_length=64)
    title: Title | None = None
    description: Description | None = None
    configuration: Configuration | None = None
    due_date: date | None = None
    site_id: SiteId | None = None


class OverrideUpdate(VersionedUpdate):
    """A partner with the override flag changes configuration and data of its ASSIGNED/RUNNING job."""

    not_null = ("title",)
    title: Title | None = None
    description: Description | None = None
    configuration: Configuration | None = None
    due_date: date | None = None


class AssignBody(RequestBody):
    partner_id: PartnerId = Field(description="the ACCEPTED partner's 5-character partner ID")
    version: int | None = OptionalVersion


class VersionBody(RequestBody):
    version: int | None = OptionalVersion


class SucceedBody(RequestBody):
    note: Reason | None = None
    version: int | None = OptionalVersion


class FailBody(RequestBody):
    reason: Reason = Field(description="why the job failed: required")
    version: int | None = OptionalVersion


class BulkEdit(PartialUpdate):
    """Fields to set on each job (PENDING jobs only)."""

    not_null = ("title",)
    title: Title | None = None
    description: Description | None = None
    configuration: Configuration | None = None
    due_date: date | None = None
    site_id: SiteId | None = None


class BulkRequest(RequestBody):
    job_ids: Ids = Field(min_length=1, max_length=MAX_BULK_JOBS)
    action: Literal["edit", "delete"]
    set: BulkEdit | None = Field(default=None, description="with action edit: the fields to set")

    @model_validator(mode="after")
    def _edit_has_fields(self) -> Self:
        if self.action == "edit" and (self.set is None or not self.set.model_fields_set):
            raise ValueError("action edit needs `set` with at least one field")
        if self.action == "delete" and self.set is not None:
            raise ValueError("action delete takes no `set`")
        if len(set(self.job_ids)) != len(self.job_ids):
            raise ValueError("job_ids holds an id more than once")
        return self


class BulkOutcome(Model):
    job_id: str
    done: bool
    code: Literal["done", "not_found", "conflict", "invalid"]
    message: str | None = None
    status: JobStatus | None = Field(default=None, description="the job's status after the action (or now)")


class BulkResult(Model):
    done: int
    failed: int
    results: list[BulkOutcome]


class ImportResult(Model):
    import_id: str | None = Field(description="None on a dry run")
    dry_run: bool = False
    rows: int = Field(description="data rows in the file")
    created: int
    assigned: int = Field(description="of them ASSIGNED to a partner (with their vehicle access)")
    job_ids: list[str] = Field(description="in row order; empty on a dry run")


def dump_set(body: BaseModel) -> dict[str, Any]:
    """The fields a body sets, as stored values (dates as ISO strings), without `version`."""
    values = body.model_dump(exclude_unset=True, exclude={"version"})
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
