"""Bench: what each operation costs DynamoDB, counted (not timed): items written, bytes, WCU, RCU, GSI WCU,
the partition keys written, the stream records it makes, and the same for the stream work it sets off.

Every DynamoDB client the process makes (PynamoDB's and boto3's: both go through
`botocore.session.Session.create_client`) gets two botocore event hooks (`Meter`):
`before-parameter-build.dynamodb` adds `ReturnConsumedCapacity="INDEXES"` to every call that takes
it and notes the keys a write names; `after-call.dynamodb` adds the returned `ConsumedCapacity`
(table and each GSI) to the operation being measured, counts calls, Query pages and items read,
and notes, per written key, which operation wrote it. DynamoDB Local returns ConsumedCapacity
(checked: a 3 KB put = 3 WCU on the table + 3 on an index holding it; a transaction twice that,
ConditionChecks included; reads 1 RCU per 4 KB strongly consistent, half eventually), so the
capacity columns are DynamoDB Local's own accounting of AWS's rules.

A second stream reader (a `StreamPoller` whose target only records) reads every record the table's
stream gets: its item type, partition key (ids replaced by their pattern: `ORG#{id}`), and its
size (the larger image, by AWS's item size rules: `item_size`), each record credited to the
operation that wrote its key. The real stream processor runs from its own poller, one record per
invocation, its DynamoDB work measured as `<operation> / stream`; work set off by a push delivery
record is measured as the push delivery's.

Operations, each through its public face (the Lambda handler with an API Gateway event, the
scheduled event, the stream processor), in one fleet of N assets with an active Fleetrock
integration (the stand-in) and an active push subscription (a local receiver answering 200):
asset create, webhook accept + apply (repair order In Progress: the asset In Shop), job create /
assign / start / succeed, a 1,000-row CSV job import, vendor search (50,000 vendors on sampled
ZIP centroids: dense metros included), the 5 AM schedule, the refresh of the fleet, its push
snapshot deliveries, the every-minute sweeps with nothing due. Prints one table; asserts what
each call answered.

    .tools/bin/uv run --frozen python -m bench.capacity_counts [--assets 1000] [--vendors 50000] [--repeat 10]
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import random
import re
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import botocore.session

from bench.local import local_dynamodb
from dev import dynamodb_local

TABLE = "fleetbridge-bench-capacity"
FLEETROCK_USER, FLEETROCK_KEY = "bench", "bench-fleetrock-key-0001"
WRITE_OPS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
READ_OPS = ("GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems")


# -- item sizes (AWS: attribute name bytes + value bytes) and key patterns --

def value_size(value: dict[str, Any]) -> int:
    """Bytes of one DynamoDB-JSON value by DynamoDB's item size rules (numbers: ~1 byte per 2 digits + 1)."""
    (kind, v), = value.items()
    if kind == "S":
        return len(str(v).encode())
    if kind == "N":
        digits = str(v).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(base64.b64decode(v)) if isinstance(v, str) else len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(value_size({"N": n}) for n in v)
    if kind == "BS":
        return sum(value_size({"B": b}) for b in v)
    if kind == "L":
        return 3 + sum(1 + value_size(e) for e in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(e) for k, e in v.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(image: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in image.items())


_PATTERNS = (
    (re.compile(r"(?<=#)[a-z]{2,5}_(?=[0-9A-Z])[0-9A-Za-z_]+"), "{id}"),
    (re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b"), "{vin}"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "{date}"),
    (re.compile(r"(?<=#)RO-[\w-]+"), "{ro}"),
    (re.compile(r"(?<=#)[0-9a-f]{40,64}\b"), "{hash}"),
    (re.compile(r"(?<=#)evt[\w-]+"), "{event}"),
    (re.compile(r"(?<=#)[\w.-]*@[\w.-]+"), "{email}"),
    (re.compile(r"(?<=PARTNER#)[0-9A-Z]{5}\b|(?<=PARTNER#\{id\}#)[0-9A-Z]{5}\b"), "{partner}"),
    (re.compile(r"sha256:[0-9a-f]{64}"), "{hash}"),
    (re.compile(r"(?<=DUE#)\d+"), "{shard}"),
    (re.compile(r"(?<=GEO#)[0-9a-z]{3}\b"), "{cell}"),
    (re.compile(r"(?<=JOBS)((?:#[A-Z]+)*(?:#\{partner\})?)#\d{1,2}$"), r"\1#{shard}"),  # a job list key's shard
)


def key_pattern(pk: str) -> str:
    """`ORG#org_01H…#AUDIT` → `ORG#{id}#AUDIT`: the partition key with its ids as their pattern."""
    for regex, name in _PATTERNS:
        pk = regex.sub(name, pk)
    return pk


def write_keys(operation: str, params: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(pk, sk, in a transaction) of each item a write call writes (ConditionChecks write nothing)."""
    def key(k: dict[str, Any]) -> tuple[str, str]:
        return str(k["pk"]["S"]), str(k["sk"]["S"])

    if operation == "PutItem":
        return [(*key(params["Item"]), False)]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(*key(params["Key"]), False)]
    if operation == "TransactWriteItems":
        found = []
        for entry in params["TransactItems"]:
            for kind in ("Put", "Update", "Delete"):
                if kind in entry:
                    found.append((*key(entry[kind].get("Item") or entry[kind]["Key"]), True))
        return found
    if operation == "BatchWriteItem":
        return [(*key(r["PutRequest"]["Item"] if "PutRequest" in r else r["DeleteRequest"]["Key"]), False)
                for requests in params["RequestItems"].values() for r in requests]
    return []


def read_key(operation: str, params: dict[str, Any]) -> str:
    """The partition (pattern) a read reads, with its index: `gsi1:GEO#{cell}`."""
    index = f"{params['IndexName']}:" if params.get("IndexName") else ""
    if operation == "GetItem":
        return key_pattern(str(params["Key"]["pk"]["S"]))
    if operation == "Query":
        names = params.get("ExpressionAttributeNames") or {}
        values = params.get("ExpressionAttributeValues") or {}
        for name, placeholder in re.findall(r"([#\w]+)\s*=\s*(:\w+)", params.get("KeyConditionExpression", "")):
            attribute = names.get(name, name)
            if attribute == "pk" or re.fullmatch(r"gsi\dpk", attribute):
                return index + key_pattern(str(values[placeholder]["S"]))
        return index + "?"
    if operation in ("BatchGetItem", "TransactGetItems"):
        keys = [k for t in (params.get("RequestItems") or {}).values() for k in t["Keys"]] or [
            g["Get"]["Key"] for g in params.get("TransactItems", [])]
        return "+".join(sorted({key_pattern(str(k["pk"]["S"])) for k in keys}))
    return index + "(scan)"


# -- what one operation costs --

@dataclass
class Cost:
    calls: Counter[str] = field(default_factory=Counter)
    wcu: float = 0.0  # table, as DynamoDB Local returned it
    gsi_wcu: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    rcu: float = 0.0  # table + indexes read
    query_pages: int = 0
    items_read: int = 0
    reads_by_key: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # RCU per partition read
    records: Counter[str] = field(default_factory=Counter)  # stream records: INSERT/MODIFY/REMOVE
    record_types: Counter[str] = field(default_factory=Counter)
    written_bytes: list[int] = field(default_factory=list)  # per record, the larger image
    keys: Counter[str] = field(default_factory=Counter)  # records per partition key pattern
    exact_keys: Counter[str] = field(default_factory=Counter)  # records per exact partition key
    wcu_by_key: Counter[str] = field(default_factory=Counter)  # WCU from the records' sizes, per pattern
    gsi_keys: Counter[str] = field(default_factory=Counter)  # index writes per `gsiN:pattern` (puts and removals)
    exact_gsi_keys: Counter[str] = field(default_factory=Counter)
    gsi_wcu_by_key: Counter[str] = field(default_factory=Counter)


class Meter:
    """The botocore hooks; `phase` names the operation the calls and writes are credited to (None: not counted)."""

    def __init__(self) -> None:
        self.phase: str | None = None
        self.costs: dict[str, Cost] = defaultdict(Cost)
        self.writers: dict[tuple[str, str], deque[tuple[str | None, bool]]] = defaultdict(deque)
        self.lock = threading.Lock()
        self.consumed_seen = False

    def install(self) -> None:
        """Every botocore client made from now on (PynamoDB's, boto3's) reports to this meter."""
        original = botocore.session.Session.create_client
        meter = self

        def create_client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
            client = original(session, service_name, *args, **kwargs)
            if service_name == "dynamodb":
                client.meta.events.register("before-parameter-build.dynamodb", meter.before)
                client.meta.events.register("after-call.dynamodb", meter.after)
            return client

        botocore.session.Session.create_client = create_client

    def before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "INDEXES"
        context["capacity"] = (self.phase, model.name, write_keys(model.name, params),
                               read_key(model.name, params) if model.name in READ_OPS else "")

    def after(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any],
              **_: Any) -> None:
        phase, operation, keys, read = context.get("capacity", (None, model.name, [], ""))
        ok = http_response.status_code == 200
        with self.lock:
            if ok:
                for pk, sk, tx in keys:
                    self.writers[(pk, sk)].append((phase, tx))
            if phase is None or operation not in WRITE_OPS + READ_OPS:
                return
            cost = self.costs[phase]
            cost.calls[operation if ok else f"{operation} (refused)"] += 1
            consumed = parsed.get("ConsumedCapacity") or []
            for entry in consumed if isinstance(consumed, list) else [consumed]:
                self.consumed_seen = True
                table = float(entry.get("Table", {}).get("CapacityUnits", 0.0))
                indexes = {name: float(v.get("CapacityUnits", 0.0))
                           for name, v in (entry.get("GlobalSecondaryIndexes") or {}).items()}
                if operation in WRITE_OPS:
                    cost.wcu += table
                    for name, units in indexes.items():
                        cost.gsi_wcu[name] += units
                else:
                    cost.rcu += table + sum(indexes.values())
                    cost.reads_by_key[read] += table + sum(indexes.values())
            if operation == "Query":
                cost.query_pages += 1
                cost.items_read += int(parsed.get("Count", 0))
            elif operation == "GetItem":
                cost.items_read += 1 if "Item" in parsed else 0
            elif operation in ("BatchGetItem", "TransactGetItems"):
                cost.items_read += sum(len(v) for v in (parsed.get("Responses") or {}).values()) if isinstance(
                    parsed.get("Responses"), dict) else len(parsed.get("Responses") or [])

    def record(self, record: dict[str, Any]) -> None:
        """One stream record, credited to the operation that wrote its key."""
        data = record["dynamodb"]
        pk, sk = data["Keys"]["pk"]["S"], data["Keys"]["sk"]["S"]
        image = data.get("NewImage") or data.get("OldImage") or {}
        size = max(item_size(data.get("NewImage") or {}), item_size(data.get("OldImage") or {}))
        with self.lock:
            writers = self.writers.get((pk, sk))
            phase, tx = writers.popleft() if writers else (self.phase, False)
            if phase is None:
                return
            cost = self.costs[phase]
        cost.records[record["eventName"]] += 1
        cost.record_types[str(image.get("type", {}).get("S", "?"))] += 1
        cost.written_bytes.append(size)
        pattern = key_pattern(pk)
        cost.keys[pattern] += 1
        cost.exact_keys[pk] += 1
        cost.wcu_by_key[pattern] += math.ceil(size / 1024) * (2 if tx else 1)
        new, old = data.get("NewImage") or {}, data.get("OldImage") or {}
        for n in range(1, 5):
            name = f"gsi{n}pk"
            after, before = new.get(name, {}).get("S"), old.get(name, {}).get("S")
            for value, image in ((after, new), (before if before != after else None, old)):
                if value:
                    index_key = f"gsi{n}:{key_pattern(value)}"
                    cost.gsi_keys[index_key] += 1
                    cost.exact_gsi_keys[f"gsi{n}:{value}"] += 1
                    cost.gsi_wcu_by_key[index_key] += math.ceil(item_size(image) / 1024) * (2 if tx else 1)


# -- the world: servers, the stream, API calls --

class Receiver(ThreadingHTTPServer):
    """A push subscriber's endpoint that accepts everything (200)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


def call_api(method: str, path: str, claims: dict[str, str] | None, body: Any = None, *,
             raw: str | None = None, headers: dict[str, str] | None = None,
             query: dict[str, str] | None = None) -> tuple[int, Any]:
    """The handler that serves `path`, with a real API Gateway REST proxy event (as tests/conftest.py does)."""
    import importlib

    from dev.apigw import LocalContext, rest_event
    from shared.api.catalog import handler_for_path

    handler = importlib.import_module(f"functions.{handler_for_path(path)}.handler")
    event = rest_event(method, path, claims=claims, headers={"content-type": "application/json", **(headers or {})},
                       body=raw if raw is not None else (json.dumps(body) if body is not None else None),
                       query={k: [v] for k, v in (query or {}).items()})
    result = handler.lambda_handler(event, LocalContext())
    answer = result.get("body") or ""
    return int(result["statusCode"]), json.loads(answer) if answer.startswith(("{", "[")) else answer


class Stream:
    """The real processor (one record per invocation, each measured as its operation's stream work) and the
    recorder (every record, credited to its writer)."""

    def __init__(self, meter: Meter, endpoint: str) -> None:
        from dev.stream_poller import StreamPoller, default_target

        self.meter = meter
        self.operation: str | None = None
        self.deliveries = 0  # push deliveries queued by the refresh (their INSERT records)

        def process(event: dict[str, Any], context: Any) -> Any:
            failures: list[dict[str, str]] = []
            for record in event["Records"]:
                kind = (record["dynamodb"].get("NewImage") or {}).get("type", {}).get("S")
                previous = meter.phase
                if self.operation is not None:
                    delivery = kind == "push_delivery" and self.operation.startswith("5 AM")
                    self.deliveries += int(delivery and record["eventName"] == "INSERT")
                    meter.phase = "push snapshot delivery (per delivery)" if delivery else f"{self.operation} / stream"
                try:
                    answer = default_target({"Records": [record]}, context)
                finally:
                    meter.phase = previous
                failures += (answer or {}).get("batchItemFailures") or []
            return {"batchItemFailures": failures}

        def record(event: dict[str, Any], context: Any) -> Any:
            for r in event["Records"]:
                meter.record(r)
            return {"batchItemFailures": []}

        common = {"table_name": TABLE, "endpoint_url": endpoint, "region": "us-east-1",
                  "start_position": "LATEST", "backoff_seconds": 0.05}
        self.processor = StreamPoller(target=process, **common)  # type: ignore[arg-type]
        self.recorder = StreamPoller(target=record, **common)  # type: ignore[arg-type]
        self.processor.poll_once()  # from here on
        self.recorder.poll_once()

    def drain(self) -> None:
        self.processor.drain(timeout=300)
        self.recorder.drain(timeout=300)
        if self.processor.dead_letters:
            raise RuntimeError(f"stream work failed: {self.processor.dead_letters[0].reason}")


@contextmanager
def measured(meter: Meter, stream: Stream, operation: str) -> Iterator[None]:
    """Calls inside are `operation`'s; then the stream work they set off, as `operation / stream`."""
    meter.phase, stream.operation = operation, operation
    try:
        yield
    finally:
        meter.phase = None
    stream.drain()
    stream.operation = None


# -- the run --

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=1000, help="assets of the fleet (refresh, import rows)")
    parser.add_argument("--vendors", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=10, help="repetitions of the small operations (averaged)")
    args = parser.parse_args()
    smtp_port = dynamodb_local.free_port()
    os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port))
    meter = Meter()
    meter.install()
    started = time.perf_counter()
    with local_dynamodb(TABLE) as endpoint:
        from dev.fleetrock_standin import FleetrockStandin
        from dev.smtp_sink import SmtpSink

        sink = SmtpSink(smtp_port)
        sink.start()
        standin = FleetrockStandin(accounts={FLEETROCK_USER: FLEETROCK_KEY}).start()
        receiver = Receiver()
        try:
            repeats = run(args, endpoint, meter, standin, receiver)
        finally:
            receiver.shutdown()
            standin.stop()
            sink.stop()
    report(meter, repeats, args)
    print(f"ConsumedCapacity returned by DynamoDB Local: {'yes' if meter.consumed_seen else 'NO'}; "
          f"bench took {time.perf_counter() - started:.0f} s")


