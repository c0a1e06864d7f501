"""DynamoDB going away in the middle of work: callers see 503 and retry, nothing half-written, nothing lost.

This module runs on a DynamoDB Local of its own, file-backed (`-dbPath` in a temporary folder)
so that it can be killed and started again with its data and its stream, while a burst of
Fleetrock webhooks hits the dev server, and while push deliveries are being sent. The whole
application (handlers, stream processor, push_retry) is pointed at it for the module, and back
at the session's table afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from dev import dynamodb_local
from dev.apigw import LocalContext
from dev.fleetrock_standin import FleetrockStandin
from dev.server import DevApiServer, serve_in_thread
from dev.stream_poller import StreamPoller
from shared.db import base
from shared.db.table import create_table
from shared.settings import get_settings
from tests.conftest import TEST_ENV, call_api
from tests.factories import create_asset, make_vin, sign_up
from tests.fleetrock_support import active_integration, dispatch, repair_order
from tests.push_receiver import PushReceiver

DOWN_SECONDS = 2.0  # how long DynamoDB stays away (plus the ~2 s its JVM takes to come back)


def _bind(endpoint: str) -> None:
    """Point every model, transaction and the settings at `endpoint` (they bind once, lazily)."""
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    get_settings.cache_clear()
    base.connection.cache_clear()
    pending = [base.TableItem]
    while pending:
        model = pending.pop()
        model._connection = None
        pending += model.__subclasses__()
    base.connection()


@dataclass
class FaultyDynamoDB:
    """A file-backed DynamoDB Local that the test stops and starts."""

    port: int
    path: Path
    proc: subprocess.Popen[bytes] | None = None
    outages: int = field(default=0)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = dynamodb_local.start(self.port, self.path)

    def kill(self) -> None:
        """Gone at once: connections are refused until start().

        SIGTERM, not SIGKILL: killed with SIGKILL right after a write, DynamoDB Local can lose writes it had
        already acknowledged (seen: 2 of 12 transactions), which DynamoDB never does; SIGTERM keeps them.
        """
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()
        self.outages += 1

    def freeze(self) -> None:
        """Hung, not gone: connections open but nothing answers (a network partition looks like this)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def poller(self) -> StreamPoller:
        poller = StreamPoller(table_name=TEST_ENV["TABLE_NAME"], endpoint_url=self.endpoint,
                              region=TEST_ENV["AWS_REGION"], start_position="LATEST", backoff_seconds=0.05)
        poller.poll_once()
        return poller


@pytest.fixture(scope="module")
def faulty() -> Iterator[FaultyDynamoDB]:
    db = FaultyDynamoDB(dynamodb_local.free_port(), Path(tempfile.mkdtemp(prefix="fleetbridge-faults-")))
    db.start()
    create_table(boto3.client("dynamodb", endpoint_url=db.endpoint), TEST_ENV["TABLE_NAME"])
    _bind(db.endpoint)
    try:
        yield db
    finally:
        _bind(TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"])
        if db.proc is not None and db.proc.poll() is None:
            dynamodb_local.stop(db.proc)
        shutil.rmtree(db.path, ignore_errors=True)


def outage_when(db: FaultyDynamoDB, ready: threading.Event) -> threading.Thread:
    """In the background: once `ready` is set, kill DynamoDB, keep it down a moment, start it again."""
    def run() -> None:
        ready.wait(60)
        db.kill()
        time.sleep(DOWN_SECONDS)
        db.start()

    thread = threading.Thread(target=run, name="dynamodb-outage", daemon=True)
    thread.start()
    return thread


# -- (a) a burst of webhooks at the dev server -------------------------------------------------------------

STATUSES = ["Not Started", "Waiting", "In Progress", "Finished", "In Progress", "Not Started"]
SHOWN = {"Not Started": "awaiting_service", "Waiting": "in_shop", "In Progress": "in_shop", "Finished": None}


@dataclass
class Sender:
    """Fleetrock's side: POST each event until it is acknowledged, retrying a 503 (as a webhook sender does)."""

    url: str
    secret: str
    answers: list[tuple[int, str | None, str]] = field(default_factory=list)  # status, Retry-After, body

    def send_all(self, bodies: list[bytes], accepted: Counter[str], progress: threading.Event) -> None:
        for body in bodies:
            for _ in range(200):
                status, text, retry_after = _post(self.url, self.secret, body)
                self.answers.append((status, retry_after, text))
                if status == 202:
                    accepted["n"] += 1
                    if accepted["n"] >= 8:
                        progress.set()
                    break
                time.sleep(0.1)  # the real sender waits Retry-After; the test need not


def _post(url: str, secret: str, body: bytes) -> tuple[int, str, str | None]:
    import urllib.error
    import urllib.request

    from dev.fleetrock_standin import sign

    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Fleetrock-Signature": sign(secret, body)})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), response.headers.get("Retry-After")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers.get("Retry-After")


def test_webhooks_during_an_outage_get_503_and_every_accepted_one_is_applied_once(
        faulty: FaultyDynamoDB, fleetrock: FleetrockStandin) -> None:
    admin = sign_up("fleet", "Outage Freight")
    trucks = [create_asset(admin, vin=make_vin()) for _ in range(5)]
    integration_id, secret = active_integration(admin, fleetrock)
    poller = faulty.poller()
    server = DevApiServer(("127.0.0.1", 0))
    thread = serve_in_thread(server)
    events = {t["asset_id"]: [FleetrockStandin.webhook_body("repair_order.updated", repair_order(
        f"RO-{n}", t["vin"], status, f"2026-03-01 08:{minute:02d}:00")) for minute, status in enumerate(STATUSES)]
        for n, t in enumerate(trucks)}
    for n, truck in enumerate(trucks):  # Fleetrock ends with each order's last change: what applying reads
        fleetrock.put_repair_order(repair_order(f"RO-{n}", truck["vin"], STATUSES[-1]))
    url = f"{server.url}/webhooks/fleetrock/{integration_id}"
    senders = [Sender(url, secret) for _ in range(3)]
    bodies = [b for per_truck in events.values() for b in per_truck]
    accepted: Counter[str] = Counter()
    progress = threading.Event()
    try:
        poller.start()  # the stream processor runs through the outage too
        outage = outage_when(faulty, progress)
        workers = [threading.Thread(target=s.send_all, args=(bodies[i::3], accepted, progress)) for i, s in
                   enumerate(senders)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        outage.join(60)
        poller.stop()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

    answers = [a for s in senders for a in s.answers]
    assert accepted["n"] == len(bodies), "every event was acknowledged in the end"
    assert {status for status, _, _ in answers} == {202, 503}, "a 503 while DynamoDB was away, else 202"
    for status, retry_after, body in answers:
        if status == 503:
            assert retry_after is not None and '"service_unavailable"' in body

    poller.drain()  # what the stream still holds
    listed = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin, query={"limit": 100}).json()
    assert len(listed["items"]) == len(bodies), "each accepted event stored once, nothing half-written"
    for event in listed["items"]:  # dead-lettered while DynamoDB was away: still in the inbox, replayable
        if event["status"] != "applied":
            r = call_api("POST", f"/integrations/{integration_id}/events/{event['event_id']}/replay", as_user=admin)
            assert r.status == 202, r.body
    poller.drain()
    listed = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin, query={"limit": 100}).json()
    assert {(e["status"], e["applied_count"]) for e in listed["items"]} == {("applied", 1)}, "each applied once"
    seen = dispatch(admin)
    for truck in trucks:  # the newest repair-order state wins, whatever order the retries came in
        assert seen[truck["asset_id"]]["maintenance_status"] == SHOWN[STATUSES[-1]]


