"""CSV import of jobs: all rows validated first, then written with BatchWriteItem.

All or nothing for validation: one wrong row and nothing is written (422 listing every wrong
row). Idempotent: the same Idempotency-Key, or the same file content (whatever its key), imports
once and answers the same result again: an import is recorded under its key and under its
content's hash.

Writing: one transaction starts the import (the import record, which fixes the job ids, the
audit events of the fleet and of each partner whose access it grants, and a check that those
partners are still ACCEPTED); then the jobs, each followed by its vehicle access grant, go
out in BatchWriteItem requests of 25, four at a time, unprocessed items sent again
with backoff (transactions would be 5x slower: BatchWriteItem is what makes 1,000 rows take a
second). An import interrupted midway (its Lambda died) is resumed by the same request once its
lease expired: the same job ids, the jobs already written left alone (their missing grants written).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pynamodb.transactions import TransactWrite

from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.db.base import TableItem, atomic
from shared.db.batch import batch_get_all
from shared.db.pace import Pace, write_units
from shared.db.unavailable import dynamodb_unavailable
from shared.errors import Conflict, DomainError, TooManyRequests, Unprocessable
from shared.ids import new_id, utc_now
from shared.jobs import building, changes, csv_parse, csv_rows, dal, imports_dal, rules, transitions
from shared.jobs.bodies import ImportResult
from shared.jobs.imports_dal import LEASE_SECONDS, JobImportItem
from shared.jobs.models import JobItem, JobStatus, VehicleAccessItem

BATCH = 25  # BatchWriteItem's limit
MAX_PARTNERS = 40  # the starting transaction holds 2 items per partner (of at most 100)
WRITERS = 4
# write units per second an import's jobs may take: each goes under one of the 8 shards of each of the fleet's
# job index keys (gsi1 ORG#{fleet}#JOBS#{n} and the status, partner and installer keys: dal.JOB_SHARDS), the
# busiest shard taking about 1/6 of an import's rows, so at most ~650 a second under any one key: DynamoDB's
# limit per key is 1,000, the rest is left to the fleet's other writes (docs/capacity.md: hot keys). A 1,000-row
# import (~1,500 units) is not slowed by it; several at once for one fleet or one installer are.
JOB_INDEX_UNITS_PER_SECOND = 4_000
ATTEMPTS = 8


def import_jobs(caller: Principal, body: bytes, key: str | None, *, dry_run: bool) -> tuple[ImportResult, bool]:
    """The import's result, and whether it is the replay of an earlier import with the same key."""
    digest = hashlib.sha256(body).hexdigest()
    content_key = f"sha256:{digest}"
    key = key or content_key
    record = None if dry_run else imports_dal.get_import(caller.org_id, key)
    same_file = None if dry_run or key == content_key else imports_dal.get_import(caller.org_id, content_key)
    if (earlier := _earlier_result(record, same_file, digest)) is not None:
        return earlier, True
    plan = _checked_plan(caller, body, dry_run=dry_run)
    assigned = sum(p.partner is not None for p in plan)
    if dry_run:
        return ImportResult(import_id=None, dry_run=True, rows=len(plan), created=len(plan), assigned=assigned,
                            job_ids=[]), False
    import_id = record.import_id if record is not None else new_id("imp")
    items = _items(caller, plan, import_id, record.job_ids if record is not None else None)
    with atomic(_claim_lost(imports_dal.import_pk(caller.org_id, key),
                            imports_dal.import_pk(caller.org_id, content_key))) as tx:
        imports_dal.claim(tx, caller.org_id, key, import_id, digest, [i.job_id for i in items], record)
        if key != content_key:  # the same file under any other key finds it
            imports_dal.claim(tx, caller.org_id, content_key, import_id, digest, [i.job_id for i in items],
                              same_file)
        if record is None:  # a resumed import wrote them when it started
            _audit(tx, caller, import_id, items)
    result = ImportResult(import_id=import_id, rows=len(plan), created=len(items), assigned=assigned,
                          job_ids=[i.job_id for i in items])
    keys = tuple(dict.fromkeys((key, content_key)))
    try:
        _write(_pending_writes(items, resuming=record is not None))
        for done_key in keys:
            imports_dal.finish(caller.org_id, done_key, import_id, result.model_dump(mode="json"))
    except Exception as exc:
        # DynamoDB unreachable or throttling past the retries: the caller gets a 503, and the same request
        # again resumes the import at once instead of after the lease (which covers a Lambda that died)
        if dynamodb_unavailable(exc):
            for held_key in keys:
                imports_dal.release(caller.org_id, held_key, import_id)
        raise
    return result, False