def run(args: argparse.Namespace, endpoint: str, meter: Meter, standin: Any, receiver: Receiver) -> dict[str, int]:
    from bench.job_import import csv_file, fleet_and_partner, vin
    from bench.vendor_search import load, vendor_points
    from dev.fleetrock_standin import sign
    from shared.db import table as table_def

    table_def.create_table(boto3.client("dynamodb", endpoint_url=endpoint), TABLE)
    rng = random.Random(42)  # the network's vendors first, before the stream is read (their records set off nothing)
    load(vendor_points(args.vendors, "zips", rng), rng)
    stream = Stream(meter, endpoint)
    repeats: dict[str, int] = {}

    # set-up, not counted: a fleet of N assets (VIN claims), an accepted installation partner, Fleetrock, a hook
    fleet, partner_id, vins = fleet_and_partner(args.assets)
    admin = {"sub": fleet.user_id, "custom:org_id": fleet.org_id, "custom:role": str(fleet.role)}
    vendor_org = boto3.client("dynamodb").get_item(TableName=TABLE, Key={
        "pk": {"S": "MEMBER#usr_bv"}, "sk": {"S": "CLAIM"}})["Item"]["org_id"]["S"]
    technician = {"sub": "usr_bv", "custom:org_id": vendor_org, "custom:role": "vendor_admin"}
    stream.drain()
    status, created = call_api("POST", "/integrations", admin, {
        "login_url": standin.url, "username": FLEETROCK_USER, "api_key": FLEETROCK_KEY, "default_group": "G"})
    assert status == 201, created
    integration_id, secret = created["integration_id"], created["webhook_secret"]
    status, answer = call_api("POST", f"/integrations/{integration_id}/activate", admin)
    assert status == 200, answer
    status, answer = call_api("POST", "/subscriptions", admin, {"url": receiver.url, "description": "bench"})
    assert status == 201, answer
    stream.drain()  # the verification delivery: the subscription is active
    seed_refresh(fleet.org_id, integration_id, standin, vins)
    stream.drain()

    # asset create (POST /assets), each with its unit sync to Fleetrock on the stream
    repeats["asset create"] = args.repeat
    with measured(meter, stream, "asset create"):
        for n in range(args.repeat):
            status, answer = call_api("POST", "/assets", admin, {"unit_number": f"N-{n}", "kind": "truck",
                                                                 "vin": vin(900_000 + n)})
            assert status == 201, answer

    # webhook accept (POST /webhooks/fleetrock/{id}) + apply on the stream: an order In Progress, its asset In Shop
    repeats["webhook accept + apply (In Shop)"] = args.repeat
    with measured(meter, stream, "webhook accept + apply (In Shop)"):
        for n in range(args.repeat):
            order = {"id": f"RO-W{n}", "vin": vins[10 + n], "unit_number": f"T-{10 + n}", "unit_type": "Truck",
                     "status": "In Progress", "date_created": "01/05/2026 08:00 AM", "priority_code": "2",
                     "tasks": [], "notes": []}
            standin.put_repair_order(order)
            body = json.dumps({"event": "repair_order.updated", "event_id": f"evt-cap-{n}",
                               "sent_at": datetime.now(UTC).isoformat(), "data": order})
            status, answer = call_api("POST", f"/webhooks/fleetrock/{integration_id}", None, raw=body,
                                      headers={"X-Fleetrock-Signature": sign(secret, body.encode())})
            assert status == 202, answer
    status, page = call_api("GET", "/assets", admin, query={"status": "in_shop", "limit": "100"})
    in_shop = sum(1 for a in page["items"] if a["vin"] in set(vins[10:10 + args.repeat])) if status == 200 else -1

    # jobs: create, assign (fleet), start, succeed (the partner's vendor)
    job_ids = []
    for step in ("job create", "job assign", "job start", "job succeed"):
        repeats[step] = args.repeat
        with measured(meter, stream, step):
            for n in range(args.repeat):
                if step == "job create":
                    asset_id = asset_of(fleet.org_id, vins[10 + args.repeat + n])
                    status, answer = call_api("POST", "/jobs", admin, {
                        "kind": "installation", "asset_id": asset_id, "title": "Install box",
                        "configuration": {"apn": "iot.fleet", "report_interval_s": 30, "can_bus": True}})
                    job_ids.append(answer.get("job_id"))
                elif step == "job assign":
                    status, answer = call_api("POST", f"/jobs/{job_ids[n]}/assign", admin, {"partner_id": partner_id})
                else:
                    status, answer = call_api("POST", f"/partner/jobs/{job_ids[n]}/{step.split()[1]}", technician,
                                              {"note": "done"} if step == "job succeed" else None)
                assert status in (200, 201), (step, answer)

    # a 1,000-row CSV import (POST /jobs/import), every other row assigned with its access grant
    repeats[f"job import ({args.assets} rows)"] = 1
    with measured(meter, stream, f"job import ({args.assets} rows)"):
        status, answer = call_api("POST", "/jobs/import", {**admin, "custom:role": "manager"}, raw=csv_file(
            vins, partner_id, 1), headers={"content-type": "text/csv"})
        assert status == 201 and answer["created"] == args.assets, str(answer)[:300]

    # the 5 AM run: the scheduled event writes a task per active integration; the stream runs it
    at = datetime.now(UTC).replace(microsecond=0)
    repeats["5 AM schedule (per integration)"] = 1
    with measured(meter, stream, "5 AM schedule (per integration)"):
        status_refresh = invoke("maintenance_refresh", {"time": at.isoformat().replace("+00:00", "Z")})
    moved = meter.costs.pop("5 AM schedule (per integration) / stream", Cost())
    meter.costs[f"refresh of one fleet ({args.assets} assets)"] = moved
    repeats[f"refresh of one fleet ({args.assets} assets)"] = 1
    repeats["push snapshot delivery (per delivery)"] = max(1, stream.deliveries)

    # the every-minute sweeps with nothing due (maintenance_refresh sweep event + push_retry)
    repeats["every-minute sweeps, nothing due"] = 1
    later = (at + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    with measured(meter, stream, "every-minute sweeps, nothing due"):
        invoke("maintenance_refresh", {"time": later, "detail-type": "maintenance_refresh_sweep"})
        invoke("push_retry", {"time": later})

    # vendor search (GET /vendors/search): the network's vendors (loaded first) on sampled ZIP centroids
    zips = ("10001", "60601", "90012", "77002", "30303", "02110", "80202", "59701")
    for radius in (25, 100):
        label = f"vendor search, first page, {radius} mi"
        repeats[label] = len(zips) * 2
        with measured(meter, stream, label):
            for zip_code in zips * 2:
                status, answer = call_api("GET", "/vendors/search", admin,
                                          query={"zip": zip_code, "radius_miles": str(radius)})
                assert status == 200, answer
    print(f"assets In Shop after the webhooks: {in_shop} of {args.repeat}; refresh: {status_refresh}")
    return repeats


def invoke(function: str, event: dict[str, Any]) -> Any:
    import importlib

    from dev.apigw import LocalContext

    return importlib.import_module(f"functions.{function}.handler").lambda_handler(event, LocalContext())


def asset_of(org_id: str, vin_value: str) -> str:
    from shared.assets import dal as assets_dal

    claim = assets_dal.get_vin_claim(org_id, vin_value)
    assert claim is not None
    return str(claim.asset_id)


def seed_refresh(org: str, integration_id: str, standin: Any, vins: list[str]) -> None:
    """What the refresh works on (as bench/maintenance_refresh.py seeds it): a tenth of the assets with an
    Upcoming item due yesterday (Overdue after), two open repair orders of which Fleetrock has since
    finished one, one open order we never heard of."""
    from zoneinfo import ZoneInfo

    from shared.assets.models import AssetItem
    from shared.db.keys import org_pk
    from shared.fleetrock.inbox import sources_dal
    from shared.fleetrock.inbox.models import RepairOrderItem
    from shared.ids import utc_now
    from shared.maintenance import dal as maintenance_dal
    from shared.maintenance.models import AssetMaintenanceItem

    eastern = ZoneInfo("America/New_York")
    now = utc_now()
    past_due = (datetime.now(eastern).date() - timedelta(days=1)).isoformat()
    assets = {a.vin: a.asset_id for a in AssetItem.query(org_pk(org), AssetItem.sk.startswith("ASSET#"))}
    with AssetItem.batch_write() as batch:
        for n, v in enumerate(vins):
            if n % 10 == 5:
                cause = {"status": "upcoming", "source": "scheduled_maintenance", "source_id": f"SM-{n}",
                         "detail": "PM A", "due_date": past_due, "since": now.isoformat()}
                batch.save(AssetMaintenanceItem(org_pk(org), maintenance_dal.maintenance_sk(assets[v]), org_id=org,
                                                asset_id=assets[v], causes={f"SM#SM-{n}": cause},
                                                top_status="upcoming", computed_at=now, version=1))
        for n, status in ((1, "In Progress"), (2, "Not Started")):
            ro = RepairOrderItem(sources_dal.ro_partition(integration_id), f"RO-R{n}", integration_id=integration_id,
                                 org_id=org, ro_id=f"RO-R{n}", vin=vins[n], status=status,
                                 as_of=now - timedelta(days=2), asset_id=assets[vins[n]], version=1)
            sources_dal.index_open(ro, True)
            batch.save(ro)
    updated = (datetime.now(eastern) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    for n, status in ((1, "In Progress"), (2, "Finished"), (3, "Not Started")):
        standin.put_repair_order({"id": f"RO-R{n}", "vin": vins[n], "status": status, "date_updated": updated})


def report(meter: Meter, repeats: dict[str, int], args: argparse.Namespace) -> None:
    """One line per operation (and its stream work): per operation, averaged over its repetitions."""
    print(f"per operation (averaged over its repetitions); WCU/RCU/GSI WCU: DynamoDB Local's ConsumedCapacity; "
          f"bytes: the larger stream image by AWS's size rules; {args.vendors} vendors, a fleet of {args.assets}")
    head = (f"{'operation':52} {'n':>3} {'calls':>6} {'items':>6} {'ins/mod/rem':>12} {'avg B':>6} {'max B':>6} "
            f"{'WCU':>7} {'GSI WCU':>8} {'RCU':>7} {'pages':>6} {'read':>6}")
    print(head)
    print("-" * len(head))
    order = [name for op in repeats for name in (op, f"{op} / stream") if name in meter.costs]
    for name in order:
        cost, n = meter.costs[name], repeats[name.removesuffix(" / stream")]
        sizes = cost.written_bytes
        print(f"{name:52} {n:>3} {sum(cost.calls.values()) / n:>6.1f} {len(sizes) / n:>6.1f} "
              f"{'/'.join(f'{cost.records[k] / n:g}' for k in ('INSERT', 'MODIFY', 'REMOVE')):>12} "
              f"{(sum(sizes) / len(sizes) if sizes else 0):>6.0f} {max(sizes, default=0):>6} {cost.wcu / n:>7.1f} "
              f"{sum(cost.gsi_wcu.values()) / n:>8.1f} {cost.rcu / n:>7.1f} {cost.query_pages / n:>6.1f} "
              f"{cost.items_read / n:>6.1f}")
    print()
    print("partition keys written (stream records per operation, WCU from their sizes; the most to one key), "
          "GSI WCU by index, calls, RCU by partition read")
    for name in order:
        cost, n = meter.costs[name], repeats[name.removesuffix(" / stream")]
        top = cost.exact_keys.most_common(1)
        print(f"{name}:")
        print("  writes: " + ", ".join(f"{k} {v / n:g} ({cost.wcu_by_key[k] / n:g} WCU)"
                                       for k, v in cost.keys.most_common()) + (
            f"; most to one key: {top[0][1] / n:g}" if top else ""))
        if cost.gsi_wcu:
            print("  GSI WCU: " + ", ".join(f"{k} {v / n:g}" for k, v in sorted(cost.gsi_wcu.items())))
        if cost.gsi_keys:
            top_index = cost.exact_gsi_keys.most_common(1)[0][1]
            print("  index keys written: " + ", ".join(f"{k} {v / n:g} ({cost.gsi_wcu_by_key[k] / n:g} WCU)"
                                                     for k, v in cost.gsi_keys.most_common())
                  + f"; most to one index key: {top_index / n:g}")
        print("  types: " + ", ".join(f"{k} {v / n:g}" for k, v in cost.record_types.most_common()))
        print("  calls: " + ", ".join(f"{k} {v / n:g}" for k, v in cost.calls.most_common()))
        if cost.reads_by_key:
            print("  RCU by partition: " + ", ".join(f"{k} {v / n:g}" for k, v in sorted(
                cost.reads_by_key.items(), key=lambda kv: -kv[1])[:8]))


if __name__ == "__main__":
    main()
