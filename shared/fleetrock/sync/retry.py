"""An integration's unit syncs for its admins: the list, and a failed sync queued again (retry)."""

from __future__ import annotations

from pynamodb.exceptions import PutError

from shared.auth.principal import Principal
from shared.db.base import condition_failed
from shared.db.pagination import Page
from shared.errors import Conflict, NotFound
from shared.fleetrock.integration.access import owned
from shared.fleetrock.sync import dal as sync_dal
from shared.fleetrock.sync.models import UnitSync, UnitSyncItem
from shared.fleetrock.sync.sync import FAILED, RETRY
from shared.ids import utc_now


def retry_sync(caller: Principal, integration_id: str, asset_id: str) -> UnitSync:
    """Queue a failed unit sync again (the sync item's MODIFY record sends the asset's current state)."""
    owned(caller, integration_id)
    state = sync_dal.get_sync(caller.org_id, asset_id)
    if state is None:
        raise NotFound(f"asset {asset_id} has no unit in Fleetrock")
    if state.state != FAILED:
        return _sync_view(state)
    state.state, state.updated_at = RETRY, utc_now()
    try:
        state.save()
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict("the sync changed meanwhile: look again") from exc
        raise
    return _sync_view(state)


def _sync_view(state: UnitSyncItem) -> UnitSync:
    return UnitSync.model_validate(state)


def list_syncs(caller: Principal, integration_id: str, state: str | None, limit: int,
               cursor: str | None) -> Page[UnitSync]:
    owned(caller, integration_id)
    return sync_dal.list_syncs(caller.org_id, state=state, limit=limit, cursor=cursor)
