"""What we push, one model per event type: the bodies subscribers receive and asyncapi.yaml describes.

Statuses speak the API's words: `AssetState` is the model /dispatch/assets serves too (codes such
as `in_shop`, with `label`, `due_date`, `since`), so a receiver maps one vocabulary.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.base_models import Model
from shared.maintenance.public import AssetState


class SnapshotEvent(Model):
    """One page of the morning's snapshot of a fleet's assets (all but the inactive ones)."""

    type: Literal["snapshot"] = "snapshot"
    fleet_id: str
    generated_at: datetime
    page: int = Field(ge=1)
    pages: int = Field(ge=1)
    assets: list[AssetState]


class ChangeCause(Model):
    """What changed the asset: a repair order, a scheduled maintenance item, or the asset itself."""

    source: Literal["repair_order", "scheduled_maintenance", "asset"]
    source_id: str | None = Field(default=None, description="the repair order's, maintenance item's or asset's id")
    detail: str | None = Field(default=None, description="e.g. a repair order's status; 'asset status set to inactive'")


class StatusChangedEvent(Model):
    """An asset's top status, its set of statuses, or its asset status changed.

    `sequence` grows with every change of the asset: order by it and drop one not greater than the last
    you applied. Changes within a few seconds may come as one event (the latest state; `previous`
    is what the last event you got said). A deleted asset (DELETE /assets/{id}) comes as `current.asset_status`
    `inactive`; `current` is null only when the asset's record itself is gone.
    """

    type: Literal["status_changed"] = "status_changed"
    fleet_id: str
    asset_id: str
    sequence: int = Field(ge=1)
    occurred_at: datetime = Field(description="when the latest change carried here was recorded")
    cause: ChangeCause | None = None
    previous: AssetState | None
    current: AssetState | None


class VerificationEvent(Model):
    """Sent once when a subscription is created or resumed: a 2xx answer makes it active."""

    type: Literal["verification"] = "verification"
    fleet_id: str
    subscription_id: str
    generated_at: datetime


class OnDemandTestEvent(Model):
    """Sent on demand (POST /subscriptions/{id}/test), once, never retried."""

    type: Literal["test"] = "test"
    fleet_id: str
    subscription_id: str
    generated_at: datetime
    message: str = "a test delivery from Fleetbridge: it changes nothing"


PUSH_EVENTS: tuple[type[Model], ...] = (SnapshotEvent, StatusChangedEvent, VerificationEvent, OnDemandTestEvent)


def body(event: Model) -> bytes:
    """The exact bytes we send (compact JSON)."""
    return event.model_dump_json().encode()
