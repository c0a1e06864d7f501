"""What Fleetrock (which feeds it) may use of maintenance: the statuses' rules, intervals, stored
status, and dispatch's view of a fleet's assets."""

from shared.maintenance.dal import (
    get_asset_maintenance,
    get_asset_maintenances,
    maintenance_sk,
    meters_of,
    set_meters,
    stored_causes,
)
from shared.maintenance.dispatch import asset_state, fleet_assets_page, state_with
from shared.maintenance.intervals import Intervals, Reading, Thresholds, due_points
from shared.maintenance.models import (
    LABELS,
    AssetMaintenanceItem,
    AssetState,
    Cause,
    MaintenanceStatus,
    Meters,
    StoredCause,
)
from shared.maintenance.rules import (
    OPEN_RO_STATUSES,
    maintenance_state_status,
    ordered,
    parse_date,
    repair_order_status,
    today_eastern,
    with_thresholds_of_fleet,
)

__all__ = [
    "LABELS",
    "OPEN_RO_STATUSES",
    "AssetMaintenanceItem",
    "AssetState",
    "Cause",
    "Intervals",
    "MaintenanceStatus",
    "Meters",
    "Reading",
    "StoredCause",
    "Thresholds",
    "asset_state",
    "due_points",
    "fleet_assets_page",
    "get_asset_maintenance",
    "get_asset_maintenances",
    "maintenance_sk",
    "maintenance_state_status",
    "meters_of",
    "ordered",
    "parse_date",
    "repair_order_status",
    "set_meters",
    "state_with",
    "stored_causes",
    "today_eastern",
    "with_thresholds_of_fleet",
]
