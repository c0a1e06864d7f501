"""status_changed for changes the asset itself makes: its status set by a person (DELETE /assets/{id}
makes it inactive), or its record removed.

Those are written by shared/assets, below push, so they come here from the asset's stream record
(old and new image): the record is kept by the stream until this work succeeds, and the change it
records then has the same fan-out, retries and sweep as any. A status set by a repair order was
recorded in that change's own transaction already: its record finds nothing new to say.
"""

from __future__ import annotations

from typing import Any

from shared.assets.public import AssetItem, get_asset_item
from shared.db.base import atomic
from shared.errors import Conflict
from shared.maintenance.public import AssetState, asset_state, get_asset_maintenance
from shared.push.changes import record_change
from shared.push.events import ChangeCause

RACE_ATTEMPTS = 3


def _as_item(image: dict[str, Any]) -> AssetItem:
    return AssetItem(str(image["pk"]), str(image["sk"]), asset_id=str(image["asset_id"]), org_id=str(image["org_id"]),
                     unit_number=str(image["unit_number"]), kind=str(image["kind"]), vin=str(image["vin"]),
                     status=str(image["status"]))


def asset_record_changed(old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    """Stream work on an asset's MODIFY (its status changed) or REMOVE: record the change for the push."""
    if old is None or (new is not None and old.get("status") == new.get("status")):
        return
    fleet_id, asset_id = str(old["org_id"]), str(old["asset_id"])
    for _ in range(RACE_ATTEMPTS):
        maintenance = get_asset_maintenance(fleet_id, asset_id)
        before = asset_state(_as_item(old), maintenance)
        after: AssetState | None = None
        if new is not None:
            current = get_asset_item(fleet_id, asset_id)
            if current is None or current.status != new.get("status"):
                return  # changed again (or removed) since: the later change's own record says what it is now
            after = asset_state(current, maintenance)
        detail = f"asset status set to {new['status']}" if new is not None else "removed"
        try:
            with atomic("the asset changed meanwhile") as tx:
                record_change(tx, fleet_id, asset_id, before=before, after=after,
                              cause=ChangeCause(source="asset", source_id=asset_id, detail=detail))
            return
        except Conflict:
            continue  # another change of the asset recorded first: look again
    raise RuntimeError(f"asset {asset_id}: lost {RACE_ATTEMPTS} races recording its change; the stream retries")
