"""Job templates: a named set of job data a fleet starts jobs from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints
from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute

from shared.base_models import RequestBody, StoredModel, Version, VersionedUpdate
from shared.db.base import TableItem
from shared.jobs.models import Configuration, Description, JobKind, SiteId, Title

MAX_NAME = 120
TemplateName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME, strip_whitespace=True)]


class JobTemplateItem(TableItem, discriminator="job_template"):
    """pk=ORG#{fleet}, sk=JOBTPL#{template_id}; the claim JOBTPLNAME#{fleet}#{name casefolded} keeps names unique."""

    template_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    configuration = JSONAttribute(null=True)
    site_id = UnicodeAttribute(null=True)
    due_date = UnicodeAttribute(null=True)  # ISO date
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class TemplateCreate(RequestBody):
    name: TemplateName
    kind: Literal["installation", "maintenance"] = "installation"
    title: Title | None = None
    description: Description | None = None
    configuration: Configuration | None = None
    site_id: SiteId | None = None
    due_date: date | None = None


class TemplateUpdate(VersionedUpdate):
    not_null = ("name", "kind")
    name: TemplateName | None = None
    kind: Literal["installation", "maintenance"] | None = None
    title: Title | None = None
    description: Description | None = None
    configuration: Configuration | None = None
    site_id: SiteId | None = None
    due_date: date | None = None


class TemplateDuplicate(RequestBody):
    name: TemplateName | None = Field(default=None, description="the copy's name; default: '<name> (copy)'")


class JobTemplate(StoredModel):
    template_id: str
    fleet_id: str
    name: str
    kind: JobKind
    title: str | None = None
    description: str | None = None
    configuration: dict[str, Any] | None = None
    site_id: str | None = None
    due_date: date | None = None
    created_at: datetime
    updated_at: datetime
    version: Version
