"""The inbox sweep: webhook events the stream gave up on are queued again with backoff, then left for a replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.db.tasks import BACKOFF
from tests import refresh_support
from tests.conftest import call_api
from tests.factories import create_asset, sign_up
from tests.fleetrock_support import active_integration, dispatch, repair_order, send

pytestmark = pytest.mark.usefixtures("dynamodb")


def sweep(at: datetime) -> dict[str, int]:
    return refresh_support.sweep(at, "inbox")


def event_of(admin: Any, integration_id: str, event_id: str) -> dict[str, Any]:
    items = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    return next(e for e in items if e["event_id"] == event_id)


NOTHING = {"requeued": 0, "given_up": 0, "dropped": 0, "raced": 0}


def test_an_event_the_stream_gave_up_on_is_applied_by_the_sweep_once_fleetrock_is_back(fleetrock, stream):
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-1")
    integration_id, secret = active_integration(admin, fleetrock)
    fleetrock.put_repair_order(repair_order("RO-1", truck["vin"], "In Progress", "2026-02-01 10:00:00"))
    fleetrock.set_faults(fail=100)  # the thin event needs GetRO, and Fleetrock is down
    stored_at = datetime.now(UTC)
    assert send(integration_id, secret, "repair_order.updated", {"id": "RO-1"}, event_id="evt-1").status == 202
    stream.drain()
    assert len(stream.dead_letters) == 1 and event_of(admin, integration_id, "evt-1")["status"] == "failed"

    assert sweep(stored_at + timedelta(minutes=10)) == NOTHING  # the stream's own retries come first
    fleetrock.clear_faults()
    assert sweep(stored_at + timedelta(minutes=16)) == {**NOTHING, "requeued": 1}
    stream.drain()
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] == "in_shop"
    applied = event_of(admin, integration_id, "evt-1")
    assert applied["status"] == "applied" and applied["replays"] == 1
    assert sweep(stored_at + timedelta(days=2)) == NOTHING  # applied: out of the queue


def test_an_event_that_never_applies_is_tried_six_times_then_left_for_a_replay(fleetrock, stream):
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-1")
    integration_id, secret = active_integration(admin, fleetrock)
    stored_at = datetime.now(UTC)
    send(integration_id, secret, "repair_order.updated",
         repair_order("RO-2", truck["vin"], "Teleported", "2026-02-01 10:00:00"), event_id="evt-2")
    stream.drain()
    assert len(stream.dead_letters) == 1

    at = stored_at + timedelta(minutes=16)
    for wait in BACKOFF:
        assert sweep(at) == {**NOTHING, "requeued": 1}
        stream.drain()
        assert sweep(at + wait - timedelta(minutes=1)) == NOTHING  # not yet due again
        at += wait
    assert len(stream.dead_letters) == 1 + len(BACKOFF)  # each try failed, and was dead-lettered again
    assert sweep(at) == {**NOTHING, "given_up": 1}
    assert sweep(at + timedelta(days=30)) == NOTHING
    failed = event_of(admin, integration_id, "evt-2")
    assert failed["status"] == "failed" and "Teleported" in failed["last_error"] and failed["replays"] == 6
    r = call_api("POST", f"/integrations/{integration_id}/events/evt-2/replay", as_user=admin)
    assert r.status == 202 and r.json()["status"] == "queued"  # a fleet admin can still replay it


def test_test_events_and_duplicates_never_enter_the_queue(fleetrock, stream):
    admin = sign_up("fleet")
    integration_id, secret = active_integration(admin, fleetrock)
    stored_at = datetime.now(UTC)
    assert send(integration_id, secret, "test", {}, event_id="evt-t").status == 200
    stream.drain()
    assert sweep(stored_at + timedelta(days=1)) == NOTHING
