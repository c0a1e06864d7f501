"""The import record: makes a CSV import idempotent (one per fleet and Idempotency-Key or file hash)."""

from __future__ import annotations

import time

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PynamoDBException
from pynamodb.transactions import TransactWrite

from shared.db.base import TableItem, update_if
from shared.ids import utc_now
from shared.observability import logger

IMPORT = "IMPORT"
LEASE_SECONDS = 120  # a running import not done by then (its Lambda died) may be resumed
KEEP_SECONDS = 7 * 24 * 3600  # how long the same key answers with the same result


class JobImportItem(TableItem, discriminator="job_import"):
    """pk=JOBIMPORT#{fleet}#{key}, sk=IMPORT; key = the Idempotency-Key header or sha256:{file hash}.

    `job_ids` are chosen before the first write, so a resumed import writes the same jobs;
    `result` is the answer replayed for the same key. TTL removes it after KEEP_SECONDS.
    """

    import_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    content_sha256 = UnicodeAttribute()
    status = UnicodeAttribute()  # running | done
    job_ids = JSONAttribute()
    result = JSONAttribute(null=True)
    lease_until = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at_epoch = NumberAttribute()


def import_pk(fleet_id: str, key: str) -> str:
    return f"JOBIMPORT#{fleet_id}#{key}"


def get_import(fleet_id: str, key: str) -> JobImportItem | None:
    return JobImportItem.find(import_pk(fleet_id, key), IMPORT, consistent_read=True)


def claim(tx: TransactWrite, fleet_id: str, key: str, import_id: str, digest: str, job_ids: list[str],
          stale: JobImportItem | None) -> None:
    """Start the import in `tx` (or take over a stale running one); the condition fails while another holds it."""
    now = int(time.time())
    item = JobImportItem(import_pk(fleet_id, key), IMPORT, import_id=import_id, fleet_id=fleet_id,
                         content_sha256=digest, status="running", job_ids=job_ids, lease_until=now + LEASE_SECONDS,
                         created_at=utc_now(), expires_at_epoch=now + KEEP_SECONDS)
    condition = JobImportItem.pk.does_not_exist()
    if stale is not None:
        condition = (JobImportItem.status == "running") & (JobImportItem.lease_until < now) & (
            JobImportItem.import_id == stale.import_id)
    tx.save(item, condition=condition)


def release(fleet_id: str, key: str, import_id: str) -> None:
    """Give up the lease of an import that failed midway, so the next request resumes it at once.
    Best effort: when this write fails too, the lease runs out in LEASE_SECONDS as for a dead Lambda."""
    item = JobImportItem(import_pk(fleet_id, key), IMPORT)
    try:
        update_if(item, [JobImportItem.lease_until.set(0)],
                  (JobImportItem.import_id == import_id) & (JobImportItem.status == "running"))
    except PynamoDBException:
        logger.warning("import lease not released: it runs out by itself", extra={"import_id": import_id})


def finish(fleet_id: str, key: str, import_id: str, result: dict[str, object]) -> None:
    item = JobImportItem(import_pk(fleet_id, key), IMPORT)
    item.update(actions=[JobImportItem.status.set("done"), JobImportItem.result.set(result),
                         JobImportItem.expires_at_epoch.set(int(time.time()) + KEEP_SECONDS)],
                condition=(JobImportItem.import_id == import_id) & (JobImportItem.status == "running"))
