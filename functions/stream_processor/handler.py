"""Stream processor: the table's DynamoDB stream drives all asynchronous work.

Failed records are reported one by one (ReportBatchItemFailures), so the event source mapping
retries only them and sends them to the dead-letter queue in the end.
"""

from __future__ import annotations

from typing import Any, cast

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.coldstart import initialized
from shared.observability import logger, metrics, tracer
from shared.settings import get_settings
from shared.streams.router import route

settings = get_settings()
# report even a wholly failed batch item by item: the event source mapping retries from the first failure
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: DynamoDBRecord) -> None:
    route(record)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return cast(dict[str, Any], response)


initialized()  # last line: the cold start is over (shared/coldstart.py)
