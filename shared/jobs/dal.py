"""Data access of jobs and their vehicle access grants (keys in models.py and docs/data-model.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from shared.db.batch import batch_get_all
from shared.db.pagination import Page
from shared.db.sharded import ShardedKey, merged_page, query_all
from shared.jobs.models import Job, JobItem, JobKind, JobStatus, VehicleAccessItem

JOB = "JOB"
# every job index key (the fleet's, by status, by partner; the partner's) is written over 8 shards,
# `{list key}#{sha256(job id) mod 8}`: a 1,000-row import puts ~190 write units on each instead of 1,500 on
# one (docs/capacity.md: hot keys). Jobs stored before keep the unsharded key until their next write.
JOB_SHARDS = ShardedKey(shards=8)


def job_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def fleet_jobs(fleet_id: str) -> str:
    """The list keys below are the lists' names; each job is written under one shard of them (index)."""
    return f"ORG#{fleet_id}#JOBS"


def fleet_jobs_in(fleet_id: str, status: JobStatus | str) -> str:
    return f"ORG#{fleet_id}#JOBS#{status}"


def fleet_jobs_of(fleet_id: str, partner_id: str) -> str:
    return f"ORG#{fleet_id}#JOBS#PARTNER#{partner_id}"


def partner_jobs(partner_org_id: str) -> str:
    return f"ORG#{partner_org_id}#PJOBS"


def access_pk(partner_org_id: str, asset_id: str) -> str:
    return f"VACCESS#{partner_org_id}#{asset_id}"


def index(item: JobItem) -> None:
    """Keep the list keys in step with the job's status and partner (partner keys only while assigned)."""
    sk = f"JOB#{item.job_id}"

    def shard(list_key: str) -> str:
        return JOB_SHARDS.key(list_key, item.job_id)

    item.gsi1pk, item.gsi1sk = shard(fleet_jobs(item.fleet_id)), sk
    item.gsi2pk, item.gsi2sk = shard(fleet_jobs_in(item.fleet_id, item.status)), sk
    assigned = item.partner_id is not None and item.partner_org_id is not None
    item.gsi3pk = shard(fleet_jobs_of(item.fleet_id, item.partner_id or "")) if assigned else None
    item.gsi3sk = sk if assigned else None
    item.gsi4pk = shard(partner_jobs(item.partner_org_id or "")) if assigned else None
    item.gsi4sk = sk if assigned else None


def to_job(item: JobItem) -> Job:
    return Job.model_validate(item)


def get_job_item(job_id: str) -> JobItem | None:
    return JobItem.find(job_pk(job_id), JOB, consistent_read=True)


def get_job_items(job_ids: Iterable[str]) -> dict[str, JobItem]:
    """The jobs among `job_ids` that exist, by id (BatchGetItem; the caller checks whose they are)."""
    keys = [(job_pk(j), JOB) for j in dict.fromkeys(job_ids)]
    return {item.job_id: item for item in batch_get_all(JobItem, keys, consistent_read=True)}


def list_fleet_jobs(fleet_id: str, *, kind: JobKind | None, status: JobStatus | None, partner_id: str | None,
                    limit: int, cursor: str | None) -> Page[Job]:
    """Newest first: by partner on gsi3, else by status on gsi2, else all on gsi1; the rest as filters."""
    conditions: list[Condition] = []
    if kind:
        conditions.append(JobItem.kind == kind.value)
    if partner_id:
        index_name, partition = "gsi3", fleet_jobs_of(fleet_id, partner_id)
        if status:
            conditions.append(JobItem.status == status.value)
    elif status:
        index_name, partition = "gsi2", fleet_jobs_in(fleet_id, status)
    else:
        index_name, partition = "gsi1", fleet_jobs(fleet_id)
    return _page(index_name, partition, conditions, limit, cursor)


def list_partner_jobs(partner_org_id: str, *, status: JobStatus | None, limit: int,
                      cursor: str | None) -> Page[Job]:
    """Newest first on gsi4 (a partner's jobs, all fleets); status as a filter."""
    conditions = [JobItem.status == status.value] if status else []
    return _page("gsi4", partner_jobs(partner_org_id), conditions, limit, cursor)


def fleet_jobs_of_partner(fleet_id: str, partner_id: str, filter_condition: Condition | None) -> Iterator[JobItem]:
    """Every job of the fleet's list of one partner (gsi3, each shard in turn: no order), filtered."""
    found: Iterator[JobItem] = query_all(JobItem.query, fleet_jobs_of(fleet_id, partner_id), JOB_SHARDS,
                                         index_name="gsi3", filter_condition=filter_condition)
    return found


def _page(index_name: str, list_key: str, conditions: Sequence[Condition], limit: int,
          cursor: str | None) -> Page[Job]:
    """A page of the list, from each of its shards (N Queries, merged newest first)."""
    filter_condition = None
    for condition in conditions:
        filter_condition = condition if filter_condition is None else filter_condition & condition
    return merged_page(JobItem.query, list_key, JOB_SHARDS, index_name=index_name, limit=limit, cursor=cursor,
                       convert=to_job, filter_condition=filter_condition)


# -- vehicle access --------------------------------------------------------------------------------
def access_item(item: JobItem) -> VehicleAccessItem:
    assert item.partner_org_id is not None
    return VehicleAccessItem(access_pk(item.partner_org_id, item.asset_id), f"JOB#{item.job_id}",
                             partner_org_id=item.partner_org_id, fleet_id=item.fleet_id, asset_id=item.asset_id,
                             job_id=item.job_id, granted_at=item.updated_at)


def grant_access(tx: TransactWrite, item: JobItem) -> None:
    tx.save(access_item(item), condition=VehicleAccessItem.pk.does_not_exist())


def revoke_access(tx: TransactWrite, item: JobItem) -> None:
    """Remove the grant the job's assignment wrote (it must be there: the job was ASSIGNED or RUNNING)."""
    assert item.partner_org_id is not None
    tx.delete(VehicleAccessItem(access_pk(item.partner_org_id, item.asset_id), f"JOB#{item.job_id}"),
              condition=VehicleAccessItem.pk.exists())


def vehicle_grant(partner_org_id: str, asset_id: str) -> VehicleAccessItem | None:
    """A live grant of the partner on the asset (any of its open jobs on it), or None."""
    for grant in VehicleAccessItem.query(access_pk(partner_org_id, asset_id), consistent_read=True, limit=1):
        return grant
    return None
