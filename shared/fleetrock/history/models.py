"""What an asset's event (one of its Fleetrock repair orders) shows: GET /assets/{id}/events.

Kept apart from shared/fleetrock/history/events.py, which reads and writes the table: the assets handler
includes the events router with every /assets request, and these models alone cost it nothing
(the rest is imported by the first request for an asset's events).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.base_models import Model


class RepairPart(Model):
    part_number: str | None = None
    description: str | None = None
    quantity: float | None = None
    unit_price: float | None = None
    total: float | None = None


class RepairTask(Model):
    task_id: str | None = Field(default=None, description="Fleetrock's id of the task")
    description: str | None = None
    labor_hours: float | None = None
    labor_rate: float | None = None
    labor_total: float | None = None
    scheduled_maintenance_id: str | None = Field(default=None, description="the scheduled maintenance item "
                                                 "this task serves, if any")
    parts: list[RepairPart] = Field(default_factory=list)
    parts_omitted: int = Field(default=0, description="parts past the cap (10 per task), left out")


class RepairNote(Model):
    text: str
    author: str | None = None
    created_at: datetime | None = Field(default=None, description="UTC; null when Fleetrock wrote none, or "
                                        "one we cannot read")


class AssetEvent(Model):
    """One repair order of the asset, as Fleetrock said it was when we last read it (`as_of`)."""

    ro_id: str
    fleetrock_status: str = Field(description="Fleetrock's status: Not Started | Waiting | In Progress | "
                                  "Finished | Invoiced | Paid | Deleted")
    status: Literal["in_shop", "awaiting_service"] | None = Field(
        description="the maintenance status it gives the asset (Waiting, In Progress: in_shop; Not Started: "
        "awaiting_service); null once the order is closed")
    open: bool
    unit_number: str | None = None
    unit_type: str | None = None
    group: str | None = None
    custom_asset_id: str | None = None
    priority: str | None = Field(default=None, description="Fleetrock's priority_code")
    vendor_name: str | None = None
    customer_name: str | None = None
    odometer_miles: float | None = None
    engine_hours: float | None = None
    date_created: datetime | None = None
    date_started: datetime | None = None
    date_expected_finish: datetime | None = None
    date_finished: datetime | None = None
    date_invoiced: datetime | None = None
    date_invoice_paid: datetime | None = None
    tasks: list[RepairTask] = Field(default_factory=list)
    tasks_omitted: int = Field(default=0, description="tasks past the caps (50, or 64 KB), left out")
    notes: list[RepairNote] = Field(default_factory=list)
    notes_omitted: int = Field(default=0, description="notes past the caps (50, or 32 KB), left out")
    as_of: datetime = Field(description="when we last read this order from Fleetrock")
