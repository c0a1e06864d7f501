"""Route each DynamoDB stream record to the work it triggers, by event name and item type.

Work registered here must be idempotent: the stream may deliver a record more than once, and
a failed record is retried (then sent to the dead-letter queue) by the event source mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from shared.groups.logic import clean_up_deleted_group
from shared.outbox.delivery import deliver

Work = Callable[[dict[str, Any]], None]

# (eventName, item type) -> work; the work gets the image that matters (new for INSERT/MODIFY, old for REMOVE)
ROUTES: dict[tuple[str, str], Work] = {
    ("INSERT", "outbox"): deliver,
    ("REMOVE", "group"): clean_up_deleted_group,
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
