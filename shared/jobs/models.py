"""Installation and maintenance jobs: the stored job, its vehicle access grant, and API bodies.

The job item's attribute names (`job_id`, `fleet_id`, `partner_org_id`, `site_id`, `status`,
`kind`, `title`, `asset_id`, `finished_at`) are read from its stream image by the customer
portal: keep them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints
from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.base_models import Model, StoredModel, Version
from shared.db.base import TableItem


class JobKind(StrEnum):
    INSTALLATION = "installation"  # carries a configuration (JSON object) for the telematics box
    MAINTENANCE = "maintenance"  # carries a description


class JobStatus(StrEnum):
    PENDING = "PENDING"
    ASSIGNED = "ASSIGNED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


# the partner may read the vehicle and the configuration only in these
ACCESS_STATUSES = frozenset({JobStatus.ASSIGNED, JobStatus.RUNNING})
MAX_CONFIGURATION_BYTES = 16 * 1024
Title = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Description = Annotated[str, StringConstraints(max_length=4000, strip_whitespace=True)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
PartnerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{5}$", to_upper=True, strip_whitespace=True)]
# a customer-portal site id: stored as given (the portal owns sites), format-checked only
SiteId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$", strip_whitespace=True)]
Configuration = Annotated[dict[str, Any], Field(description="settings the technician applies (installation jobs)")]


# -- stored items --------------------------------------------------------------------------------
class JobItem(TableItem, discriminator="job"):
    """pk=JOB#{job_id}, sk=JOB (GetItem by id for the fleet and the partner alike).

    gsi1 ORG#{fleet}#JOBS / JOB#{job_id}: the fleet's jobs, newest first.
    gsi2 ORG#{fleet}#JOBS#{status} / JOB#{job_id}: the fleet's jobs in one status.
    gsi3 ORG#{fleet}#JOBS#PARTNER#{partner_id} / JOB#{job_id}: the fleet's jobs of one partner (sparse).
    gsi4 ORG#{partner_org}#PJOBS / JOB#{job_id}: the jobs assigned to a partner, all fleets (sparse).
    """

    job_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    status = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    vin = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    configuration = JSONAttribute(null=True)
    due_date = UnicodeAttribute(null=True)  # ISO date
    site_id = UnicodeAttribute(null=True)
    partner_id = UnicodeAttribute(null=True)  # the partner's 5-character partner ID
    partner_org_id = UnicodeAttribute(null=True)  # its vendor organization
    partner_name = UnicodeAttribute(null=True)
    partner_invitation_id = UnicodeAttribute(null=True)  # the fleet's partner record (override flag)
    partner_connection_id = UnicodeAttribute(null=True)  # or: the accepted connection of a connected vendor
    partner_team = BooleanAttribute(null=True)  # or: the fleet's own internal team
    failure_reason = UnicodeAttribute(null=True)
    template_id = UnicodeAttribute(null=True)
    import_id = UnicodeAttribute(null=True)
    history = JSONAttribute(default=list)  # [HistoryEntry], oldest first
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)  # SUCCEEDED or FAILED
    version = VersionAttribute()


class VehicleAccessItem(TableItem, discriminator="job_access"):
    """pk=VACCESS#{partner_org}#{asset_id}, sk=JOB#{job_id}: the partner may read the asset for this job.

    Written in the transaction that assigns the job; deleted in the one that ends it.
    """

    partner_org_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    job_id = UnicodeAttribute()
    granted_at = UTCDateTimeAttribute()


# -- API bodies ----------------------------------------------------------------------------------
class HistoryEntry(Model):
    at: datetime
    actor_id: str
    actor_org_id: str
    action: str = Field(description="created, assigned, unassigned, started, succeeded, failed, override_edited")
    from_status: JobStatus | None = None
    to_status: JobStatus
    note: str | None = None
    changes: list[str] | None = Field(default=None, description="override edits: the fields changed")


def _history(value: Any) -> Any:
    return value or []


class Job(StoredModel):
    job_id: str
    fleet_id: str
    kind: JobKind
    status: JobStatus
    asset_id: str
    vin: str
    title: str
    description: str | None = None
    configuration: dict[str, Any] | None = None
    due_date: date | None = None
    site_id: str | None = None
    partner_id: str | None = Field(default=None, description="the assigned partner's 5-character partner ID")
    partner_org_id: str | None = None
    partner_name: str | None = None
    failure_reason: str | None = None
    template_id: str | None = None
    import_id: str | None = None
    history: Annotated[list[HistoryEntry], BeforeValidator(_history)]
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    version: Version
