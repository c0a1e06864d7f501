"""DynamoDB going away in the middle of the daily maintenance refresh: every fleet refreshed and pushed once.

Runs on a file-backed DynamoDB Local of its own (the `faulty` fixture of tests/test_faults_dynamodb.py),
killed while the second fleet's refresh task is in flight, and started again a few seconds later: once
while the task waits on Fleetrock (mid-reconcile), once after its snapshot was queued but before the task
was recorded as done. Recovery uses only what runs in AWS: the stream processor, the sweep and push_retry.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dev.apigw import LocalContext
from dev.fleetrock_standin import FleetrockStandin, us_time
from functions.push_retry.handler import lambda_handler as push_retry
from shared.fleetrock.refresh import dal as refresh_dal
from shared.fleetrock.refresh import refresh
from shared.push import snapshots as push_snapshots
from tests.conftest import FLEETROCK_API_KEY, FLEETROCK_USERNAME, call_api
from tests.factories import Caller, create_asset, sign_up
from tests.fleetrock_support import active_integration, dispatch, repair_order
from tests.push_receiver import PushReceiver
from tests.refresh_support import five_am, refreshes, scheduled, snapshots, subscribe, sweep
from tests.test_faults_dynamodb import FaultyDynamoDB, faulty, outage_when  # noqa: F401 - the fixture

FLEETS = 5


class Tripwire:
    """Counts calls once armed; the Nth sets `hit` and goes on only once DynamoDB is dead: it is in flight then."""

    def __init__(self, at: int, db: FaultyDynamoDB) -> None:
        self.at = at
        self.db = db
        self.outages = db.outages
        self.armed = False
        self.calls = 0
        self.hit = threading.Event()
        self._lock = threading.Lock()

    def call(self) -> None:
        with self._lock:
            if not self.armed:
                return
            self.calls += 1
            trip = self.calls == self.at
        if trip:
            self.hit.set()
            deadline = time.monotonic() + 30
            while self.db.outages == self.outages and time.monotonic() < deadline:
                time.sleep(0.01)  # the outage thread kills DynamoDB (kill() counts it once the process is gone)


class TrippedStandin(FleetrockStandin):
    """The Fleetrock stand-in, with every API call counted by a shared tripwire."""

    tripwire: Tripwire | None = None

    def take_fault(self) -> tuple[str, Any]:
        if self.tripwire is not None:
            self.tripwire.call()
        return super().take_fault()


@pytest.fixture
def tenants() -> Iterator[list[TrippedStandin]]:
    """One Fleetrock tenant per fleet, on its own host (the stand-in keeps one store per server)."""
    servers = [TrippedStandin(accounts={FLEETROCK_USERNAME: FLEETROCK_API_KEY}) for _ in range(FLEETS)]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.stop()


def deliveries(admin: Caller, subscription_id: str) -> list[dict[str, Any]]:
    r = call_api("GET", f"/subscriptions/{subscription_id}/deliveries", as_user=admin, query={"limit": 100})
    assert r.status == 200, r.body
    return [d for d in r.json()["items"] if d["kind"] == "snapshot"]


@pytest.mark.parametrize("cut_at", ["fleetrock_call", "task_finish"])
def test_a_refresh_run_cut_by_an_outage_ends_with_every_fleet_refreshed_and_pushed_once_per_page(
        faulty: FaultyDynamoDB, tenants: list[TrippedStandin], monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        cut_at: str) -> None:
    monkeypatch.setattr(push_snapshots, "PAGE_ASSETS", 2)  # 3 assets: each snapshot is 2 pages
    receiver = PushReceiver()
    receiver.start()
    poller = faulty.poller()
    if cut_at == "fleetrock_call":  # a task makes 2 calls (GetToken, GetRO): the 3rd is the second task's
        tripwire = Tripwire(at=3, db=faulty)
    else:  # the second task's snapshot is queued (deliveries stored, content hash claimed), not yet recorded
        tripwire = Tripwire(at=2, db=faulty)
        finish = refresh_dal.finish

        def tripped_finish(*args: Any, **kwargs: Any) -> bool:
            tripwire.call()
            return finish(*args, **kwargs)

        monkeypatch.setattr(refresh_dal, "finish", tripped_finish)
    fleets: list[tuple[Caller, str, str, list[dict[str, Any]]]] = []  # admin, integration, subscription, trucks
    try:
        for n, tenant in enumerate(tenants):
            admin = sign_up("fleet", f"Refresh Outage {cut_at} {n}")
            trucks = [create_asset(admin, unit_number=f"T-{u}") for u in range(3)]
            integration_id, _ = active_integration(admin, tenant)
            fleets.append((admin, integration_id, subscribe(admin, receiver, poller), trucks))
            # changes whose webhooks were missed: only the refresh's reconcile brings them in
            for ro_id, truck, status in (("RO-1", trucks[0], "In Progress"), ("RO-2", trucks[1], "Not Started")):
                tenant.put_repair_order(repair_order(ro_id, truck["vin"], status, us_time(),
                                                     date_created=us_time()))
            tenant.allow_created = True  # this Fleetrock answers GetRO event=created: RO-2 (Not Started) is found
            tenant.tripwire = tripwire if cut_at == "fleetrock_call" else None

        run = scheduled(five_am(1))
        assert run["created"] == FLEETS
        tripwire.armed = True
        outage = outage_when(faulty, tripwire.hit)
        poller.start()  # the tasks' INSERT records run the refreshes; DynamoDB dies during the second
        outage.join(60)
        assert faulty.proc is not None and faulty.proc.poll() is None, "DynamoDB Local is back"
        poller.stop()
        poller.drain()
        cut = [refreshes(admin, integration_id)[0]["status"] for admin, integration_id, _, _ in fleets]
        assert tripwire.hit.is_set() and Counter(cut)["running"] == 1, cut  # the outage cut a run short

        # the sweep runs every minute: by then leases (a run that died) and grace periods (records the
        # stream gave up on) have run out; push_retry sends what was stored but not sent
        later = datetime.now(UTC) + refresh.LEASE + timedelta(minutes=1)
        assert sweep(later)["queued"] == FLEETS - Counter(cut)["succeeded"]
        poller.drain()
        push_retry({"time": later.isoformat()}, LocalContext())

        assert scheduled(five_am(1))["created"] == 0, "the day's run again: no second task for anyone"
        assert sweep(later + timedelta(days=1)) == {"queued": 0, "failed": 0, "raced": 0}, "no task left behind"
        idle: dict[str, dict[str, int]] = {"changes": {}, "outcomes": {}}
        assert push_retry({"time": (later + timedelta(days=1)).isoformat()}, LocalContext()) == idle
        for (admin, integration_id, subscription_id, trucks), at_cut in zip(fleets, cut, strict=True):
            [task] = refreshes(admin, integration_id)
            assert task["status"] == "succeeded" and task["last_error"] is None, task
            if at_cut == "running":  # the attempt that died; the sweep's took it up after its lease
                assert task["attempts"] == 2
                # cut after its snapshot was queued: the next attempt finds it sent and queues nothing
                assert task["result"]["deliveries"] == (0 if cut_at == "task_finish" else 2)
            stored = deliveries(admin, subscription_id)
            assert sorted((d["page"], d["status"]) for d in stored) == [(1, "delivered"), (2, "delivered")]
            pages = snapshots(receiver, admin.org_id)  # accepted ones: one per delivery id
            assert sorted(p["page"] for p in pages) == [1, 2], "each page pushed once (deduped by delivery id)"
            sent = {r.delivery_id for r in receiver.requests if r.status == 200
                    and r.json().get("type") == "snapshot" and r.json()["fleet_id"] == admin.org_id}
            assert sent == {d["delivery_id"] for d in stored}, "a page sent again carried the same id"
            pushed = {a["asset_id"]: a for p in pages for a in p["assets"]}
            seen = dispatch(admin)
            expected = [("in_shop", "in_shop"), ("active", "awaiting_service"), ("active", None)]
            for truck, (asset_status, shown) in zip(trucks, expected, strict=True):
                asset = pushed[truck["asset_id"]]
                assert (asset["asset_status"], asset["maintenance_status"]) == (asset_status, shown), asset
                assert seen[truck["asset_id"]]["maintenance_status"] == shown
    finally:
        poller.stop()
        receiver.stop()
