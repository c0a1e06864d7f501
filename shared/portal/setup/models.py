"""API bodies of the vendor's portal set-up: customers, sites, customer users, links, services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from shared.base_models import (
    Address,
    Email,
    Model,
    Name,
    RequestBody,
    StoredModel,
    UtcDatetime,
    Version,
    VersionedUpdate,
)

MAX_SITES_PER_USER = 100
MAX_PICTURES = 20
Phone = Annotated[str, StringConstraints(min_length=3, max_length=40, strip_whitespace=True)]
ServiceName = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
ObjectKey = Annotated[str, StringConstraints(min_length=1, max_length=900, pattern=r"^[A-Za-z0-9!_.*'()/-]+$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
_Strings = BeforeValidator(lambda v: list(v or []))


class PortalPermissions(Model):
    """What a customer's portal users may see ("live view"); all off unless the vendor turns them on."""

    model_config = ConfigDict(extra="forbid")
    can_view_jobs: bool = False
    can_view_site_pictures: bool = False
    can_view_vehicle_site_visits: bool = False
    can_filter_geofence_by_service: bool = False
    can_view_service_name: bool = False
    can_view_service_pictures: bool = False


# -- customers -----------------------------------------------------------------------------------
class CustomerCreate(RequestBody):
    name: Name
    contact_name: Name | None = None
    contact_email: Email | None = None
    contact_phone: Phone | None = None
    permissions: PortalPermissions = Field(default_factory=PortalPermissions)
    primary_customer_id: Id | None = Field(
        default=None, description="a customer whose portal users see this one's sites"
    )


class CustomerUpdate(VersionedUpdate):
    not_null = ("name", "permissions")
    name: Name | None = None
    contact_name: Name | None = None
    contact_email: Email | None = None
    contact_phone: Phone | None = None
    permissions: PortalPermissions | None = None
    primary_customer_id: Id | None = None


class Customer(StoredModel):
    customer_id: str
    org_id: str
    name: str
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    permissions: PortalPermissions
    primary_customer_id: str | None = None
    created_at: datetime
    updated_at: datetime
    version: Version


# -- sites ---------------------------------------------------------------------------------------
class LatLng(Model):
    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class RadiusGeofence(Model):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["radius"]
    radius_m: float = Field(gt=0, le=50_000, description="metres around the site's lat/lng")


class PolygonGeofence(Model):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["polygon"]
    points: list[LatLng] = Field(min_length=3, max_length=200, description="the outline, in order")


Geofence = Annotated[RadiusGeofence | PolygonGeofence, Field(discriminator="kind")]


class SiteCreate(RequestBody):
    customer_id: Id
    name: Name
    address: Address
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    geofence: Geofence


class SiteUpdate(VersionedUpdate):
    not_null = ("name", "address", "lat", "lng", "geofence", "picture_keys")
    name: Name | None = None
    address: Address | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    geofence: Geofence | None = None
    picture_keys: list[ObjectKey] | None = Field(
        default=None, max_length=MAX_PICTURES, description="site pictures: keys from POST /sites/{id}/picture-uploads"
    )


class Site(StoredModel):
    site_id: str
    org_id: str
    customer_id: str
    name: str
    address: Address
    lat: float
    lng: float
    geofence: Geofence
    picture_keys: Annotated[list[str], _Strings]
    created_at: datetime
    updated_at: datetime
    version: Version


class PictureUploadRequest(RequestBody):
    content_type: Literal["image/jpeg", "image/png", "image/webp", "image/heic"]


class PictureUpload(Model):
    key: str = Field(description="put it in picture_keys once uploaded")
    upload_url: str = Field(description="presigned S3 PUT; send the same Content-Type")
    expires_at: datetime


# -- completed services --------------------------------------------------------------------------
class VehicleRef(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    unit_number: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    asset_id: Id | None = None
    vin: Annotated[str, StringConstraints(min_length=1, max_length=17)] | None = None


CLOCK_SKEW = timedelta(minutes=5)  # a device's clock a little ahead is not "the future"


class ServiceCreate(RequestBody):
    service_name: ServiceName
    completed_at: UtcDatetime = Field(description="ISO-8601 with a time zone; not in the future")

    @field_validator("completed_at")
    @classmethod
    def _done_already(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("a completed service cannot be completed in the future")
        return value
    vehicle: VehicleRef | None = None
    picture_keys: list[ObjectKey] = Field(default_factory=list, max_length=MAX_PICTURES)


class JobRef(Model):
    job_id: str
    title: str
    kind: str


class SiteService(StoredModel):
    service_id: str
    site_id: str
    customer_id: str
    service_name: str
    completed_at: datetime
    vehicle: VehicleRef | None = None
    picture_keys: Annotated[list[str], _Strings]
    job: JobRef | None = None
    source: Literal["vendor", "job"]
    recorded_at: datetime


# -- customer users and their links --------------------------------------------------------------
class CustomerUserCreate(RequestBody):
    customer_id: Id
    name: Name
    email: Email
    site_ids: list[Id] = Field(default_factory=list, max_length=MAX_SITES_PER_USER)


class CustomerUserUpdate(VersionedUpdate):
    not_null = ("name", "email", "site_ids")
    name: Name | None = None
    email: Email | None = None
    site_ids: list[Id] | None = Field(default=None, max_length=MAX_SITES_PER_USER)


class PortalLinkState(Model):
    enabled: bool
    version: int = Field(description="goes up on every enable and refresh; older links stop working")
    activated_at: datetime | None = None
    expires_at: datetime | None = None
    needs_refresh: bool = Field(description="a user joined the customer after this link was issued")
    last_used_at: datetime | None = None


class CustomerUser(Model):
    customer_user_id: str
    org_id: str
    customer_id: str
    name: str
    email: str
    site_ids: list[str]
    portal_link: PortalLinkState
    created_at: datetime
    updated_at: datetime
    version: int


class PortalLinkIssued(Model):
    """Shown once: the link is not stored, only its version."""

    url: str = Field(description="send this to the customer user; it logs them in without a password")
    token: str = Field(description="the link's token (the part after #link=), for API clients")
    version: int
    expires_at: datetime


class AccessEntry(StoredModel):
    access_id: str
    action: str
    site_id: str | None = None
    at: datetime
