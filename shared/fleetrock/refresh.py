"""The daily refresh and push (fleetrock.md): scheduled run -> one task per fleet -> stream work -> push.

The scheduled run only writes one task item per active integration, keyed by the US Eastern
day, so a second run the same day writes nothing. Each task's stream record runs that fleet's
refresh (reconcile with GetRO, recompute statuses by date, push the snapshot): fleets are
independent records, so they run in parallel and one fleet's failure touches no other. A
Fleetrock outage is expected: it is recorded on the task (retrying, with backoff, then failed),
counted and logged, and NOT raised, so the shard moves on; the every-minute sweep queues due
retries. Anything unexpected is recorded the same way and raised (the stream retries the record,
which finds the task no longer runnable; the sweep retries the task).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.fleetrock import integration_dal, refresh_dal
from shared.fleetrock.client import FleetrockError
from shared.fleetrock.credentials import client_for
from shared.fleetrock.dispatch import LABELS, fleet_assets_page
from shared.fleetrock.logic import get_integration
from shared.fleetrock.maintenance import ordered, today_eastern
from shared.fleetrock.models import IntegrationItem, IntegrationStatus
from shared.fleetrock.reconcile import recompute, reconcile
from shared.fleetrock.refresh_models import (
    RUNNABLE,
    RefreshResult,
    RefreshStatus,
    RefreshTask,
    RefreshTaskItem,
    ScheduledRun,
)
from shared.ids import utc_now
from shared.observability import logger, metrics
from shared.push.models import AssetSnapshot, SnapshotStatus
from shared.push.snapshots import push_snapshot

GRACE = timedelta(minutes=10)  # a pending/queued task the stream has not run by then: the sweep queues it again
LEASE = timedelta(minutes=15)  # longer than any run can take (Lambda's limit): then the sweep takes it up again
MAX_ATTEMPTS = 6  # backoff 5, 10, 20, 40, 80 min: about 2.5 h of retries, done well before the next day's run
BACKOFF = timedelta(minutes=5)
SNAPSHOT_PAGE = 250
WRITERS = 8  # the scheduled run's concurrent task writes
SWEEP_PER_SHARD = 50


# -- the scheduled run ---------------------------------------------------------------------------
def schedule_refresh(scheduled_at: datetime) -> ScheduledRun:
    """Write the day's task for every active integration (conditional: at most one per integration and day)."""
    run_date, now = today_eastern(scheduled_at), utc_now()
    items = [refresh_dal.new_item(integration_id=i.integration_id, org_id=i.org_id, run_date=run_date,
                                  scheduled_at=scheduled_at, now=now, grace=GRACE)
             for i in integration_dal.active_integrations()]
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        written = list(pool.map(refresh_dal.put_new, items))
    run = ScheduledRun(run_date=run_date, created=sum(written), existing=len(written) - sum(written))
    logger.info("maintenance refresh scheduled",
                extra={"run_date": run.run_date.isoformat(), "tasks_created": run.created,
                       "tasks_existing": run.existing})
    metrics.add_metric(name="MaintenanceRefreshTasks", unit="Count", value=run.created)
    return run


# -- the stream work -----------------------------------------------------------------------------
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
    if not refresh_dal.claim(item, seen_status=item.status, seen_attempts=attempt - 1, now=now, lease=LEASE):
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
    """Record a failed attempt: retried with backoff, or failed for good after MAX_ATTEMPTS; reported."""
    now = utc_now()
    extra = {"integration_id": item.integration_id, "org_id": item.org_id, "run_date": item.run_date,
             "attempt": attempt, "error": error}
    metrics.add_metric(name="MaintenanceRefreshFailed", unit="Count", value=1)
    if attempt >= MAX_ATTEMPTS:
        refresh_dal.finish(item, attempt, status=RefreshStatus.FAILED, now=now, error=error)
        metrics.add_metric(name="MaintenanceRefreshGaveUp", unit="Count", value=1)
        logger.error("maintenance refresh failed for good", extra=extra)
        return RefreshStatus.FAILED
    next_attempt_at = now + BACKOFF * 2 ** (attempt - 1)
    refresh_dal.retry_later(item, attempt, error=error, now=now, next_attempt_at=next_attempt_at)
    logger.warning("maintenance refresh failed: retried later",
                   extra={**extra, "next_attempt_at": next_attempt_at.isoformat()})
    return RefreshStatus.RETRYING


def refresh_fleet(integration: IntegrationItem, as_of: datetime) -> RefreshResult:
    """Reconcile with Fleetrock, recompute statuses as of `as_of`, push the snapshot (unchanged: not pushed)."""
    result = RefreshResult()
    with client_for(integration) as client:
        reconcile(integration, client, as_of, result)
    recompute(integration.org_id, as_of, result)
    assets = snapshot(integration.org_id, as_of)
    result.assets = len(assets)
    result.deliveries = len(push_snapshot(integration.org_id, assets, as_of))
    return result


def snapshot(org_id: str, as_of: datetime) -> list[AssetSnapshot]:
    """Every asset of the fleet (not the inactive ones) with its statuses as of `as_of`, as subscribers get it."""
    today = today_eastern(as_of)
    assets: list[AssetSnapshot] = []
    cursor: str | None = None
    while True:
        page = fleet_assets_page(org_id, limit=SNAPSHOT_PAGE, cursor=cursor)
        for view in page.items:
            statuses = ordered(view.statuses, today)
            assets.append(AssetSnapshot(
                asset_id=view.asset_id, unit_number=view.unit_number, vin=view.vin, kind=view.kind,
                asset_status=view.asset_status,
                maintenance_status=LABELS[statuses[0].status.value] if statuses else None,
                statuses=[SnapshotStatus(status=LABELS[c.status.value], source=c.source, source_id=c.source_id,
                                         detail=c.detail) for c in statuses]))
        if not page.next_cursor:
            return assets
        cursor = page.next_cursor


# -- the every-minute sweep ----------------------------------------------------------------------
def sweep(now: datetime) -> dict[str, int]:
    """Queue the tasks that fell due (retries, expired leases, records never run); counts by outcome."""
    counts = {"queued": 0, "failed": 0, "raced": 0}  # raced: changed since read (run by the stream meanwhile)
    for item in list(refresh_dal.due_items(now, limit_per_shard=SWEEP_PER_SHARD)):
        if item.status == RefreshStatus.RUNNING.value and int(item.attempts or 0) >= MAX_ATTEMPTS:
            done = refresh_dal.give_up(item, now=now, error=f"attempt {item.attempts} did not finish (lease ran out)")
            counts["failed" if done else "raced"] += 1
            if done:
                metrics.add_metric(name="MaintenanceRefreshGaveUp", unit="Count", value=1)
            continue
        counts["queued" if refresh_dal.requeue(item, now=now, grace=GRACE) else "raced"] += 1
    if any(counts.values()):
        logger.info("maintenance refresh sweep", extra=counts)
    return counts


# -- the API -------------------------------------------------------------------------------------
def list_refreshes(caller: Principal, integration_id: str, limit: int, cursor: str | None) -> Page[RefreshTask]:
    get_integration(caller, integration_id)  # 404 unless it is the caller's fleet's
    return refresh_dal.list_page(integration_id, limit=limit, cursor=cursor)