# -- (b) push deliveries (the daily refresh's step 4) -------------------------------------------------------

def test_deliveries_during_an_outage_are_all_sent_in_the_end_and_deduped_by_id(faulty: FaultyDynamoDB) -> None:
    from functions.push_retry.handler import lambda_handler as push_retry
    from shared.maintenance.public import AssetState
    from shared.push.attempts import LEASE, QUEUED_GRACE
    from shared.push.snapshots import PAGE_ASSETS, push_snapshot

    receiver = PushReceiver()
    receiver.start()
    admin = sign_up("fleet", "Outage Dispatch")
    poller = faulty.poller()
    try:
        r = call_api("POST", "/subscriptions", as_user=admin, json_body={"url": receiver.url})
        assert r.status == 201, r.body
        receiver.secrets = [r.json()["secret"]]
        sub_id = r.json()["subscription_id"]
        poller.drain()  # the verification delivery
        assert call_api("GET", f"/subscriptions/{sub_id}", as_user=admin).json()["status"] == "active"
        receiver.accepted.clear()
        receiver.requests.clear()
        receiver.delay = 0.3  # a slow subscriber: the run is still sending when DynamoDB goes
        first = threading.Event()
        outage = outage_when(faulty, first)
        now = datetime.now(UTC)
        snapshot = [AssetState(asset_id=f"ast_{i:05d}", unit_number=f"T{i}", vin=make_vin(i), kind="truck",
                               asset_status="in_shop", maintenance_status=None, statuses=[])
                    for i in range(5 * PAGE_ASSETS)]
        ids = push_snapshot(admin.org_id, snapshot, now)
        assert len(ids) == 5
        poller.start()
        deadline = time.monotonic() + 30
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        first.set()
        outage.join(60)
        poller.stop()
        poller.drain()
        # what the stream gave up on while DynamoDB was away is due for push_retry: an attempt whose
        # lease ran out (sent, outcome not recorded), or a queued delivery past its grace period
        later = now + max(LEASE, QUEUED_GRACE) + timedelta(minutes=1)
        push_retry({"time": later.isoformat()}, LocalContext())
        statuses = {call_api("GET", f"/subscriptions/{sub_id}/deliveries/{d}", as_user=admin).json()["status"]
                    for d in ids}
        assert statuses == {"delivered"}, statuses
        assert sorted(receiver.accepted) == sorted(ids), "every page reached the subscriber"
        sent = Counter(r.delivery_id for r in receiver.requests if r.status == 200)
        assert set(sent) == set(ids), "a page sent again (its outcome was not recorded) carries the same id"
    finally:
        receiver.stop()


# -- (c) DynamoDB hung rather than gone ---------------------------------------------------------------------

def test_a_hung_dynamodb_is_a_503_once_the_client_timeouts_run_out_not_a_lambda_timeout(
        faulty: FaultyDynamoDB) -> None:
    """Read timeout 2 s, 3 tries (shared/db/base.py): a few seconds, well inside the API's 15 s Lambda timeout."""
    admin = sign_up("fleet", "Hung Freight")
    faulty.freeze()
    try:
        r = call_api("GET", "/assets", as_user=admin)
    finally:
        faulty.thaw()
    assert r.status == 503 and r.error_code == "service_unavailable", r.body
    assert r.headers["Retry-After"] == "5"
    assert call_api("GET", "/assets", as_user=admin).status == 200, "and back at once when it answers again"
