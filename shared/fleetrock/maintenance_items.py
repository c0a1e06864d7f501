"""Stream work: a scheduled maintenance item (only webhooks carry them) becomes a cause on its asset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.fleetrock import status_dal
from shared.fleetrock.causes import (
    RACE_ATTEMPTS,
    InvalidEvent,
    attach_if_claimed,
    commit,
    match_asset,
    normalize_vin,
    text,
)
from shared.fleetrock.maintenance import maintenance_state_status, parse_date
from shared.fleetrock.models import Cause, IntegrationItem, ScheduledMaintenanceItem


def apply_maintenance_item(integration: IntegrationItem, entry: dict[str, Any], *, as_of: datetime) -> bool:
    sm_id, state = str(entry["id"]), str(entry.get("state") or "")
    try:
        status = maintenance_state_status(state)
        due_date = parse_date(entry.get("due_date"))
    except ValueError as exc:
        raise InvalidEvent(str(exc)) from None
    for _ in range(RACE_ATTEMPTS):
        stored = status_dal.get_maintenance_item(integration.integration_id, sm_id)
        if stored is not None and stored.as_of >= as_of:
            return False
        vin = normalize_vin(entry.get("vin"))
        asset_id = match_asset(integration.org_id, vin)
        item = stored or ScheduledMaintenanceItem(status_dal.sm_partition(integration.integration_id), sm_id,
                                                  integration_id=integration.integration_id,
                                                  org_id=integration.org_id, maintenance_id=sm_id)
        previous_asset, waited = item.asset_id, status_dal.waiting_key(item)
        item.vin, item.state, item.as_of, item.asset_id = vin, state, as_of, asset_id
        cause = None
        if status is not None:
            cause = Cause(status=status, source="scheduled_maintenance", source_id=sm_id,
                          detail=text(entry.get("service")) or "scheduled maintenance",
                          unit_number=text(entry.get("unit_number")), due_date=due_date, since=as_of)
        status_dal.index_waiting(item, cause)
        if commit(integration.org_id, item, cause, previous_asset, asset_id, waited):
            attach_if_claimed(integration.org_id, item)
            return True
    raise RuntimeError(f"maintenance item {sm_id}: lost {RACE_ATTEMPTS} races in a row")
