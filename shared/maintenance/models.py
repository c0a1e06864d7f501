"""Maintenance status and dispatch: an asset's statuses and their causes, stored and as API bodies (fleetrock.md)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, computed_field
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
LABELS = {
    MaintenanceStatus.IN_SHOP: "In Shop",
    MaintenanceStatus.AWAITING_SERVICE: "Awaiting Service",
    MaintenanceStatus.OVERDUE: "Overdue",
    MaintenanceStatus.UPCOMING: "Upcoming",
}


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
    """Why an asset has a maintenance status: the repair order or maintenance item behind it. The
    same in the API (/dispatch/assets) and in what we push (shared/push/events.py)."""

    status: MaintenanceStatus

    @computed_field(description="the status as people read it (In Shop, Awaiting Service, Overdue, Upcoming)")
    def label(self) -> str:
        return LABELS[self.status]


class Meters(Model):
    """An asset's odometer and engine hours as a repair order read them (`at`: that reading's time)."""

    odometer_miles: float | None = None
    engine_hours: float | None = None
    at: datetime


class AssetState(Model):
    """An asset and its maintenance statuses, highest first: what /dispatch/assets shows and what the
    snapshot and status_changed pushes carry (one vocabulary: codes, with a label beside them)."""

    asset_id: str
    unit_number: str
    vin: str
    kind: str
    asset_status: str
    maintenance_status: MaintenanceStatus | None = Field(description="the top status; None when all is well")
    statuses: list[Cause]

    @computed_field(description="the top status as people read it; None when all is well")
    def maintenance_label(self) -> str | None:
        return LABELS[self.maintenance_status] if self.maintenance_status else None

    def signature(self) -> str:
        """What a status_changed event is about: the asset status, the top status and the set of
        statuses with their sources (not details, dates or meters)."""
        statuses = sorted(f"{c.status.value}:{c.source}:{c.source_id}" for c in self.statuses)
        return "|".join([self.asset_status, self.maintenance_status or "", *statuses])


class DispatchAsset(AssetState):
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