def _earlier_result(record: JobImportItem | None, same_file: JobImportItem | None,
                    digest: str) -> ImportResult | None:
    """The result of a finished import of this key, or of this file under another key: the replay.
    409 when one is running, when the key was used for another file, or when this file's import under
    another key was interrupted (only that key resumes it, with the job ids it fixed)."""
    if record is not None and record.content_sha256 != digest:
        raise Conflict("this Idempotency-Key was used for another file: send a new key with a new file")
    for found in (record, same_file):  # same_file: this file under another key
        if found is not None and found.status == "done":
            return ImportResult.model_validate(found.result)
        if found is not None and found.lease_until >= int(time.time()):
            raise Conflict("this import is running: send the same request again in a minute to get its result")
    if record is None and same_file is not None:
        raise Conflict("an import of this file under another Idempotency-Key was interrupted: send it again with "
                       "that key to finish it")
    return None


def _checked_plan(caller: Principal, body: bytes, *, dry_run: bool) -> list[csv_rows.PlannedJob]:
    """Every row parsed and validated before anything is written: 422 listing every wrong row, or when
    the file names more partners than the transaction that starts the import can hold."""
    plan, errors = csv_rows.validate(caller, csv_parse.parse(body))
    if errors:
        rows = len({e.row for e in errors})
        raise Unprocessable(f"{rows} row{'s are' if rows > 1 else ' is'} wrong: nothing was imported"
                            f"{' (dry run)' if dry_run else ''}", [e.detail() for e in errors])
    partners = {p.partner.partner_id for p in plan if p.partner is not None}
    if len(partners) > MAX_PARTNERS:
        raise Unprocessable.field("assigned_installer_company_id", f"the file names {len(partners)} partners: at "
                                  f"most {MAX_PARTNERS} per import (split it)")
    return plan


def _items(caller: Principal, plan: list[csv_rows.PlannedJob], import_id: str,
           job_ids: list[str] | None) -> list[JobItem]:
    if job_ids is not None and len(job_ids) != len(plan):
        raise Conflict("this import was interrupted and its rows changed since: send it with a new Idempotency-Key")
    now = utc_now()
    items = []
    for n, row in enumerate(plan):
        origin = building.JobOrigin(template_id=row.template_id, import_id=import_id,
                                    job_id=job_ids[n] if job_ids else None)
        item = building.new_job_item(caller, row.asset, row.kind, row.data, now, origin)
        if row.partner is not None:  # its grant goes beside it in the batch (_pending_writes)
            transitions.apply(caller, item, JobStatus.ASSIGNED, now, partner=row.partner)
        items.append(item)
    return items


def _claim_lost(*import_pks: str) -> Callable[[set[str]], DomainError]:
    def conflict(failed: set[str]) -> DomainError:
        if failed & set(import_pks):
            return Conflict("this import is running: send the same request again in a minute to get its result")
        return Conflict("a partner of this file is no longer ACCEPTED: nothing was imported")

    return conflict


