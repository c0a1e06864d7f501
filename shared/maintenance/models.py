"""Maintenance status and dispatch: an asset's statuses and their causes, stored and as API bodies (fleetrock.md)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints
from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.base_models import Model, RequestBody
from shared.db.base import TableItem


class MaintenanceStatus(StrEnum):
    """By priority, highest first (fleetrock.md: In Shop > Awaiting Service > Overdue > Upcoming)."""

    IN_SHOP = "in_shop"
    AWAITING_SERVICE = "awaiting_service"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"


PRIORITY = list(MaintenanceStatus)


class AssetMaintenanceItem(TableItem, discriminator="asset_maintenance"):
    """pk=ORG#{org_id}, sk=MAINT#{asset_id}: an asset's maintenance statuses and what caused each.

    `causes` maps `RO#{id}` / `SM#{id}` to the cause (a StoredCause as JSON); statuses and the top
    status are computed from it and the meters (rules.py). `set_in_shop`: we set the asset's status to
    in_shop, so we set it back when no In Shop cause is left.
    """

    org_id = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    causes = JSONAttribute(default=dict)
    top_status = UnicodeAttribute(null=True)
    computed_at = UTCDateTimeAttribute()
    set_in_shop = BooleanAttribute(default=False)
    # the asset's latest meters, from its repair orders (newest reading wins): interval items use them
    odometer_miles = NumberAttribute(null=True)
    engine_hours = NumberAttribute(null=True)
    meters_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()


class StoredCause(Model):
    """A cause as an asset's maintenance item keeps it. A scheduled maintenance item with due points
    (intervals, shared/maintenance/intervals.py) is kept while nothing is due yet too (`status` None),
    so that today's date and the asset's meters alone re-evaluate it (maintenance.effective)."""

    status: MaintenanceStatus | None = None
    source: str = Field(description="repair_order | scheduled_maintenance")
    source_id: str
    detail: str = Field(description="the repair order's status, or the maintenance item's service")
    unit_number: str | None = None
    due_date: date | None = None
    due_miles: float | None = Field(default=None, description="odometer reading the item is due at")
    due_engine_hours: float | None = Field(default=None, description="engine hours the item is due at")
    upcoming_from_date: date | None = Field(default=None, description="Upcoming from this day (the fleet's "
                                            "almost-due days before the due date)")
    upcoming_from_miles: float | None = None
    upcoming_from_engine_hours: float | None = None
    since: datetime

    @property
    def by_interval(self) -> bool:
        """Computed from intervals (its upcoming-from points say when): re-evaluated by date and meters."""
        return any(p is not None for p in (self.upcoming_from_date, self.upcoming_from_miles,
                                           self.upcoming_from_engine_hours))


class Cause(StoredCause):
    """Why an asset has a maintenance status: the repair order or maintenance item behind it."""

    status: MaintenanceStatus


class Meters(Model):
    """An asset's odometer and engine hours as a repair order read them (`at`: that reading's time)."""

    odometer_miles: float | None = None
    engine_hours: float | None = None
    at: datetime


class DispatchAsset(Model):
    asset_id: str
    unit_number: str
    vin: str
    kind: str
    asset_status: str
    maintenance_status: MaintenanceStatus | None
    statuses: list[Cause]
    computed_at: datetime | None = None
    odometer_miles: float | None = Field(default=None, description="the latest odometer a repair order read")
    engine_hours: float | None = Field(default=None, description="the latest engine hours a repair order read")
    meters_at: datetime | None = None


class DispatchCheck(RequestBody):
    truck_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    trailer_id: Annotated[str, StringConstraints(max_length=64)] | None = None


class DispatchWarning(Model):
    asset_id: str
    kind: str
    unit_number: str
    status: MaintenanceStatus
    message: str
    cause: Cause


class DispatchCheckResult(Model):
    blocked: bool = Field(default=False, description="always false: assigning is warned about, never blocked")
    warnings: list[DispatchWarning]
    assets: list[DispatchAsset]
