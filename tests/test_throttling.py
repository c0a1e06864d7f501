"""DynamoDB throttling: work under it ends complete, callers get 503 + Retry-After only when retries run out.

DynamoDB Local never throttles, so `Throttle` answers a share of the application's DynamoDB calls
with a throttling error before they leave the process: a `before-send.dynamodb.*` handler on the
botocore client of every PynamoDB connection returns a 400 `ProvisionedThroughputExceededException`
or `ThrottlingException` answer, which botocore parses and retries (standard mode) as it would
DynamoDB's own; what comes through those retries reaches PynamoDB, our batch-write loop, the
stream processor and the resolver as in AWS. The share is deterministic (seeded).

Botocore backs off `rand(0, 1) * 2**i` seconds after a throttling answer; the fixture scales that
to a fiftieth (`throttling_base_scale`), so the tests run the same retry path in less time.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.hooks import BaseEventHooks
from botocore.retries.standard import ExponentialBackoff
from pynamodb.connection.base import Connection

from dev.fleetrock_standin import FleetrockStandin
from dev.stream_poller import StreamPoller
from tests.conftest import FLEETROCK_API_KEY, FLEETROCK_USERNAME, TEST_ENV, ApiResponse, call_api
from tests.factories import Caller, create_asset, make_vin, sign_up
from tests.fleetrock_support import active_integration, dispatch, envelope, post_webhook, repair_order
from tests.jobs_support import job_body, setup
from tests.push_receiver import PushReceiver
from tests.refresh_support import five_am, refreshes, scheduled, snapshots, subscribe, sweep
from tests.test_jobs_import import install_row, send, to_csv

CODES = ("ProvisionedThroughputExceededException", "ThrottlingException")
HANDLER_ID = "fleetbridge-tests-throttle"


class _Body:
    """The raw body of a fake answer, as botocore reads it (`stream()`)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


@dataclass
class Throttle:
    """Answers a share of DynamoDB calls with a throttling error, before they reach DynamoDB Local.

    `rate`: the share of calls throttled (a seeded random draw per call); 1.0 throttles every call.
    `operations`: only these operations (e.g. {"BatchWriteItem"}); None for all. `after`: let that many
    of them through first. Off until `on()`; `calls` and `throttled` count from the last `on()`.
    """

    rate: float = 0.0
    seed: int = 22
    operations: frozenset[str] | None = None
    after: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)
    _random: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _emitters: list[BaseEventHooks] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def on(self, rate: float, operations: set[str] | None = None, after: int = 0) -> None:
        with self._lock:
            self.rate, self.operations, self.after = rate, frozenset(operations) if operations else None, after
            self.calls.clear()
            self.throttled.clear()

    def off(self) -> None:
        """No more throttling (the counts stay)."""
        with self._lock:
            self.rate = 0.0

    def before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            self.calls[operation] += 1
            if self.operations is not None and operation not in self.operations:
                return None
            if self.after > 0:
                self.after -= 1
                return None
            if not self.rate or self._random.random() >= self.rate:
                return None
            self.throttled[operation] += 1
            code = CODES[sum(self.throttled.values()) % 2]
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                           "message": "The level of configured provisioned throughput for the table was exceeded"})
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0",
                                              "x-amzn-RequestId": "throttled-by-the-test"}, _Body(body.encode()))

    def attach(self, emitter: BaseEventHooks) -> None:
        """On a client's events (idempotent: the unique id registers it once)."""
        if not any(e is emitter for e in self._emitters):
            emitter.register_first("before-send.dynamodb", self.before_send, unique_id=HANDLER_ID)
            self._emitters.append(emitter)

    def detach(self) -> None:
        for emitter in self._emitters:
            emitter.unregister("before-send.dynamodb", unique_id=HANDLER_ID)
        self._emitters.clear()


