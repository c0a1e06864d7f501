"""Route each DynamoDB stream record to the work it triggers, by event name and item type.

Work registered here must be idempotent: the stream may deliver a record more than once, and
a failed record is retried (then sent to the dead-letter queue) by the event source mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from shared.fleetrock.apply import apply_inbox_record
from shared.fleetrock.attach import attach_waiting_record
from shared.fleetrock.refresh import run_task_record
from shared.fleetrock.sync import retry_sync_record, sync_asset_record
from shared.groups.logic import clean_up_deleted_group
from shared.outbox.delivery import deliver
from shared.portal.job_services import record_job_service
from shared.push.attempts import send_from_stream

Work = Callable[[dict[str, Any]], None]

# (eventName, item type) -> work; the work gets the image that matters (new for INSERT/MODIFY, old for REMOVE)
ROUTES: dict[tuple[str, str], Work] = {
    ("INSERT", "outbox"): deliver,
    ("REMOVE", "group"): clean_up_deleted_group,
    ("MODIFY", "job"): record_job_service,  # portal: a SUCCEEDED job at a site is a completed service
    ("INSERT", "fleetrock_inbox"): apply_inbox_record,
    ("MODIFY", "fleetrock_inbox"): apply_inbox_record,
    ("INSERT", "asset"): sync_asset_record,
    ("MODIFY", "asset"): sync_asset_record,
    ("MODIFY", "fleetrock_sync"): retry_sync_record,
    ("INSERT", "vin_claim"): attach_waiting_record,  # an asset with a VIN Fleetrock told us about earlier
    ("MODIFY", "vin_claim"): attach_waiting_record,
    ("INSERT", "push_delivery"): send_from_stream,  # a stored delivery: first attempt
    ("MODIFY", "push_delivery"): send_from_stream,  # a redelivery (queued again); other changes: no-op
    ("INSERT", "maintenance_refresh_task"): run_task_record,  # the daily refresh of one fleet
    ("MODIFY", "maintenance_refresh_task"): run_task_record,  # a retry the sweep queued; other changes: no-op
}


def route(record: DynamoDBRecord) -> bool:
    """Do the record's work; False when the record triggers nothing."""
    stream = record.dynamodb
    if stream is None:
        return False
    event_name = record.raw_event.get("eventName", "")
    image = (stream.old_image if event_name == "REMOVE" else stream.new_image) or {}
    work = ROUTES.get((event_name, str(image.get("type", ""))))
    if work is None:
        return False
    work(image)
    return True
