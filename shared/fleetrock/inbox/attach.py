"""Stream work: an asset that appears after Fleetrock told us about its repair orders gets them.

A repair order (or scheduled maintenance item) for a VIN no active asset has is stored with the
cause it would give and, in the same transaction, a marker keyed by the VIN (sources_dal.write_waiting).
When a VIN claim becomes active (an asset created with that VIN, given it, or reactivated), each
waiting item is attached to the asset in the same transaction that adds the cause to its
maintenance status (and sets it in_shop for an open repair order in progress), exactly as if the
event had come after the asset. The event's side checks the claim again after storing a waiting
item (apply.py). Both sides read consistently (the markers are table keys, not an index), so of an
asset and an event that arrive together, whichever comes second sees the first.
"""

from __future__ import annotations

from typing import Any

from shared.fleetrock.inbox import sources_dal
from shared.fleetrock.inbox.causes import attach_waiting
from shared.fleetrock.integration import dal as integration_dal
from shared.observability import logger, metrics


def attach_waiting_record(image: dict[str, Any]) -> None:
    """Stream work for a VIN claim's INSERT or MODIFY: once active, its asset takes what waits for its VIN."""
    if not image.get("active"):
        return
    org_id, asset_id, vin = str(image["org_id"]), str(image["asset_id"]), str(image["sk"]).removeprefix("VIN#")
    integration = integration_dal.get_fleet_integration(org_id)
    if integration is None:
        return
    for item in sources_dal.waiting_for_vin(integration.integration_id, vin):
        if attach_waiting(org_id, item, asset_id):
            metrics.add_metric(name="FleetrockCauseAttachedLater", unit="Count", value=1)
            logger.info("a Fleetrock cause waiting for its VIN attached", extra={"asset_id": asset_id, "vin": vin})
