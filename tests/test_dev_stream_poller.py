"""dev/stream_poller against DynamoDB Local's stream: real Lambda events, ESM retry and DLQ rules.

Each test gets its own table, so its stream holds only what the test writes.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from dev.stream_poller import StreamPoller
from shared.db import table as table_def
from tests.conftest import TEST_ENV

ENDPOINT = TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"]


class Recorder:
    """A stream target that records every delivery and fails records as told."""

    def __init__(self) -> None:
        self.deliveries: list[list[dict[str, Any]]] = []
        self.fail_keys: dict[str, int] = {}  # sk -> how many more deliveries to fail it (-1: always)
        self.raise_times = 0

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event["Records"]
        self.deliveries.append(records)
        if self.raise_times:
            self.raise_times -= 1
            raise RuntimeError("processor crashed")
        failures = []
        for r in records:
            left = self.fail_keys.get(sk_of(r), 0)
            if left:
                self.fail_keys[sk_of(r)] = left - 1 if left > 0 else left
                failures.append({"itemIdentifier": r["dynamodb"]["SequenceNumber"]})
        return {"batchItemFailures": failures}

    def delivered_sks(self) -> list[list[str]]:
        return [[sk_of(r) for r in batch] for batch in self.deliveries]


def sk_of(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["Keys"]["sk"]["S"])


@pytest.fixture
def table(dynamodb) -> Iterator[str]:
    name = f"poller-{uuid.uuid4().hex[:8]}"
    table_def.create_table(dynamodb, name)
    yield name
    dynamodb.delete_table(TableName=name)


@pytest.fixture
def make_poller(table) -> Callable[..., StreamPoller]:
    def make(target: Any, **kwargs: Any) -> StreamPoller:
        return StreamPoller(table_name=table, endpoint_url=ENDPOINT, region="us-east-1", target=target,
                            backoff_seconds=0.01, **kwargs)
    return make


def put(dynamodb: Any, table: str, sk: str, **attrs: Any) -> None:
    item = {"pk": {"S": "p"}, "sk": {"S": sk}, **attrs}
    dynamodb.put_item(TableName=table, Item=item)


def test_delivers_real_lambda_stream_events(dynamodb, table, make_poller):
    put(dynamodb, table, "a", v={"N": "1"}, b={"B": b"\x00\x01"})
    put(dynamodb, table, "a", v={"N": "2"})
    dynamodb.delete_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "a"}})
    target = Recorder()
    poller = make_poller(target)

    assert poller.drain() == 3

    records = [r for batch in target.deliveries for r in batch]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = records
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    for r in records:
        assert r["eventSource"] == "aws:dynamodb"
        assert r["eventVersion"] == "1.1"
        assert r["awsRegion"] == "us-east-1"
        assert r["eventSourceARN"] == stream_arn
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(r["dynamodb"]["ApproximateCreationDateTime"], int)
        assert isinstance(r["dynamodb"]["SizeBytes"], int)
        assert r["dynamodb"]["Keys"] == {"pk": {"S": "p"}, "sk": {"S": "a"}}
    assert insert["dynamodb"]["NewImage"]["b"] == {"B": "AAE="}  # base64, as in a Lambda event
    assert "OldImage" not in insert["dynamodb"]
    assert modify["dynamodb"]["OldImage"]["v"] == {"N": "1"}
    assert modify["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert remove["dynamodb"]["OldImage"]["v"] == {"N": "2"}
    assert "NewImage" not in remove["dynamodb"]
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert seqs == sorted(seqs)
    json.dumps({"Records": records})  # a Lambda event is JSON
    assert poller.drain() == 0  # nothing is delivered twice


def test_reported_failure_is_redelivered_from_that_record(dynamodb, table, make_poller):
    for sk in "abc":
        put(dynamodb, table, sk)
    target = Recorder()
    target.fail_keys = {"b": 1}
    poller = make_poller(target)

    poller.drain()

    assert target.delivered_sks() == [["a", "b", "c"], ["b", "c"]]
    assert poller.dead_letters == []


def test_permanent_failure_is_dead_lettered_after_max_attempts(dynamodb, table, make_poller, tmp_path):
    for sk in "abcd":
        put(dynamodb, table, sk)
    target = Recorder()
    target.fail_keys = {"b": -1}
    poller = make_poller(target, max_attempts=3, dead_letter_path=tmp_path / "dlq.jsonl")

    assert poller.drain() == 4

    assert target.delivered_sks() == [["a", "b", "c", "d"], ["b", "c", "d"], ["b", "c", "d"], ["c", "d"]]
    [letter] = poller.dead_letters
    assert [sk_of(r) for r in letter.records] == ["b"]
    assert letter.attempts == 3
    [line] = (tmp_path / "dlq.jsonl").read_text().splitlines()
    assert sk_of(json.loads(line)["records"][0]) == "b"
    put(dynamodb, table, "e")
    poller.drain()
    assert target.delivered_sks()[-1] == ["e"]  # the shard moved on


def test_exception_fails_the_whole_batch(dynamodb, table, make_poller):
    for sk in "ab":
        put(dynamodb, table, sk)
    target = Recorder()
    target.raise_times = 1
    poller = make_poller(target)

    poller.drain()

    assert target.delivered_sks() == [["a", "b"], ["a", "b"]]


def test_exception_every_time_dead_letters_the_batch(dynamodb, table, make_poller):
    for sk in "ab":
        put(dynamodb, table, sk)
    target = Recorder()
    target.raise_times = 2
    poller = make_poller(target, max_attempts=2)

    poller.drain()

    [letter] = poller.dead_letters
    assert [sk_of(r) for r in letter.records] == ["a", "b"]
    assert "RuntimeError: processor crashed" in letter.reason
    assert len(target.deliveries) == 2


def test_batch_size_limits_a_delivery(dynamodb, table, make_poller):
    for sk in "abcde":
        put(dynamodb, table, sk)
    target = Recorder()
    make_poller(target, batch_size=2).drain()
    assert target.delivered_sks() == [["a", "b"], ["c", "d"], ["e"]]


def test_latest_skips_what_was_written_before(dynamodb, table, make_poller):
    put(dynamodb, table, "old")
    target = Recorder()
    poller = make_poller(target, start_position="LATEST")
    poller.poll_once()  # opens the shard at its tip
    put(dynamodb, table, "new")
    poller.drain()
    assert target.delivered_sks() == [["new"]]


def test_background_thread_delivers_and_stops(dynamodb, table, make_poller):
    target = Recorder()
    poller = make_poller(target, poll_interval=0.05)
    poller.start()
    try:
        put(dynamodb, table, "a")
        deadline = time.monotonic() + 10
        while not target.deliveries and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        started = time.monotonic()
        poller.stop()
    assert time.monotonic() - started < 2
    assert target.delivered_sks() == [["a"]]


def test_closed_shard_is_read_to_its_end_and_finished(dynamodb, table, make_poller):
    put(dynamodb, table, "a")
    target = Recorder()
    poller = make_poller(target)
    poller.poll_once()
    put(dynamodb, table, "b")
    dynamodb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})  # closes the shard

    poller.drain()

    assert target.delivered_sks() == [["a"], ["b"]]
    assert [s.finished for s in poller._shards.values()] == [True]
    assert poller.drain() == 0


def test_powertools_batch_processor_reads_the_events(dynamodb, table, make_poller):
    """The events parse as Powertools' DynamoDBRecord, and its partial failures drive re-delivery."""
    seen: list[tuple[str, str | None, str | None]] = []
    failed_once: set[str] = set()

    def record_handler(record: DynamoDBRecord) -> None:
        ddb = record.dynamodb
        assert ddb is not None
        sk = ddb.keys["sk"]
        seen.append((sk, record.event_name.name if record.event_name else None,
                     (ddb.new_image or {}).get("name")))
        if sk == "b" and sk not in failed_once:
            failed_once.add(sk)
            raise ValueError("transient")

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

    def target(event: dict[str, Any], context: Any) -> Any:
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)

    for sk in "abc":
        put(dynamodb, table, sk, name={"S": f"item {sk}"})
    make_poller(target).drain()

    assert seen == [("a", "INSERT", "item a"), ("b", "INSERT", "item b"), ("c", "INSERT", "item c"),
                    ("b", "INSERT", "item b"), ("c", "INSERT", "item c")]


def test_stream_arn_of_a_table_without_stream_is_explained(dynamodb):
    name = f"nostream-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    try:
        poller = StreamPoller(table_name=name, endpoint_url=ENDPOINT, region="us-east-1", target=Recorder())
        with pytest.raises(RuntimeError, match="no stream"):
            poller.poll_once()
    finally:
        boto3.client("dynamodb", endpoint_url=ENDPOINT).delete_table(TableName=name)
