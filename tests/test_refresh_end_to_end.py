"""End to end: the scheduled event -> tasks -> the real stream -> reconcile -> signed push to a real receiver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dev.apigw import LocalContext
from functions.maintenance_refresh.handler import lambda_handler as maintenance_refresh
from tests.factories import create_asset, sign_up
from tests.fleetrock_support import active_integration, repair_order
from tests.push_receiver import receiver_fixture, stream_fixture, verify  # noqa: F401 - fixtures
from tests.refresh_support import five_am, refreshes, snapshots, subscribe

pytestmark = pytest.mark.usefixtures("dynamodb")
ROOT = Path(__file__).resolve().parent.parent


def test_the_scheduled_event_ends_in_a_signed_snapshot_the_receiver_verifies(fleetrock, receiver, stream):
    admin = sign_up("fleet")
    trucks = [create_asset(admin, unit_number=f"T-{n}") for n in range(3)]
    trailer = create_asset(admin, unit_number="TR-1", kind="trailer")
    integration_id, _ = active_integration(admin, fleetrock)
    subscribe(admin, receiver, stream)
    [secret] = receiver.secrets
    fleetrock.put_repair_order(repair_order("RO-1", trucks[0]["vin"], "In Progress", "2026-03-01 08:00:00"))

    event = json.loads((ROOT / "events" / "maintenance_refresh_daily.json").read_text())
    event["time"] = five_am(1).isoformat().replace("+00:00", "Z")  # as EventBridge Scheduler sends it
    assert maintenance_refresh(event, LocalContext())["created"] == 1
    stream.drain()  # the task's INSERT -> refresh -> deliveries' INSERTs -> signed POSTs

    [task] = refreshes(admin, integration_id)
    assert task["status"] == "succeeded" and task["result"]["applied"] == 1 and task["result"]["assets"] == 4
    [page] = snapshots(receiver, admin.org_id)
    [received] = [r for r in receiver.accepted.values() if r.json().get("type") == "snapshot"]
    assert verify(received.headers, received.body, [secret]) == received.delivery_id
    assert {r.status for r in receiver.requests} == {200}, "every request carried a valid signature"
    assert (page["page"], page["pages"], page["generated_at"]) == (1, 1, five_am(1).isoformat())
    by_unit = {a["unit_number"]: a for a in page["assets"]}
    assert set(by_unit) == {"T-0", "T-1", "T-2", "TR-1"}
    assert (by_unit["T-0"]["asset_status"], by_unit["T-0"]["maintenance_status"]) == ("in_shop", "in_shop")
    assert by_unit["TR-1"] == {"asset_id": trailer["asset_id"], "unit_number": "TR-1", "vin": trailer["vin"],
                               "kind": "trailer", "asset_status": "active", "maintenance_status": None,
                               "maintenance_label": None, "statuses": []}
