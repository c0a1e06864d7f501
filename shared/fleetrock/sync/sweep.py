"""The sync sweep: unit syncs that failed for longer than the stream's retries are tried again, with backoff.

A sync fails while Fleetrock is down or throttling for longer than the client's and the stream's
retries (a minute or so); the record is dead-lettered, and the sync item waits, state `failed`,
in its due queue (sync_dal.TASK). The every-minute sweep of the maintenance_refresh function
queues it again (state `retry`; its MODIFY record sends the asset's current state) 15 minutes
after it failed, then 15, 30, 60, 120 and 240 minutes after each try, as the inbox sweep does.
Still failing 8 hours after the last try, it leaves the queue, listed by
`GET /integrations/{id}/units?state=failed`, for a fleet admin's `POST .../sync`;
the fleet is notified once a day while syncs are given up (integration/trouble.py).
"""

from __future__ import annotations

from datetime import datetime

from shared.db.tasks import SWEEP_PER_SHARD, Sweep, sweep
from shared.fleetrock.integration import trouble
from shared.fleetrock.sync import dal as sync_dal
from shared.fleetrock.sync.models import UnitSyncItem
from shared.observability import logger, metrics


def _gave_up(item: UnitSyncItem) -> None:
    metrics.add_metric(name="FleetrockSyncGaveUp", unit="Count", value=1)
    logger.warning("unit sync left for a manual retry", extra={
        "org_id": item.org_id, "asset_id": item.asset_id, "error": item.last_error})
    trouble.sync_gave_up(item.org_id, item.integration_id, item.asset_id, item.last_error)  # once a day a fleet


SYNCS = Sweep[UnitSyncItem](name="fleetrock sync sweep",
                            waiting=lambda item: item.state in (sync_dal.FAILED, sync_dal.RETRY),
                            tries=lambda item: int(item.sweeps or 0), requeue=sync_dal.sweep_requeue,
                            drop=sync_dal.leave_queue, give_up=sync_dal.leave_queue, gave_up=_gave_up)


def sweep_syncs(now: datetime) -> dict[str, int]:
    """Queue the failed syncs that fell due; counts by outcome (raced: synced or swept meanwhile)."""
    return sweep(SYNCS, sync_dal.due_syncs(now, limit_per_shard=SWEEP_PER_SHARD), now)
