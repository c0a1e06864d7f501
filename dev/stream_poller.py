"""The local event source mapping: read the table's stream from DynamoDB Local, invoke the processor.

It behaves like Lambda's DynamoDB Streams event source mapping with ReportBatchItemFailures:
records of a shard are delivered in order as real Lambda stream events; a response with
`batchItemFailures` makes it re-deliver from the lowest failed sequence number, an exception
re-delivers the whole batch; after `max_attempts` deliveries the record at the checkpoint goes to
the dead-letter list (the whole batch, for exceptions) and the shard moves on, as the SQS
on-failure destination does in AWS. Child shards are read only after their parent is finished.

DynamoDB Local quirks handled here: GetRecords returns empty batches on an open shard (keep
the iterator), may omit NextShardIterator on a shard that is still open, and may answer an
iterator with ResourceNotFound ("Invalid ShardId") or TrimmedDataAccess; in all those cases the
iterator is re-obtained from the last checkpoint.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from dev.apigw import LocalContext

log = logging.getLogger("dev.stream_poller")

StreamTarget = Callable[[dict[str, Any], Any], Any]
DEFAULT_TARGET = "functions.stream_processor.handler"
_REOPEN_ERRORS = ("ExpiredIteratorException", "TrimmedDataAccessException", "ResourceNotFoundException")


def default_target(event: dict[str, Any], context: Any) -> Any:
    """The stream_processor Lambda, imported on first delivery (after the environment is set)."""
    return importlib.import_module(DEFAULT_TARGET).lambda_handler(event, context)


@dataclass
class DeadLetter:
    """Records given up on after max_attempts, with why (what the SQS on-failure queue would get)."""

    shard_id: str
    reason: str
    attempts: int
    records: list[dict[str, Any]]

    @property
    def sequence_numbers(self) -> list[str]:
        return [r["dynamodb"]["SequenceNumber"] for r in self.records]


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    start: str  # iterator type for the first read: TRIM_HORIZON or LATEST
    closed: bool = False  # has an EndingSequenceNumber: no more records will be added
    iterator: str | None = None
    checkpoint: str | None = None  # last sequence number handled (delivered or dead-lettered)
    finished: bool = False


def _jsonable(value: Any) -> Any:
    """boto3 gives bytes and datetimes; a Lambda event is JSON: base64 strings and epoch seconds."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@dataclass
class _Failure:
    index: int  # first record of the delivered list not handled
    reason: str
    whole_batch: bool


