"""Dispatch: a fleet's assets with their maintenance statuses, and the check before assigning.

Reads only: a page of assets (Query) and their maintenance items (BatchGetItem). Statuses are
evaluated as of today (US Eastern), so an Upcoming item past its due date already shows Overdue.
"""

from __future__ import annotations

from datetime import date

from shared.assets.public import AssetItem, AssetKind, AssetStatus, get_asset_items
from shared.auth.principal import Principal
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.errors import NotFound, Unprocessable
from shared.maintenance import dal as maintenance_dal
from shared.maintenance.models import (
    LABELS,
    AssetMaintenanceItem,
    AssetState,
    Cause,
    DispatchAsset,
    DispatchCheck,
    DispatchCheckResult,
    DispatchWarning,
)
from shared.maintenance.rules import ordered, today_eastern


def asset_state(asset: AssetItem, maintenance: AssetMaintenanceItem | None, today: date | None = None) -> AssetState:
    """The asset with its statuses as of `today` (default: today, US Eastern), highest first."""
    meters = maintenance_dal.meters_of(maintenance)
    return state_with(asset, ordered(maintenance_dal.stored_causes(maintenance), today or today_eastern(), meters))


def state_with(asset: AssetItem, statuses: list[Cause]) -> AssetState:
    """The asset with statuses already evaluated (`ordered`: highest first)."""
    return AssetState(asset_id=asset.asset_id, unit_number=asset.unit_number, vin=asset.vin, kind=asset.kind,
                      asset_status=asset.status, maintenance_status=statuses[0].status if statuses else None,
                      statuses=statuses)


def dispatch_asset(asset: AssetItem, maintenance: AssetMaintenanceItem | None) -> DispatchAsset:
    meters = maintenance_dal.meters_of(maintenance)
    state = state_with(asset, ordered(maintenance_dal.stored_causes(maintenance), today_eastern(), meters))
    return DispatchAsset(**dict(state), computed_at=maintenance.computed_at if maintenance
                         else None, odometer_miles=meters.odometer_miles if meters else None,
                         engine_hours=meters.engine_hours if meters else None, meters_at=meters.at if meters else None)


def fleet_assets_page(org_id: str, *, limit: int, cursor: str | None,
                      kind: AssetKind | None = None) -> Page[DispatchAsset]:
    """One page of a fleet's trucks and trailers (not the inactive ones), newest first, with statuses.

    Also what the daily push sends, page by page (asset_id, unit_number, vin, kind, asset_status,
    maintenance_status, statuses).
    """
    condition = AssetItem.status != AssetStatus.INACTIVE.value
    if kind is not None:
        condition &= AssetItem.kind == kind.value
    page = query_page(AssetItem.query, org_pk(org_id), range_key_condition=AssetItem.sk.startswith("ASSET#"),
                      limit=limit, cursor=cursor, convert=lambda a: a, scan_index_forward=False,
                      filter_condition=condition)
    maintenance = maintenance_dal.get_asset_maintenances(org_id, [a.asset_id for a in page.items])
    return Page[DispatchAsset](items=[dispatch_asset(a, maintenance.get(a.asset_id)) for a in page.items],
                               next_cursor=page.next_cursor)


def list_dispatch(caller: Principal, limit: int, cursor: str | None, kind: AssetKind | None) -> Page[DispatchAsset]:
    return fleet_assets_page(caller.org_id, limit=limit, cursor=cursor, kind=kind)


def check(caller: Principal, body: DispatchCheck) -> DispatchCheckResult:
    """Every status of the truck and/or trailer as a warning; never blocks."""
    wanted = {k: v for k, v in (("truck", body.truck_id), ("trailer", body.trailer_id)) if v}
    if not wanted:
        raise Unprocessable.field("truck_id", "send a truck_id, a trailer_id, or both")
    assets = get_asset_items(caller.org_id, wanted.values())
    for kind, asset_id in wanted.items():
        asset = assets.get(asset_id)
        if asset is None:
            raise NotFound(f"asset {asset_id} not found")
        if asset.kind != kind:
            raise Unprocessable.field(f"{kind}_id", f"asset {asset_id} is a {asset.kind}, not a {kind}")
    maintenance = maintenance_dal.get_asset_maintenances(caller.org_id, wanted.values())
    views = [dispatch_asset(assets[a], maintenance.get(a)) for a in wanted.values()]
    warnings = [
        DispatchWarning(asset_id=v.asset_id, kind=v.kind, unit_number=v.unit_number, status=c.status, cause=c,
                        message=f"{v.kind} {v.unit_number} is {LABELS[c.status]}: "
                                f"{_source(c)}")
        for v in views for c in v.statuses
    ]
    return DispatchCheckResult(warnings=warnings, assets=views)


def _source(cause: Cause) -> str:
    if cause.source == "repair_order":
        return f"repair order {cause.source_id} ({cause.detail})"
    points = [f"{cause.due_date.isoformat()}" if cause.due_date else "",
              f"{cause.due_miles:,.0f} mi" if cause.due_miles is not None else "",
              f"{cause.due_engine_hours:,.0f} engine h" if cause.due_engine_hours is not None else ""]
    due = f", due {' or '.join(p for p in points if p)}" if any(points) else ""
    return f"{cause.detail} (maintenance item {cause.source_id}{due})"