def _audit(tx: TransactWrite, caller: Principal, import_id: str, items: list[JobItem]) -> None:
    """The import's audit events (the fleet's; each partner's, whose access it grants), and a check that
    those partners are still ACCEPTED, in the transaction that starts the import: written ahead of the jobs."""
    by_partner: dict[str, list[JobItem]] = {}
    for item in items:
        if item.partner_org_id:
            by_partner.setdefault(item.partner_org_id, []).append(item)
    assigned = {p: [i.job_id for i in js] for p, js in by_partner.items()}
    add_audit_event(tx, org_id=caller.org_id, actor=caller, action="job.imported", target_type="job_import",
                    target_id=import_id, after={"job_ids": [i.job_id for i in items], "assigned": assigned})
    for partner_org, jobs in by_partner.items():
        building.partner_still_accepted(tx, jobs[0], open_jobs=len(jobs))
        add_audit_event(tx, org_id=partner_org, actor=caller, action="job.assigned", target_type="job_import",
                        target_id=import_id, after={"fleet_id": caller.org_id, "job_ids": [i.job_id for i in jobs],
                                                    "asset_ids": sorted({i.asset_id for i in jobs})})


def _pending_writes(items: list[JobItem], *, resuming: bool) -> list[list[TableItem]]:
    """Groups of at most 25 puts, each job beside its access grant. Resuming an interrupted import, the
    jobs already written are left as they are (a partner may have started one meanwhile), and those
    still open get the grant the interruption may have kept from them."""
    existing = dal.get_job_items(i.job_id for i in items) if resuming else {}
    _restore_grants(list(existing.values()))
    puts: list[TableItem] = []
    for item in items:
        if item.job_id not in existing:
            item.version = 1  # as a job created alone: its first write
            puts += [item, dal.access_item(item)] if item.partner_org_id else [item]
    return [puts[n:n + BATCH] for n in range(0, len(puts), BATCH)]


def _restore_grants(jobs: list[JobItem]) -> None:
    """Write the missing grants of open (ASSIGNED, RUNNING) jobs: a batch is not atomic, and a job and its
    grant may have gone in two requests. Each in a transaction with the job still open to that partner."""
    open_jobs = {(dal.access_pk(j.partner_org_id, j.asset_id), f"JOB#{j.job_id}"): j for j in jobs
                 if j.status in rules.OVERRIDABLE and j.partner_org_id}
    present = {(g.pk, g.sk) for g in batch_get_all(VehicleAccessItem, list(open_jobs), consistent_read=True)}
    for key, job in open_jobs.items():
        if key in present:
            continue
        with atomic(changes.lost_race(job.job_id)) as tx:
            tx.condition_check(JobItem, job.pk, job.sk, condition=JobItem.status.is_in(*rules.OVERRIDABLE) & (
                JobItem.partner_org_id == job.partner_org_id))
            dal.grant_access(tx, job)


def _write(groups: list[list[TableItem]]) -> None:
    """BatchWriteItem, WRITERS requests at a time, paced so the fleet's job index keys (every job of the
    import goes under one of their 8 shards) stay under their partition's write limit; unprocessed items are
    sent again with backoff."""
    table = TableItem._get_connection()
    pace = Pace(JOB_INDEX_UNITS_PER_SECOND)

    def write(group: list[TableItem]) -> None:
        pending = [i.serialize() for i in group]
        pace.take(sum(write_units(s) for i, s in zip(group, pending, strict=True) if isinstance(i, JobItem)))
        for attempt in range(ATTEMPTS):
            answer = table.batch_write_item(put_items=pending) or {}
            unprocessed = answer.get("UnprocessedItems", {}).get(TableItem.Meta.table_name, [])
            if not unprocessed:
                return
            pending = [u["PutRequest"]["Item"] for u in unprocessed]
            time.sleep(random.uniform(0.05, 0.1) * 2**attempt)
        raise TooManyRequests("the table is busy: send the same request again, the import resumes where it stopped",
                              retry_after_seconds=LEASE_SECONDS)

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, groups))
