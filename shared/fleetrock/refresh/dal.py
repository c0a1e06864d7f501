"""Data access of refresh tasks: pk=FLEETROCK#{integration_id}#REFRESH, sk={run date}.

A task not done yet sits in the sparse due index, gsi3 `FRREFRESHDUE#{shard}` /
`{due time}#{integration_id}#{run date}`: pending or queued -> a grace period after it was
written (its stream record normally runs it long before), running -> the end of the lease (a
crashed or timed-out run is taken up again), retrying -> the next attempt. Succeeded, failed
and skipped tasks leave the index. Every change is conditional on the status, the attempt
counter and the due key it was read with, so a stream record delivered twice, or the stream and
the sweep racing, make one attempt between them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from pynamodb.expressions.condition import And, Condition

from shared.db.base import save_if
from shared.db.due import DueQueue
from shared.db.pagination import Page, query_page
from shared.db.tasks import Task
from shared.fleetrock.refresh.models import RefreshResult, RefreshStatus, RefreshTask, RefreshTaskItem

DUE = DueQueue("FRREFRESHDUE", "gsi3")  # tasks waiting for a retry, or for their lease to run out
TASK = Task(RefreshTaskItem, DUE, due_key=lambda item: (item.integration_id, item.run_date))
KEEP = timedelta(days=90)  # tasks stay listable this long (TTL)


def task_pk(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}#REFRESH"


def to_task(item: RefreshTaskItem) -> RefreshTask:
    return RefreshTask.model_validate(item)


def new_item(*, integration_id: str, org_id: str, run_date: date, scheduled_at: datetime, now: datetime,
             grace: timedelta) -> RefreshTaskItem:
    item = RefreshTaskItem(
        task_pk(integration_id), run_date.isoformat(), integration_id=integration_id, org_id=org_id,
        run_date=run_date.isoformat(), scheduled_at=scheduled_at, status=RefreshStatus.PENDING.value, attempts=0,
        created_at=now, updated_at=now, expires_at_epoch=int((now + KEEP).timestamp()),
    )
    TASK.place(item, now + grace)
    return item


def put_new(item: RefreshTaskItem) -> bool:
    """Write the day's task unless it exists (the schedule ran twice): True when written."""
    return save_if(item, RefreshTaskItem.pk.does_not_exist())


def get_item(integration_id: str, run_date: str) -> RefreshTaskItem | None:
    return RefreshTaskItem.find(task_pk(integration_id), run_date, consistent_read=True)


def list_page(integration_id: str, *, limit: int, cursor: str | None) -> Page[RefreshTask]:
    """An integration's refreshes, newest day first."""
    return query_page(RefreshTaskItem.query, task_pk(integration_id), scan_index_forward=False, limit=limit,
                      cursor=cursor, convert=to_task)


def due_items(now: datetime, limit_per_shard: int) -> Iterator[RefreshTaskItem]:
    """Tasks whose due time has come, oldest first in each shard."""
    return TASK.due(now, limit_per_shard)


def _as_seen(status: str, attempts: int) -> Condition:
    return And(RefreshTaskItem.status == status, RefreshTaskItem.attempts == attempts)


def claim(item: RefreshTaskItem, *, seen_status: str, seen_attempts: int, now: datetime, lease: timedelta) -> bool:
    """Take the next attempt: running, attempt counter +1, the lease end as due time."""
    return TASK.claim(item, to=RefreshStatus.RUNNING.value, seen=_as_seen(seen_status, seen_attempts), now=now,
                      lease=lease, also=[RefreshTaskItem.started_at.set(now), RefreshTaskItem.next_attempt_at.remove(),
                                         RefreshTaskItem.updated_at.set(now)])


def _running(attempt: int) -> Condition:
    return _as_seen(RefreshStatus.RUNNING.value, attempt)


def finish(item: RefreshTaskItem, attempt: int, *, status: RefreshStatus, now: datetime,
           result: RefreshResult | None = None, error: str | None = None) -> bool:
    """The attempt ended the task: succeeded, skipped, or failed for good. Leaves the due index."""
    return TASK.finish(item, to=status.value, seen=_running(attempt), also=[
        RefreshTaskItem.finished_at.set(now),
        RefreshTaskItem.result.set(result.model_dump()) if result else RefreshTaskItem.result.remove(),
        RefreshTaskItem.last_error.set(error[:500]) if error else RefreshTaskItem.last_error.remove(),
        RefreshTaskItem.next_attempt_at.remove(),
        RefreshTaskItem.updated_at.set(now),
    ])


def retry_later(item: RefreshTaskItem, attempt: int, *, error: str, now: datetime, next_attempt_at: datetime) -> bool:
    return TASK.retry_later(item, to=RefreshStatus.RETRYING.value, at=next_attempt_at, seen=_running(attempt), also=[
        RefreshTaskItem.last_error.set(error[:500]),
        RefreshTaskItem.next_attempt_at.set(next_attempt_at),
        RefreshTaskItem.updated_at.set(now),
    ])


def requeue(item: RefreshTaskItem, *, now: datetime, grace: timedelta) -> bool:
    """The sweep: queue a due task again (its MODIFY record runs it), if nobody touched it since it was read."""
    return TASK.requeue(item, to=RefreshStatus.QUEUED.value, at=now + grace,
                        seen=_as_seen(item.status, int(item.attempts or 0)),
                        also=[RefreshTaskItem.lease_until.remove(), RefreshTaskItem.updated_at.set(now)])


def give_up(item: RefreshTaskItem, *, now: datetime, error: str) -> bool:
    """The sweep: a task out of attempts (its last run crashed) is failed, if nobody touched it since."""
    return TASK.finish(item, to=RefreshStatus.FAILED.value,
                       seen=_as_seen(item.status, int(item.attempts or 0)) & TASK.as_read(item), also=[
        RefreshTaskItem.finished_at.set(now),
        RefreshTaskItem.last_error.set(error[:500]),
        RefreshTaskItem.updated_at.set(now),
    ])
