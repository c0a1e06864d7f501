"""Stream work: our assets to Fleetrock units, by VIN (Fleetbridge is the source of truth).

Driven by the asset item's own stream records (INSERT, MODIFY), so the assets routes need no
change and no asset change is missed: the record is the outbox. Each run sends the asset's
*current* state and remembers the asset version Fleetrock has seen, so records arrive in order
per asset, a redelivered or older record is skipped, and nothing is sent twice. A failed send
is recorded (state `failed`) and raised: the stream retries it a few times, then dead-letters
it; the failed sync waits in a due queue that the every-minute sweep works through with backoff
for about 16 hours (shared/fleetrock/sync/sweep.py), and `POST /integrations/{id}/units/{asset_id}/sync`
queues it again at any time.
"""

from __future__ import annotations

from typing import Any

from shared.assets.public import AssetItem, AssetStatus, get_asset_item
from shared.db.keys import org_pk
from shared.db.tasks import FIRST_SWEEP_AFTER
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration.credentials import client_for
from shared.fleetrock.integration.models import IntegrationItem, IntegrationStatus
from shared.fleetrock.remote.client import FleetrockClient, FleetrockError
from shared.fleetrock.remote.contract import UNIT_FIELD_MAP
from shared.fleetrock.sync import dal as sync_dal
from shared.fleetrock.sync.models import UnitSyncItem
from shared.ids import utc_now
from shared.observability import logger, metrics

SYNCED, FAILED, RETRY = "synced", "failed", "retry"


def unit_fields(asset: AssetItem, default_group: str) -> dict[str, Any]:
    """What Fleetrock gets of an asset (fleetrock.md: unit number, license, VIN, status, group), under the
    unit field names of contract.UNIT_FIELD_MAP (assumed: AddUnit / UpdateUnit are not public)."""
    ours = {
        "unit_number": asset.unit_number,
        "vin": asset.vin,
        "kind": asset.kind.title(),
        "license_number": asset.license_number,
        "license_state": asset.license_state,
        "license_expiration": asset.license_expiration,
        "status": "Inactive" if asset.status == AssetStatus.INACTIVE.value else "Active",
        "default_group": default_group,
    }
    return {UNIT_FIELD_MAP[name]: value for name, value in ours.items()}


def sync_asset_record(image: dict[str, Any]) -> None:
    """Stream work for an asset's INSERT or MODIFY."""
    integration = integration_dal.get_fleet_integration(str(image["org_id"]))
    if integration is None or integration.status != IntegrationStatus.ACTIVE.value:
        return
    sync_asset(integration, str(image["asset_id"]), seen_version=int(image.get("version") or 0))


def retry_sync_record(image: dict[str, Any]) -> None:
    """Stream work for a sync item's MODIFY: a retry was asked for."""
    if image.get("state") != RETRY:
        return
    integration = integration_dal.get_fleet_integration(str(image["org_id"]))
    if integration is None or integration.status != IntegrationStatus.ACTIVE.value:
        return
    sync_asset(integration, str(image["asset_id"]), seen_version=0, force=True)


def sync_asset(integration: IntegrationItem, asset_id: str, *, seen_version: int, force: bool = False) -> bool:
    """Bring the unit in line with the asset; True when Fleetrock was called."""
    org_id = integration.org_id
    state = sync_dal.get_sync(org_id, asset_id)
    if state is not None and state.synced_version >= seen_version and state.state == SYNCED and not force:
        return False  # Fleetrock has seen this version or a newer one
    asset = get_asset_item(org_id, asset_id)
    if asset is None:
        return False
    if state is None and integration.activated_at and asset.created_at < integration.activated_at:
        return False  # Fleetbridge-only before activation: not created in Fleetrock (fleetrock.md)
    if state is None:
        state = UnitSyncItem(org_pk(org_id), sync_dal.sync_sk(asset_id), org_id=org_id, asset_id=asset_id,
                             integration_id=integration.integration_id, updated_at=utc_now())
    unit = unit_fields(asset, integration.default_group)
    if state.unit_id and state.synced == unit:
        _save(state, asset, unit)
        return False
    try:
        with client_for(integration) as client:
            _send(client, state, unit)
    except Exception as exc:  # Fleetrock's, and ours (the API key's decryption...): recorded, and due for the sweep
        error = str(exc) if isinstance(exc, FleetrockError) else f"{type(exc).__name__}: {exc}"
        state.state, state.attempts, state.last_error = FAILED, (state.attempts or 0) + 1, error[:500]
        state.updated_at = utc_now()
        if state.gsi4pk is None:  # not in the due queue yet (a swept retry keeps the due time it has)
            sync_dal.set_due(state, state.updated_at + FIRST_SWEEP_AFTER)
        state.save()
        metrics.add_metric(name="FleetrockSyncFailed", unit="Count", value=1)
        raise
    _save(state, asset, unit)
    metrics.add_metric(name="FleetrockUnitSynced", unit="Count", value=1)
    logger.info("unit synced to Fleetrock", extra={"asset_id": asset_id, "asset_version": asset.version})
    return True


def _send(client: FleetrockClient, state: UnitSyncItem, unit: dict[str, Any]) -> None:
    if not state.unit_id:
        # an AddUnit whose answer was lost, or a unit added in Fleetrock by hand: find it by VIN first
        existing = next((u for u in client.get_units() if str(u.get("vin", "")).upper() == unit["vin"]), None)
        if existing is None:
            entry = client.add_unit(unit)
            state.unit_id = str(entry.get("id") or "") or None
            if state.unit_id is None:
                raise FleetrockError("AddUnit answered no unit id")
            return
        state.unit_id = str(existing.get("id"))
    client.update_unit({"id": state.unit_id, **unit})


def _save(state: UnitSyncItem, asset: AssetItem, unit: dict[str, Any]) -> None:
    state.synced, state.synced_version = unit, max(asset.version or 0, state.synced_version or 0)
    state.state, state.last_error, state.updated_at, state.sweeps = SYNCED, None, utc_now(), 0
    sync_dal.set_due(state, None)
    state.save()  # versioned: two runs on one asset cannot both record