@dataclass(kw_only=True, eq=False)
class StreamPoller:
    """Polls every shard of the table's current stream; `poll_once`/`drain` for tests, `start` for dev."""

    table_name: str
    endpoint_url: str
    region: str
    target: StreamTarget = default_target
    batch_size: int = 100
    max_attempts: int = 3
    backoff_seconds: float = 0.2
    start_position: str = "TRIM_HORIZON"
    poll_interval: float = 0.5
    dead_letter_path: Path | None = None
    dead_letters: list[DeadLetter] = field(default_factory=list, init=False)
    _dynamodb: Any = field(init=False, repr=False)  # boto3 clients: boto3 has no types
    _streams: Any = field(init=False, repr=False)
    _stream_arn: str | None = field(default=None, init=False, repr=False)
    _shards: dict[str, _Shard] = field(default_factory=dict, init=False, repr=False)
    # poll_once from a test and the thread never interleave
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.start_position not in ("TRIM_HORIZON", "LATEST"):
            raise ValueError("start_position is TRIM_HORIZON or LATEST")
        self._dynamodb = boto3.client("dynamodb", endpoint_url=self.endpoint_url, region_name=self.region)
        self._streams = boto3.client("dynamodbstreams", endpoint_url=self.endpoint_url, region_name=self.region)

    @classmethod
    def from_settings(cls, **kwargs: Any) -> StreamPoller:
        """A poller on the configured table and endpoint (shared.settings)."""
        from shared.settings import get_settings

        settings = get_settings()
        if not settings.dynamodb_endpoint:
            raise RuntimeError("AWS_ENDPOINT_URL_DYNAMODB is not set: the poller reads DynamoDB Local only")
        return cls(table_name=settings.table_name, endpoint_url=settings.dynamodb_endpoint,
                   region=settings.aws_region, **kwargs)

    @property
    def stream_arn(self) -> str:
        if self._stream_arn is None:
            table = self._dynamodb.describe_table(TableName=self.table_name)["Table"]
            if "LatestStreamArn" not in table:
                raise RuntimeError(f"table {self.table_name} has no stream enabled")
            self._stream_arn = str(table["LatestStreamArn"])
        return self._stream_arn

    # -- polling --

    def poll_once(self) -> int:
        """One GetRecords on every readable shard, delivering what comes back; records handled."""
        with self._lock:
            self._refresh_shards()
            handled = 0
            for shard in list(self._shards.values()):
                if not shard.finished and self._parent_done(shard):
                    handled += self._read(shard)
            return handled

    def drain(self, timeout: float = 30.0, quiet_rounds: int = 2) -> int:
        """Deliver everything in the stream now (and what the target writes meanwhile); records handled.

        Stops after `quiet_rounds` rounds in a row with nothing, since DynamoDB Local can
        answer an empty batch once before the next records show.
        """
        deadline = time.monotonic() + timeout
        total, quiet = 0, 0
        while quiet < quiet_rounds:
            if time.monotonic() > deadline:
                raise TimeoutError(f"stream still busy after {timeout} s ({total} records handled)")
            handled = self.poll_once()
            total += handled
            quiet = 0 if handled else quiet + 1
        return total

    def start(self) -> None:
        """Poll in a background (daemon) thread until stop()."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="dev-stream-poller", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("stream poller still busy after %s s; leaving it (a daemon thread)", timeout)
                return
            self._thread = None
        self._stopping.clear()  # drain() may still be used afterwards

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                handled = self.poll_once()
            except Exception:  # keep polling, as the event source mapping does; it is logged
                log.exception("stream poll failed; retrying")
                self._stream_arn = None
                handled = 0
            if not handled:
                self._stopping.wait(self.poll_interval)

    # -- shards --

    def _refresh_shards(self) -> None:
        args: dict[str, Any] = {"StreamArn": self.stream_arn}
        first_look = not self._shards
        while True:
            desc = self._streams.describe_stream(**args)["StreamDescription"]
            for raw in desc.get("Shards", []):
                shard = self._shards.get(raw["ShardId"])
                if shard is None:
                    start = self.start_position if first_look else "TRIM_HORIZON"
                    shard = _Shard(raw["ShardId"], raw.get("ParentShardId"), start)
                    self._shards[shard.shard_id] = shard
                shard.closed = "EndingSequenceNumber" in raw.get("SequenceNumberRange", {})
            if not desc.get("LastEvaluatedShardId"):
                return
            args["ExclusiveStartShardId"] = desc["LastEvaluatedShardId"]

    def _parent_done(self, shard: _Shard) -> bool:
        parent = self._shards.get(shard.parent_id or "")
        return parent is None or parent.finished  # an unknown parent is trimmed: nothing to wait for

    def _iterator(self, shard: _Shard) -> str:
        args: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard.shard_id}
        if shard.checkpoint:
            args |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.checkpoint}
        else:
            args["ShardIteratorType"] = shard.start
        try:
            return str(self._streams.get_shard_iterator(**args)["ShardIterator"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TrimmedDataAccessException":
                raise
            log.warning("shard %s trimmed past checkpoint %s; reading from its oldest record",
                        shard.shard_id, shard.checkpoint)
            args = {"StreamArn": args["StreamArn"], "ShardId": shard.shard_id, "ShardIteratorType": "TRIM_HORIZON"}
            return str(self._streams.get_shard_iterator(**args)["ShardIterator"])

    def _read(self, shard: _Shard) -> int:
        try:
            iterator = shard.iterator or self._iterator(shard)
            response = self._streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in _REOPEN_ERRORS:
                raise
            log.info("shard %s: %s; reopening from the checkpoint", shard.shard_id, exc.response["Error"]["Code"])
            shard.iterator = None
            return 0
        records = response.get("Records", [])
        handled = self._deliver(shard, records) if records else 0
        if handled < len(records):  # stopping mid-retry: re-read from the checkpoint next time
            shard.iterator = None
            return handled
        next_iterator = response.get("NextShardIterator")
        if next_iterator:
            shard.iterator = next_iterator
        elif shard.closed:
            shard.finished = True
            log.info("shard %s finished", shard.shard_id)
        else:  # DynamoDB Local omits it on an open shard now and then
            shard.iterator = None
        return handled

    # -- delivery, with the event source mapping's retry rules --

    def _deliver(self, shard: _Shard, raw_records: list[dict[str, Any]]) -> int:
        """Deliver until every record is handled or dead-lettered; the number handled."""
        pending = [self._lambda_record(r) for r in raw_records]
        handled, attempts = 0, 0
        while pending:
            attempts += 1
            failure = self._invoke(pending)
            done = len(pending) if failure is None else failure.index
            if done:
                shard.checkpoint = pending[done - 1]["dynamodb"]["SequenceNumber"]
                handled += done
                pending = pending[done:]
                attempts = 0 if failure is None else 1
            if failure is None:
                break
            if attempts >= self.max_attempts:
                given_up = pending if failure.whole_batch else pending[:1]
                self._dead_letter(shard, failure.reason, attempts, given_up)
                shard.checkpoint = given_up[-1]["dynamodb"]["SequenceNumber"]
                handled += len(given_up)
                pending = pending[len(given_up):]
                attempts = 0
                continue
            delay = min(self.backoff_seconds * 2 ** (attempts - 1), 5.0)
            if self._stopping.wait(delay):
                break
        return handled

    def _invoke(self, records: list[dict[str, Any]]) -> _Failure | None:
        """None when the target handled every record, else where and why it failed."""
        try:
            response = self.target({"Records": records}, LocalContext(function_name="fleetbridge-stream-processor"))
        except Exception as exc:  # counts as a failure of the whole batch, as in Lambda; logged
            log.exception("stream target raised on a batch of %d record(s)", len(records))
            return _Failure(0, f"{type(exc).__name__}: {exc}", whole_batch=True)
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        if not failures:
            return None
        sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
        ids = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
        if not all(i in sequence for i in ids):  # empty or unknown identifier: Lambda fails the batch
            return _Failure(0, f"invalid batchItemFailures {ids!r}: whole batch failed", whole_batch=True)
        first = min(sequence.index(str(i)) for i in ids)
        return _Failure(first, f"batchItemFailures reported {sequence[first]}", whole_batch=False)

    def _lambda_record(self, raw: dict[str, Any]) -> dict[str, Any]:
        record = {
            "eventID": raw["eventID"],
            "eventName": raw["eventName"],
            "eventVersion": raw.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region,  # DynamoDB Local says "ddblocal"
            "dynamodb": _jsonable(raw["dynamodb"]),
            "eventSourceARN": self.stream_arn,
        }
        if "userIdentity" in raw:  # TTL deletions
            record["userIdentity"] = raw["userIdentity"]
        return record

    def _dead_letter(self, shard: _Shard, reason: str, attempts: int, records: list[dict[str, Any]]) -> None:
        letter = DeadLetter(shard.shard_id, reason, attempts, records)
        self.dead_letters.append(letter)
        log.error("dead-lettered %d stream record(s) of shard %s after %d attempts: %s (sequence %s)",
                  len(records), shard.shard_id, attempts, reason, ", ".join(letter.sequence_numbers))
        if self.dead_letter_path is not None:
            self.dead_letter_path.parent.mkdir(parents=True, exist_ok=True)
            entry = {"at": datetime.now(UTC).isoformat(), "shard_id": shard.shard_id, "reason": reason,
                     "attempts": attempts, "records": records}
            with self.dead_letter_path.open("a") as f:
                f.write(json.dumps(entry) + "\n")
