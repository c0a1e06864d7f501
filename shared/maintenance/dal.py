"""Data access of each asset's maintenance status: pk=ORG#{org_id}, sk=MAINT#{asset_id}, its causes and meters."""

from __future__ import annotations

from collections.abc import Iterable

from shared.db.keys import org_pk
from shared.maintenance.models import AssetMaintenanceItem, Meters, StoredCause


def maintenance_sk(asset_id: str) -> str:
    return f"MAINT#{asset_id}"


def get_asset_maintenance(org_id: str, asset_id: str) -> AssetMaintenanceItem | None:
    return AssetMaintenanceItem.find(org_pk(org_id), maintenance_sk(asset_id), consistent_read=True)


def get_asset_maintenances(org_id: str, asset_ids: Iterable[str]) -> dict[str, AssetMaintenanceItem]:
    """BatchGetItem: the maintenance items of these assets (assets without one are left out)."""
    keys = [(org_pk(org_id), maintenance_sk(a)) for a in dict.fromkeys(asset_ids)]
    return {i.asset_id: i for i in AssetMaintenanceItem.batch_get(keys)} if keys else {}


def stored_causes(item: AssetMaintenanceItem | None) -> list[StoredCause]:
    """The asset's causes as kept (an interval item with nothing due yet has no status)."""
    return [StoredCause.model_validate(c) for c in (item.causes or {}).values()] if item is not None else []


def meters_of(item: AssetMaintenanceItem | None) -> Meters | None:
    """The asset's latest odometer and engine hours (from its repair orders), if any were read."""
    if item is None or item.meters_at is None:
        return None
    return Meters(odometer_miles=item.odometer_miles, engine_hours=item.engine_hours, at=item.meters_at)


def set_meters(item: AssetMaintenanceItem, meters: Meters | None) -> None:
    """Keep a reading no older than the one held (newest wins); a meter it lacks keeps its older value."""
    if meters is None or (meters.odometer_miles is None and meters.engine_hours is None):
        return
    if item.meters_at is not None and meters.at < item.meters_at:
        return
    if meters.odometer_miles is not None:
        item.odometer_miles = meters.odometer_miles
    if meters.engine_hours is not None:
        item.engine_hours = meters.engine_hours
    item.meters_at = meters.at
