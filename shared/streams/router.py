"""Route each DynamoDB stream record to the work it triggers, by event name and item type.

Work registered here must be idempotent: the stream may deliver a record more than once, and
a failed record is retried (then sent to the dead-letter queue) by the event source mapping.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any, cast

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from shared.coldstart import loading

Work = Callable[[dict[str, Any]], None]

# (eventName, item type) -> "module:function", the work; it gets the image that matters (new for
# INSERT/MODIFY, old for REMOVE). A work's module is imported when its first record comes, so the
# processor's cold start loads none of them, and records that trigger nothing load nothing.
ROUTES: dict[tuple[str, str], str] = {
    ("INSERT", "outbox"): "shared.outbox.delivery:deliver",
    ("MODIFY", "outbox"): "shared.outbox.delivery:deliver_queued",  # queued again by the sweep; else no-op
    ("REMOVE", "group"): "shared.groups.logic:clean_up_deleted_group",
    # portal: a SUCCEEDED job at a site is a completed service
    ("MODIFY", "job"): "shared.portal.job_services:record_job_service",
    ("INSERT", "fleetrock_inbox"): "shared.fleetrock.inbox.apply:inbox_inserted",  # sample, count, apply
    ("MODIFY", "fleetrock_inbox"): "shared.fleetrock.inbox.apply:apply_inbox_record",
    ("INSERT", "asset"): "shared.fleetrock.sync.sync:sync_asset_record",
    ("MODIFY", "asset"): "shared.fleetrock.sync.sync:sync_asset_record",
    ("MODIFY", "fleetrock_sync"): "shared.fleetrock.sync.sync:retry_sync_record",
    ("INSERT", "fleetrock_sync"): "shared.fleetrock.sync.sync:retry_sync_record",  # a unit linked at activation
    # an asset with a VIN Fleetrock told us about earlier
    ("INSERT", "vin_claim"): "shared.fleetrock.inbox.attach:attach_waiting_record",
    ("MODIFY", "vin_claim"): "shared.fleetrock.inbox.attach:attach_waiting_record",
    ("INSERT", "push_delivery"): "shared.push.attempts:send_from_stream",  # a stored delivery: first attempt
    # a redelivery (queued again); other changes: no-op
    ("MODIFY", "push_delivery"): "shared.push.attempts:send_from_stream",
    ("INSERT", "maintenance_refresh_task"): "shared.fleetrock.refresh.run:run_task_record",  # one fleet's daily refresh
    # a retry the sweep queued; other changes: no-op
    ("MODIFY", "maintenance_refresh_task"): "shared.fleetrock.refresh.run:run_task_record",
}


def work_modules() -> tuple[str, ...]:
    """The modules the routes' work lives in (the bundle compiles them: infra/bundle.py)."""
    return tuple(dict.fromkeys(target.partition(":")[0] for target in ROUTES.values()))


@cache
def work(target: str) -> Work:
    """The function `target` ("module:function") names, its module imported on first use."""
    module, _, name = target.partition(":")
    with loading():
        return cast(Work, getattr(importlib.import_module(module), name))


def route(record: DynamoDBRecord) -> bool:
    """Do the record's work; False when the record triggers nothing."""
    stream = record.dynamodb
    if stream is None:
        return False
    event_name = record.raw_event.get("eventName", "")
    image = (stream.old_image if event_name == "REMOVE" else stream.new_image) or {}
    target = ROUTES.get((event_name, str(image.get("type", ""))))
    if target is None:
        return False
    work(target)(image)
    return True
