"""What a customer user sees: answers of the portal routes.

Fields a portal permission withholds are never set and never serialized: they are absent from
the JSON, not null (PermissionScoped).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from shared.base_models import Address, Model
from shared.portal.setup.models import Geofence, PortalPermissions, VehicleRef


class PermissionScoped(Model):
    """Serializes only the fields that were set: a withheld field is left unset, so it is absent.

    The serializer has no return annotation on purpose: with one (`Any`), the model's OpenAPI
    schema would be `{}`; without, it is the model's own fields."""

    @model_serializer(mode="wrap")
    def _only_set_fields(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]  # see above
        data = handler(self)
        allowed = set()
        for name in self.model_fields_set:
            allowed.add(name)
            alias = type(self).model_fields[name].serialization_alias
            if alias:
                allowed.add(alias)
        return {k: v for k, v in data.items() if k in allowed}


class PictureUrl(Model):
    url: str = Field(description="presigned S3 GET, valid a few minutes")
    expires_at: datetime


class PortalProfile(Model):
    customer_user_id: str
    name: str
    customer_name: str
    permissions: PortalPermissions
    link_expires_at: datetime


class PortalSession(Model):
    session_token: str = Field(description="send as `Authorization: Bearer <token>` on the portal routes")
    expires_at: datetime
    profile: PortalProfile


class MapSite(Model):
    site_id: str
    name: str
    lat: float
    lng: float
    geofence: Geofence
    serviced: bool = Field(description="a service was completed here in the range (the map shows it green)")


class MapSites(Model):
    range_from: datetime = Field(serialization_alias="from")
    range_to: datetime = Field(serialization_alias="to")
    service: str | None = None
    sites: list[MapSite]


class PortalJobRef(PermissionScoped):
    """The job a service came from; its title is the service's name, so it is shown under the same
    permission (can_view_service_name), and absent without it."""

    job_id: str
    kind: str
    title: str | None = Field(default=None, description="can_view_service_name")


class ServiceView(PermissionScoped):
    service_id: str
    completed_at: datetime
    service_name: str | None = Field(default=None, description="can_view_service_name")
    pictures: list[PictureUrl] | None = Field(default=None, description="can_view_service_pictures")
    job: PortalJobRef | None = Field(
        default=None, description="can_view_jobs: the job it came from (null: recorded by the vendor)"
    )


class VehicleVisit(Model):
    vehicle: VehicleRef
    at: datetime


class SiteDetail(PermissionScoped):
    site_id: str
    name: str
    address: Address
    lat: float
    lng: float
    geofence: Geofence
    range_from: datetime = Field(serialization_alias="from")
    range_to: datetime = Field(serialization_alias="to")
    serviced: bool
    services: list[ServiceView]
    vehicle_visits: list[VehicleVisit] | None = Field(default=None, description="can_view_vehicle_site_visits")
    site_pictures: list[PictureUrl] | None = Field(default=None, description="can_view_site_pictures")