@pytest.fixture
def throttle(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Throttle]:
    """A Throttle on every PynamoDB connection's client (those made before and after this test starts):
    PynamoDB builds one botocore client per Connection, from a copy of its session's events, so the
    handler goes on each client as PynamoDB hands it out."""
    throttle = Throttle()
    client_of = vars(Connection)["client"].fget

    def client(self: Connection) -> Any:
        made = client_of(self)
        throttle.attach(made.meta.events)
        return made

    monkeypatch.setattr(Connection, "client", property(client))
    monkeypatch.setitem(ExponentialBackoff._DEFAULT_BACKOFF_CONFIG, "throttling_base_scale", 0.02)
    yield throttle
    throttle.detach()



def unavailable(r: ApiResponse) -> bool:
    """A 503 as the resolver answers it when DynamoDB's retries ran out: Retry-After and our JSON error."""
    if r.status != 503:
        return False
    assert r.headers.get("Retry-After") == "5" and r.error_code == "service_unavailable", (r.headers, r.body)
    return True


# -- (a) a CSV import of 1,000 rows --------------------------------------------------------------------------

def _expire_lease(fleet: Caller, body: str, key: str) -> None:
    """Stand in for the 2 minutes a client waits once told the import is still running (its lease)."""
    import hashlib

    table = boto3.resource("dynamodb", endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"]).Table(TEST_ENV["TABLE_NAME"])
    for k in (key, f"sha256:{hashlib.sha256(body.encode()).hexdigest()}"):
        table.update_item(Key={"pk": f"JOBIMPORT#{fleet.org_id}#{k}", "sk": "IMPORT"},
                          UpdateExpression="SET lease_until = :past", ExpressionAttributeValues={":past": 0})


def import_as_a_client_does(fleet: Caller, body: str, key: str) -> tuple[ApiResponse, list[ApiResponse]]:
    """Send until the import answers 201/200, as a client does: again after a 503, again after a 409 "running"
    (see _expire_lease); every answer on the way is a 503 or that 409, never a 500."""
    answers = []
    for _ in range(10):
        r = send(fleet, body, key=key)
        answers.append(r)
        if r.status in (200, 201):
            return r, answers
        if r.status == 409 and "running" in r.json()["error"]["message"]:
            _expire_lease(fleet, body, key)
            continue
        assert unavailable(r), r.body
    raise AssertionError(f"the import never completed: {[a.status for a in answers]}")


def assert_imported_once(s: Any, result: dict[str, Any], rows: int) -> None:
    """Every job stored once, each assigned one with its vehicle access grant; one import audit event."""
    table = boto3.resource("dynamodb", endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"]).Table(TEST_ENV["TABLE_NAME"])
    jobs: list[dict[str, Any]] = []
    grants = 0
    scan: dict[str, Any] = {}
    while True:
        page = table.scan(**scan)
        jobs += [i for i in page["Items"] if i.get("type") == "job" and i.get("fleet_id") == s.fleet.org_id]
        grants += sum(1 for i in page["Items"] if str(i["pk"]).startswith(f"VACCESS#{s.vendor.org_id}#"))
        if "LastEvaluatedKey" not in page:
            break
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    job_ids = [str(j["job_id"]) for j in jobs]
    assert sorted(job_ids) == sorted(result["job_ids"]) and len(set(job_ids)) == rows, "every row, once"
    assert grants == result["assigned"] == rows // 2, "each assigned job with its access grant"
    audit = [e["action"] for e in call_api("GET", "/audit", as_user=s.fleet, query={"limit": 100}).json()["items"]]
    assert audit.count("job.imported") == 1


def _rows(s: Any, n: int) -> str:
    assets = [create_asset(s.fleet) for _ in range(10)]
    return to_csv([install_row(assets[i % 10], partner=s.partner_id if i % 2 else "", title=f"Job {i}")
                   for i in range(n)])


def test_a_1000_row_import_under_throttling_stores_every_job_and_grant_once(throttle: Throttle) -> None:
    s = setup()
    body = _rows(s, 1000)
    throttle.on(0.3)  # 3 calls in 10, every operation: lookups, the starting transaction, the batch writes
    done, _ = import_as_a_client_does(s.fleet, body, "throttled-1000")
    throttle.off()
    # 201, or 200 replayed when a request wrote everything but was throttled past its retries recording the
    # end under its second key (a 503): the retry then finds the import done
    assert done.status in (200, 201) and sum(throttle.throttled.values()) > 10, throttle.throttled
    assert_imported_once(s, done.json(), 1000)
    assert send(s.fleet, body, key="throttled-1000").json() == done.json(), "the same key: the same result"


def test_an_import_whose_batch_writes_stay_throttled_is_a_503_and_its_retry_finishes_it(throttle: Throttle) -> None:
    s = setup()
    body = _rows(s, 200)  # 300 puts: 12 BatchWriteItem requests
    throttle.on(1.0, {"BatchWriteItem"}, after=5)  # five requests go through, then every one is throttled
    first = send(s.fleet, body, key="throttled-200")
    assert unavailable(first), first.body
    assert throttle.throttled["BatchWriteItem"] >= 3, "botocore retried before giving up"
    throttle.off()
    done, answers = import_as_a_client_does(s.fleet, body, "throttled-200")
    assert done.status == 201, done.body
    # the import that answered 503 gave its lease back: the same request again resumes it at once
    assert [a.status for a in answers] == [201], [a.body for a in answers]
    assert_imported_once(s, done.json(), 200)


# -- (b) a burst of Fleetrock webhooks, and the stream applying them ------------------------------------------

STATUSES = ["Not Started", "Waiting", "Finished", "In Progress"]


def poller() -> StreamPoller:
    """The stream processor over the table's stream from now on, retrying a failed record 3 times."""
    p = StreamPoller(table_name=TEST_ENV["TABLE_NAME"], endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"],
                     region=TEST_ENV["AWS_REGION"], start_position="LATEST", backoff_seconds=0.01)
    p.poll_once()
    return p


def test_a_webhook_burst_under_throttling_is_202_or_503_and_every_accepted_event_is_applied_once(
        throttle: Throttle, fleetrock: FleetrockStandin) -> None:
    admin = sign_up("fleet", "Throttled Freight")
    trucks = [create_asset(admin) for _ in range(5)]
    integration_id, secret = active_integration(admin, fleetrock)
    stream = poller()
    bodies = [envelope("repair_order.updated", repair_order(f"RO-{n}", t["vin"], status, f"2026-03-01 08:0{m}:00"))
              for m, status in enumerate(STATUSES) for n, t in enumerate(trucks)]  # 20: each applied costs ~35 calls
    for n, truck in enumerate(trucks):  # what applying reads back: each order's last change
        fleetrock.put_repair_order(repair_order(f"RO-{n}", truck["vin"], STATUSES[-1]))
    throttle.on(0.3)
    answers: Counter[int] = Counter()
    for body in bodies:  # as Fleetrock sends: again after a 503
        for _ in range(20):
            r = post_webhook(integration_id, secret, body)
            answers[r.status] += 1
            if r.status == 202:
                break
            assert unavailable(r), r.body
        else:
            raise AssertionError("never accepted")
    stream.drain()  # applied under throttling: a record that fails is retried, then dead-lettered
    throttle.off()
    assert set(answers) <= {202, 503} and answers[202] == len(bodies), answers
    # what the stream gave up on is still in the inbox: the every-minute sweep queues it again
    sweep(datetime.now(UTC) + timedelta(minutes=20), "inbox")
    stream.drain()
    listed = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin, query={"limit": 100}).json()
    stored = {json.loads(b)["event_id"] for b in bodies}
    assert {e["event_id"] for e in listed["items"]} == stored, "each accepted event stored once, no other"
    assert {(e["status"], e["applied_count"]) for e in listed["items"]} == {("applied", 1)}, "each applied once"
    assert all(s["maintenance_status"] == "in_shop" for s in dispatch(admin).values())
    assert sum(throttle.throttled.values()) > 20, throttle.throttled


# -- (c) the daily refresh --------------------------------------------------------------------------------

def test_a_refresh_run_under_throttling_ends_with_every_fleet_refreshed_and_pushed(throttle: Throttle) -> None:
    receiver = PushReceiver()
    receiver.start()
    tenants = [FleetrockStandin(accounts={FLEETROCK_USERNAME: FLEETROCK_API_KEY}).start() for _ in range(3)]
    stream = poller()
    fleets = []
    try:
        for n, tenant in enumerate(tenants):
            admin = sign_up("fleet", f"Throttled Refresh {n}")
            trucks = [create_asset(admin, unit_number=f"T-{u}") for u in range(3)]
            integration_id, _ = active_integration(admin, tenant)
            fleets.append((admin, integration_id, trucks))
            subscribe(admin, receiver, stream)
            # changes whose webhooks were missed: only the refresh's reconcile brings them in
            tenant.put_repair_order(repair_order("RO-1", trucks[0]["vin"], "In Progress"))
        throttle.on(0.3)
        retried(lambda: scheduled(five_am(1)))  # EventBridge Scheduler retries a failed invocation
        stream.drain()  # the tasks' records run the refreshes, throttled; a failed record is retried
        throttle.off()
        # the every-minute sweep queues what the stream gave up on; push_retry sends what was not sent
        later = datetime.now(UTC) + timedelta(hours=1)
        sweep(later)
        stream.drain()
        from dev.apigw import LocalContext
        from functions.push_retry.handler import lambda_handler as push_retry

        push_retry({"time": later.isoformat()}, LocalContext())
        for admin, integration_id, trucks in fleets:
            [task] = refreshes(admin, integration_id)
            assert task["status"] == "succeeded", task
            seen = dispatch(admin)
            assert seen[trucks[0]["asset_id"]]["maintenance_status"] == "in_shop"
            [page] = snapshots(receiver, admin.org_id)
            pushed = {a["asset_id"]: a["maintenance_status"] for a in page["assets"]}
            assert pushed[trucks[0]["asset_id"]] == "in_shop" and len(pushed) == 3
        assert sum(throttle.throttled.values()) > 5, throttle.throttled
    finally:
        receiver.stop()
        for tenant in tenants:
            tenant.stop()


def retried(run: Callable[[], Any], tries: int = 5) -> Any:
    for _ in range(tries - 1):
        try:
            return run()
        except Exception as exc:  # only what a throttled DynamoDB raises
            from shared.db.unavailable import dynamodb_unavailable

            if not dynamodb_unavailable(exc):
                raise
    return run()


# -- (d) throttled on every call -------------------------------------------------------------------------

def test_throttling_on_every_call_is_a_503_with_retry_after_not_a_500(
        throttle: Throttle, fleetrock: FleetrockStandin) -> None:
    s = setup()
    asset = create_asset(s.fleet)
    integration_id, secret = active_integration(s.fleet, fleetrock)
    body = envelope("repair_order.updated", repair_order("RO-1", asset["vin"], "Waiting"))
    throttle.on(1.0)
    answers = [
        call_api("GET", "/assets", as_user=s.fleet),
        call_api("POST", "/assets", as_user=s.fleet, json_body={"unit_number": "T-9", "kind": "truck",
                                                                "vin": make_vin()}),
        call_api("POST", "/jobs", as_user=s.fleet, json_body=job_body(asset)),
        post_webhook(integration_id, secret, body),
        send(s.fleet, to_csv([install_row(asset)]), key="all-throttled"),
    ]
    throttle.off()
    assert [r.status for r in answers] == [503] * len(answers), [r.body for r in answers]
    assert all(unavailable(r) for r in answers)
    assert throttle.calls == throttle.throttled, "nothing reached DynamoDB"
