"""The daily refresh's stream work: one fleet's task run (reconcile, recompute, push), its retries.

The stream processor imports it on a task's first record (shared/streams/router.py); the scheduled
handler, which only writes and sweeps tasks (refresh.py), does not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.fleetrock.inbox.maintenance_items import thresholds_of
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration import trouble
from shared.fleetrock.integration.credentials import client_for
from shared.fleetrock.integration.models import IntegrationItem, IntegrationStatus
from shared.fleetrock.refresh import dal as refresh_dal
from shared.fleetrock.refresh import refresh
from shared.fleetrock.refresh.models import RUNNABLE, RefreshResult, RefreshStatus, RefreshTaskItem
from shared.fleetrock.refresh.reconcile import recompute, reconcile
from shared.fleetrock.remote.client import FleetrockError
from shared.ids import utc_now
from shared.maintenance.public import AssetState, Meters, fleet_assets_page, ordered, today_eastern
from shared.observability import logger, metrics
from shared.push.public import push_snapshot

# the retry policy (refresh.MAX_ATTEMPTS, BACKOFF, LEASE) is the sweep's too: read from refresh.py
SNAPSHOT_PAGE = 250


def run_task_record(image: dict[str, Any]) -> None:
    """Stream work for a task's INSERT (pending) and MODIFY (queued by the sweep); other changes: nothing."""
    if image.get("status") not in RUNNABLE:
        return
    item = refresh_dal.get_item(str(image["integration_id"]), str(image["run_date"]))
    if item is None or item.status not in RUNNABLE:
        return  # run already: a redelivered record
    run_task(item)


def run_task(item: RefreshTaskItem) -> RefreshStatus | None:
    """Claim the task's next attempt and run it; the status it ended in (None: someone else has it)."""
    now, attempt = utc_now(), int(item.attempts or 0) + 1
    if not refresh_dal.claim(item, seen_status=item.status, seen_attempts=attempt - 1, now=now, lease=refresh.LEASE):
        return None
    integration = integration_dal.get_integration_item(item.integration_id)
    if integration is None or integration.status != IntegrationStatus.ACTIVE.value:
        refresh_dal.finish(item, attempt, status=RefreshStatus.SKIPPED, now=utc_now(),
                           error="the integration is not active")
        return RefreshStatus.SKIPPED
    try:
        result = refresh_fleet(integration, max(now, item.scheduled_at))
    except FleetrockError as exc:  # expected: Fleetrock down, throttling or refusing; never blocks the shard
        return _failed(item, attempt, f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        _failed(item, attempt, f"unexpected {type(exc).__name__}: {str(exc)[:300]}")
        raise
    refresh_dal.finish(item, attempt, status=RefreshStatus.SUCCEEDED, now=utc_now(), result=result)
    metrics.add_metric(name="MaintenanceRefreshSucceeded", unit="Count", value=1)
    logger.info("maintenance refresh done", extra={"integration_id": item.integration_id, "org_id": item.org_id,
                                                   "run_date": item.run_date, "attempt": attempt,
                                                   **result.model_dump()})
    return RefreshStatus.SUCCEEDED


def _failed(item: RefreshTaskItem, attempt: int, error: str) -> RefreshStatus:
    """Record a failed attempt: retried with backoff, or failed for good after refresh.MAX_ATTEMPTS; reported."""
    now = utc_now()
    extra = {"integration_id": item.integration_id, "org_id": item.org_id, "run_date": item.run_date,
             "attempt": attempt, "error": error}
    metrics.add_metric(name="MaintenanceRefreshFailed", unit="Count", value=1)
    if attempt >= refresh.MAX_ATTEMPTS:
        refresh_dal.finish(item, attempt, status=RefreshStatus.FAILED, now=now, error=error)
        metrics.add_metric(name="MaintenanceRefreshGaveUp", unit="Count", value=1)
        logger.error("maintenance refresh failed for good", extra=extra)
        trouble.refresh_gave_up(item.org_id, item.integration_id, item.run_date, error)
        return RefreshStatus.FAILED
    next_attempt_at = now + refresh.BACKOFF * 2 ** (attempt - 1)
    refresh_dal.retry_later(item, attempt, error=error, now=now, next_attempt_at=next_attempt_at)
    logger.warning("maintenance refresh failed: retried later",
                   extra={**extra, "next_attempt_at": next_attempt_at.isoformat()})
    return RefreshStatus.RETRYING


def refresh_fleet(integration: IntegrationItem, as_of: datetime) -> RefreshResult:
    """Reconcile with Fleetrock, recompute statuses as of `as_of`, push the snapshot (unchanged: not pushed)."""
    result = RefreshResult()
    with client_for(integration) as client:
        reconcile(integration, client, as_of, result)
    recompute(integration.org_id, as_of, result, thresholds=thresholds_of(integration))
    assets = snapshot(integration.org_id, as_of)
    result.assets = len(assets)
    result.deliveries = len(push_snapshot(integration.org_id, assets, as_of))
    return result


def snapshot(org_id: str, as_of: datetime) -> list[AssetState]:
    """Every asset of the fleet (not the inactive ones) with its statuses as of `as_of`, as subscribers get it:
    the same model and words as /dispatch/assets."""
    today = today_eastern(as_of)
    assets: list[AssetState] = []
    cursor: str | None = None
    while True:
        page = fleet_assets_page(org_id, limit=SNAPSHOT_PAGE, cursor=cursor)
        for view in page.items:
            meters = Meters(odometer_miles=view.odometer_miles, engine_hours=view.engine_hours,
                            at=view.meters_at) if view.meters_at else None
            statuses = ordered(view.statuses, today, meters)
            assets.append(AssetState(
                asset_id=view.asset_id, unit_number=view.unit_number, vin=view.vin, kind=view.kind,
                asset_status=view.asset_status, maintenance_status=statuses[0].status if statuses else None,
                statuses=statuses))
        if not page.next_cursor:
            return assets
        cursor = page.next_cursor
