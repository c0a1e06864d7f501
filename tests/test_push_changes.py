"""status_changed pushes: a change reaches subscribers in seconds, through the real stream processor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dev.apigw import LocalContext
from tests.conftest import call_api
from tests.factories import create_asset, sign_up
from tests.fleetrock_support import active_integration, dispatch, repair_order, send
from tests.push_receiver import PushReceiver, receiver_fixture, stream_fixture  # noqa: F401 - fixtures
from tests.refresh_support import subscribe

pytestmark = pytest.mark.usefixtures("dynamodb")


def changes(receiver: PushReceiver, asset_id: str | None = None) -> list[dict[str, Any]]:
    """The status_changed events the receiver accepted (signature verified), by sequence."""
    bodies = [r.json() for r in receiver.accepted.values()]
    found = [b for b in bodies if b["type"] == "status_changed" and asset_id in (None, b["asset_id"])]
    return sorted(found, key=lambda b: b["sequence"])


def test_a_webhook_that_puts_a_truck_in_shop_is_pushed_with_before_after_and_cause(fleetrock, receiver, stream):
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-1")
    integration_id, secret = active_integration(admin, fleetrock)
    subscribe(admin, receiver, stream)

    send(integration_id, secret, "repair_order.created", repair_order("RO-1", truck["vin"], "In Progress"))
    stream.drain()
    [change] = changes(receiver)
    assert (change["fleet_id"], change["asset_id"], change["sequence"]) == (admin.org_id, truck["asset_id"], 1)
    assert change["previous"]["asset_status"] == "active" and change["previous"]["maintenance_status"] is None
    current = change["current"]
    assert (current["asset_status"], current["maintenance_status"], current["maintenance_label"]) == (
        "in_shop", "in_shop", "In Shop")
    assert change["cause"] == {"source": "repair_order", "source_id": "RO-1", "detail": "In Progress"}
    seen = dispatch(admin)[truck["asset_id"]]
    assert current["statuses"] == seen["statuses"], "the push and /dispatch/assets say the same"

    send(integration_id, secret, "repair_order.updated", repair_order("RO-1", truck["vin"], "Finished"))
    stream.drain()
    closed = changes(receiver)[-1]
    assert closed["sequence"] == 2 and closed["previous"] == current
    assert (closed["current"]["asset_status"], closed["current"]["maintenance_status"]) == ("active", None)
    assert closed["cause"] == {"source": "repair_order", "source_id": "RO-1", "detail": "Finished"}

    send(integration_id, secret, "repair_order.updated", repair_order("RO-1", truck["vin"], "Finished"))
    stream.drain()
    assert len(changes(receiver)) == 2, "nothing a subscriber sees changed: nothing pushed"


def test_changes_close_together_go_out_as_one_event_with_the_latest_state(fleetrock, receiver, stream):
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-2")
    integration_id, secret = active_integration(admin, fleetrock)
    subscribe(admin, receiver, stream)
    orders = {"RO-2": "Not Started", "RO-3": "In Progress", "RO-4": "Waiting"}
    for ro_id, status in orders.items():  # three changes of the truck, applied in one pass of the stream
        send(integration_id, secret, "repair_order.created", repair_order(ro_id, truck["vin"], status))
    stream.drain()
    [change] = changes(receiver)
    assert change["sequence"] == 3, "three changes recorded, one event"
    assert change["previous"]["maintenance_status"] is None, "what the subscriber had before the burst"
    assert change["current"]["maintenance_status"] == "in_shop"
    assert {s["source_id"] for s in change["current"]["statuses"]} == set(orders), "the latest state"


def set_status(admin: Any, asset_id: str, status: str, version: int) -> int:
    """A person sets the asset's status (PATCH /assets/{id}); the asset's new version."""
    r = call_api("PATCH", f"/assets/{asset_id}", as_user=admin, json_body={"status": status, "version": version})
    assert r.status == 200, r.body
    return int(r.json()["version"])


def test_a_person_setting_the_asset_status_and_deleting_it_are_pushed(receiver, stream):
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-3")
    subscribe(admin, receiver, stream)
    set_status(admin, truck["asset_id"], "in_shop", truck["version"])
    stream.drain()
    [change] = changes(receiver)
    assert (change["previous"]["asset_status"], change["current"]["asset_status"]) == ("active", "in_shop")
    assert change["cause"] == {"source": "asset", "source_id": truck["asset_id"],
                               "detail": "asset status set to in_shop"}

    assert call_api("DELETE", f"/assets/{truck['asset_id']}", as_user=admin).status == 204
    stream.drain()
    deleted = changes(receiver)[-1]
    assert deleted["sequence"] == 2 and deleted["previous"]["asset_status"] == "in_shop"
    assert deleted["current"]["asset_status"] == "inactive"


def test_subscriptions_choose_their_events_and_older_ones_opt_in(fleetrock, receiver, stream):
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-4")
    integration_id, secret = active_integration(admin, fleetrock)
    r = call_api("POST", "/subscriptions", as_user=admin, json_body={"url": receiver.url, "events": ["snapshot"]})
    assert r.status == 201 and r.json()["events"] == ["snapshot"], r.body
    receiver.secrets.append(r.json()["secret"])
    subscription_id = r.json()["subscription_id"]
    stream.drain()
    send(integration_id, secret, "repair_order.created", repair_order("RO-4", truck["vin"], "Waiting"))
    stream.drain()
    assert changes(receiver) == [], "a snapshot-only subscription gets no status_changed"

    r = call_api("PATCH", f"/subscriptions/{subscription_id}", as_user=admin,
                 json_body={"events": ["snapshot", "status_changed"]})
    assert r.status == 200 and r.json()["events"] == ["snapshot", "status_changed"], r.body
    send(integration_id, secret, "repair_order.updated", repair_order("RO-4", truck["vin"], "Finished"))
    stream.drain()
    [change] = changes(receiver)
    assert change["sequence"] == 2 and change["current"]["maintenance_status"] is None

    bad_bodies: list[dict[str, Any]] = [{"events": []}, {"events": ["everything"]}, {"url": "https://x.example"}]
    for bad in bad_bodies:
        r = call_api("PATCH", f"/subscriptions/{subscription_id}", as_user=admin, json_body=bad)
        assert r.status == 422, (bad, r.body)


def without_push_states(handle: Any) -> Any:
    def target(event: dict[str, Any], context: Any) -> Any:
        records = [r for r in event["Records"]
                   if (r["dynamodb"].get("NewImage") or {}).get("type", {}).get("S") != "asset_push_state"]
        return handle({**event, "Records": records}, context) if records else {"batchItemFailures": []}

    return target


def test_a_change_the_stream_did_not_fan_out_is_sent_by_the_sweep(receiver, stream):
    from functions.push_retry.handler import lambda_handler as push_retry

    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-5")
    subscribe(admin, receiver, stream)
    set_status(admin, truck["asset_id"], "in_shop", truck["version"])
    handle = stream.target
    stream.target = without_push_states(handle)  # their records fail past the stream's retries: lost to it
    try:
        stream.drain()
    finally:
        stream.target = handle
    assert changes(receiver) == []
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert push_retry({"time": later.isoformat()}, LocalContext())["changes"] == {"fanned_out": 1}
    stream.drain()  # the delivery's record sends it
    [change] = changes(receiver)
    assert change["current"]["asset_status"] == "in_shop"
    assert push_retry({"time": later.isoformat()}, LocalContext())["changes"] == {}


def test_a_test_delivery_answers_with_the_subscribers_status_and_is_not_retried(receiver, stream):
    admin = sign_up("fleet")
    subscription_id = subscribe(admin, receiver, stream)
    r = call_api("POST", f"/subscriptions/{subscription_id}/test", as_user=admin)
    assert r.status == 200, r.body
    result = r.json()
    assert (result["delivered"], result["status_code"], result["error"]) == (True, 200, None)
    assert result["duration_ms"] >= 0
    assert receiver.accepted[result["delivery_id"]].json()["type"] == "test"

    receiver.fail_next = 1
    r = call_api("POST", f"/subscriptions/{subscription_id}/test", as_user=admin)
    failed = r.json()
    assert (failed["delivered"], failed["status_code"], failed["error"]) == (False, 500, "answered HTTP 500")
    stream.drain()
    r = call_api("GET", f"/subscriptions/{subscription_id}/deliveries/{failed['delivery_id']}", as_user=admin)
    assert (r.json()["kind"], r.json()["status"], r.json()["attempts"]) == ("test", "failed", 1)
    assert call_api("POST", "/subscriptions/psub_unknown/test", as_user=admin).status == 404


def test_a_change_undone_before_it_went_out_is_not_sent(receiver, stream):
    """Found by the bench: In Shop and back before the fan-out made an event whose previous was its current."""
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-6")
    subscribe(admin, receiver, stream)
    asset_id = truck["asset_id"]
    version = set_status(admin, asset_id, "in_shop", truck["version"])
    stream.drain()
    assert [c["current"]["asset_status"] for c in changes(receiver)] == ["in_shop"]
    version = set_status(admin, asset_id, "in_shop", set_status(admin, asset_id, "active", version))  # and back
    stream.drain()
    assert len(changes(receiver)) == 1, "subscribers have the state it is in: nothing to tell"
    set_status(admin, asset_id, "active", version)
    stream.drain()
    assert [c["current"]["asset_status"] for c in changes(receiver)] == ["in_shop", "active"]
