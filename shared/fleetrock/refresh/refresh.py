"""The daily refresh and push (fleetrock.md): scheduled run -> one task per fleet -> stream work -> push.

The scheduled run only writes one task item per active integration, keyed by the US Eastern
day, so a second run the same day writes nothing. Each task's stream record runs that fleet's
refresh (reconcile with GetRO, recompute statuses by date, push the snapshot): fleets are
independent records, so they run in parallel and one fleet's failure touches no other (that work:
shared/fleetrock/refresh/run.py). A
Fleetrock outage is expected: it is recorded on the task (retrying, with backoff, then failed),
counted and logged, and NOT raised, so the shard moves on; the every-minute sweep queues due
retries. Anything unexpected is recorded the same way and raised (the stream retries the record,
which finds the task no longer runnable; the sweep retries the task).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration import trouble
from shared.fleetrock.integration.logic import get_integration
from shared.fleetrock.refresh import dal as refresh_dal
from shared.fleetrock.refresh.models import RefreshStatus, RefreshTask, ScheduledRun
from shared.ids import utc_now
from shared.maintenance.public import today_eastern
from shared.observability import logger, metrics

GRACE = timedelta(minutes=10)  # a pending/queued task the stream has not run by then: the sweep queues it again
LEASE = timedelta(minutes=15)  # longer than any run can take (Lambda's limit): then the sweep takes it up again
MAX_ATTEMPTS = 6  # backoff 5, 10, 20, 40, 80 min: about 2.5 h of retries, done well before the next day's run
BACKOFF = timedelta(minutes=5)
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
                trouble.refresh_gave_up(item.org_id, item.integration_id, item.run_date, item.last_error)
            continue
        counts["queued" if refresh_dal.requeue(item, now=now, grace=GRACE) else "raced"] += 1
    if any(counts.values()):
        logger.info("maintenance refresh sweep", extra=counts)
    return counts


# -- the API -------------------------------------------------------------------------------------
def list_refreshes(caller: Principal, integration_id: str, limit: int, cursor: str | None) -> Page[RefreshTask]:
    get_integration(caller, integration_id)  # 404 unless it is the caller's fleet's
    return refresh_dal.list_page(integration_id, limit=limit, cursor=cursor)
