"""Webhook events applied by the stream processor: statuses, causes, order, poison events and replay."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from shared.fleetrock.inbox import dal as inbox_dal
from tests.conftest import call_api
from tests.factories import add_user, create_asset, sign_up
from tests.fleetrock_support import active_integration, dispatch, envelope, post_webhook, repair_order, send

pytestmark = pytest.mark.usefixtures("dynamodb")


@pytest.fixture
def fleet(fleetrock):
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-1")
    trailer = create_asset(admin, unit_number="TR-1", kind="trailer")
    integration_id, secret = active_integration(admin, fleetrock)
    return admin, truck, trailer, integration_id, secret


def test_in_progress_puts_the_asset_in_shop_with_the_repair_order_as_cause(fleet, stream):
    admin, truck, _, integration_id, secret = fleet
    r = send(integration_id, secret, "repair_order.updated",
             repair_order("RO-7", truck["vin"], "In Progress", "2026-02-01 10:00:00", unit_number="T-1"))
    assert r.status == 202
    stream.drain()
    seen = dispatch(add_user(admin, "customer"))[truck["asset_id"]]
    assert seen["asset_status"] == "in_shop" and seen["maintenance_status"] == "in_shop"
    [cause] = seen["statuses"]
    assert (cause["source"], cause["source_id"], cause["detail"]) == ("repair_order", "RO-7", "In Progress")
    asset = call_api("GET", f"/assets/{truck['asset_id']}", as_user=admin).json()
    assert asset["status"] == "in_shop" and asset["version"] == truck["version"] + 1
    in_shop = call_api("GET", "/assets", as_user=admin, query={"status": "in_shop"}).json()["items"]
    assert [a["asset_id"] for a in in_shop] == [truck["asset_id"]]  # the status index follows
    stale = call_api("PATCH", f"/assets/{truck['asset_id']}", as_user=admin,
                     json_body={"version": truck["version"], "unit_number": "T-1b"})
    assert stale.status == 409  # a client holding the old version reloads

    send(integration_id, secret, "repair_order.updated",
         repair_order("RO-7", truck["vin"], "Finished", "2026-02-02 10:00:00"))
    stream.drain()
    seen = dispatch(admin)[truck["asset_id"]]
    assert seen["asset_status"] == "active" and seen["maintenance_status"] is None and seen["statuses"] == []
    assert stream.dead_letters == []


def test_not_started_is_awaiting_service_and_the_asset_stays_active(fleet, stream):
    admin, truck, _, integration_id, secret = fleet
    send(integration_id, secret, "repair_order.created",
         repair_order("RO-1", truck["vin"], "Not Started", "2026-02-01 10:00:00"))
    stream.drain()
    seen = dispatch(admin)[truck["asset_id"]]
    assert (seen["asset_status"], seen["maintenance_status"]) == ("active", "awaiting_service")


def test_a_webhook_is_a_hint_fleetrock_is_the_truth_whatever_the_order(fleet, fleetrock, stream):
    admin, truck, _, integration_id, secret = fleet
    fleetrock.put_repair_order(repair_order("RO-2", truck["vin"], "Finished"))
    # a late, replayed webhook whose body still says In Progress: the body is never trusted
    stale = envelope("repair_order.updated", repair_order("RO-2", truck["vin"], "In Progress"))
    assert post_webhook(integration_id, secret, stale).status == 202
    stream.drain()
    seen = dispatch(admin)[truck["asset_id"]]
    assert seen["maintenance_status"] is None and seen["asset_status"] == "active"
    # an order we hold open that Fleetrock no longer has is closed (deleted there)
    send(integration_id, secret, "repair_order.created", repair_order("RO-3", truck["vin"], "Not Started"))
    stream.drain()
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] == "awaiting_service"
    send(integration_id, secret, "repair_order.deleted", {"id": "RO-3"})
    stream.drain()
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] is None
    assert stream.dead_letters == []


def test_a_burst_of_webhooks_for_one_order_costs_one_read(fleet, fleetrock, stream):
    admin, truck, _, integration_id, secret = fleet
    fleetrock.put_repair_order(repair_order("RO-B", truck["vin"], "In Progress"))
    for n in range(5):
        assert post_webhook(integration_id, secret, envelope("repair_order.updated", {"id": "RO-B"},
                                                             event_id=f"evt-b{n}")).status == 202
    before = len(fleetrock.calls)
    stream.drain()
    reads = [params for call, params in fleetrock.calls[before:] if call == "GetRO"]
    assert reads == [{"username": reads[0]["username"], "token": reads[0]["token"], "id": "RO-B"}]
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] == "in_shop"
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    assert {e["status"] for e in events if e["event_id"].startswith("evt-b")} == {"applied"}


def test_an_order_fleetrock_never_had_is_a_failed_event_that_says_so(fleet, stream):
    admin, _, _, integration_id, secret = fleet
    post_webhook(integration_id, secret, envelope("repair_order.updated", {"id": "RO-GHOST"}, event_id="evt-g"))
    stream.drain()
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    failed = next(e for e in events if e["event_id"] == "evt-g")
    assert failed["status"] == "failed" and "RO-GHOST" in failed["last_error"]


def test_scheduled_maintenance_and_the_top_status(fleet, stream):
    admin, truck, trailer, integration_id, secret = fleet
    items = [
        {"id": "SM-1", "vin": truck["vin"], "service": "PM A", "state": "almost_due", "due_date": "2099-01-01"},
        {"id": "SM-2", "vin": trailer["vin"], "service": "DOT", "state": "overdue", "due_date": "2026-01-01"},
        {"id": "SM-3", "vin": trailer["vin"], "service": "Tires", "state": "almost_due", "due_date": "2026-01-02"},
    ]
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": items})
    send(integration_id, secret, "repair_order.created",
         repair_order("RO-4", trailer["vin"], "Not Started", "2026-02-01 10:00:00"))
    stream.drain()
    seen = dispatch(admin)
    assert seen[truck["asset_id"]]["maintenance_status"] == "upcoming"
    trailer_seen = seen[trailer["asset_id"]]
    assert trailer_seen["maintenance_status"] == "awaiting_service"
    # a passed due date already reads Overdue
    assert [s["status"] for s in trailer_seen["statuses"]] == ["awaiting_service", "overdue", "overdue"]
    check = call_api("POST", "/dispatch/check", as_user=add_user(admin, "customer"),
                     json_body={"truck_id": truck["asset_id"], "trailer_id": trailer["asset_id"]})
    assert check.status == 200 and check.json()["blocked"] is False
    warnings = check.json()["warnings"]
    assert len(warnings) == 4 and {w["cause"]["source_id"] for w in warnings} == {"SM-1", "SM-2", "SM-3", "RO-4"}
    assert "repair order RO-4" in next(w["message"] for w in warnings if w["cause"]["source_id"] == "RO-4")
    items[0] = {**items[0], "state": "ok"}
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": items[:1]})
    stream.drain()
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] is None


def test_dispatch_check_refuses_wrong_kinds_and_foreign_assets(fleet):
    admin, truck, trailer, _, _ = fleet
    assert call_api("POST", "/dispatch/check", as_user=admin, json_body={}).status == 422
    r = call_api("POST", "/dispatch/check", as_user=admin, json_body={"truck_id": trailer["asset_id"]})
    assert r.status == 422
    r = call_api("POST", "/dispatch/check", as_user=admin, json_body={"truck_id": truck["asset_id"]})
    assert r.status == 200 and r.json()["warnings"] == []
    other = sign_up("fleet", "Other")
    assert call_api("POST", "/dispatch/check", as_user=other, json_body={"truck_id": truck["asset_id"]}).status == 404


def test_a_manual_in_shop_is_not_undone_by_fleetrock(fleet, stream):
    admin, truck, _, integration_id, secret = fleet
    r = call_api("PATCH", f"/assets/{truck['asset_id']}", as_user=admin,
                 json_body={"version": truck["version"], "status": "in_shop"})
    assert r.status == 200
    send(integration_id, secret, "repair_order.updated",
         repair_order("RO-5", truck["vin"], "Waiting", "2026-02-01 10:00:00"))
    send(integration_id, secret, "repair_order.updated",
         repair_order("RO-5", truck["vin"], "Paid", "2026-02-03 10:00:00"))
    stream.drain()
    assert dispatch(admin)[truck["asset_id"]]["asset_status"] == "in_shop"


def test_a_poison_event_is_dead_lettered_then_replayed_once(fleet, fleetrock, stream):
    admin, truck, _, integration_id, secret = fleet
    fleetrock.put_repair_order(repair_order("RO-8", truck["vin"], "In Progress", "2026-02-01 10:00:00"))
    fleetrock.set_faults(fail=100)  # the thin event needs GetRO, and Fleetrock is down
    assert send(integration_id, secret, "repair_order.updated", {"id": "RO-8"}, event_id="evt-8").status == 202
    stream.drain()
    assert len(stream.dead_letters) == 1
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    failed = next(e for e in events if e["event_id"] == "evt-8")
    assert failed["status"] == "failed" and failed["attempts"] == stream.max_attempts
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] is None
    stored = inbox_dal.get_event(integration_id, "evt-8")
    assert stored is not None and stored.expires_at_epoch is None, "a failed event stays until it is replayed"
    fleetrock.clear_faults()
    r = call_api("POST", f"/integrations/{integration_id}/events/evt-8/replay", as_user=admin)
    assert r.status == 202 and r.json()["status"] == "queued"
    stream.drain()
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] == "in_shop"
    again = call_api("POST", f"/integrations/{integration_id}/events/evt-8/replay", as_user=admin)
    assert again.status == 200 and again.json()["status"] == "applied"  # idempotent: nothing queued
    stored = inbox_dal.get_event(integration_id, "evt-8")
    assert stored is not None and stored.expires_at_epoch is not None  # applied: the TTL removes it in 30 days
    assert abs(stored.expires_at_epoch - (time.time() + inbox_dal.APPLIED_KEPT.total_seconds())) < 600
    stream.drain()
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    assert next(e for e in events if e["event_id"] == "evt-8")["replays"] == 1
    manager = add_user(admin, "customer")
    assert call_api("POST", f"/integrations/{integration_id}/events/evt-8/replay", as_user=manager).status == 403
    assert call_api("POST", f"/integrations/{integration_id}/events/nope/replay", as_user=admin).status == 404


def test_an_unknown_repair_order_status_is_a_poison_event(fleet, stream):
    admin, truck, _, integration_id, secret = fleet
    send(integration_id, secret, "repair_order.updated",
         repair_order("RO-9", truck["vin"], "Teleported", "2026-02-01 10:00:00"), event_id="evt-9")
    stream.drain()
    assert len(stream.dead_letters) == 1
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    failed = next(e for e in events if e["event_id"] == "evt-9")
    assert failed["status"] == "failed" and "Teleported" in failed["last_error"]


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+00:01", "13/45/2026 10:00", "yesterday"])
def test_a_date_we_cannot_read_is_a_failed_event_that_shows_the_raw_value(fleet, stream, raw):
    """Year 1 at +00:01 is year 0 in UTC; 13/45 is no US date: the event fails with the value, never a crash."""
    admin, truck, _, integration_id, secret = fleet
    send(integration_id, secret, "repair_order.updated",
         repair_order("RO-10", truck["vin"], "In Progress", raw), event_id="evt-10")
    stream.drain()
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    failed = next(e for e in events if e["event_id"] == "evt-10")
    assert failed["status"] == "failed" and raw in failed["last_error"] and "date_created" in failed["last_error"]


def test_us_dates_and_zoneless_times_are_read_in_the_integrations_time_zone(fleet, fleetrock, stream):
    admin, truck, _, integration_id, secret = fleet
    integration = call_api("GET", f"/integrations/{integration_id}", as_user=admin).json()
    assert integration["time_zone"] == "UTC"
    r = call_api("PATCH", f"/integrations/{integration_id}", as_user=admin,
                 json_body={"version": integration["version"], "time_zone": "America/Chicago"})
    assert r.status == 200 and r.json()["time_zone"] == "America/Chicago"
    bad = call_api("PATCH", f"/integrations/{integration_id}", as_user=admin,
                   json_body={"version": r.json()["version"], "time_zone": "Mars/Olympus"})
    assert bad.status == 422
    send(integration_id, secret, "repair_order.updated",
         repair_order("RO-11", truck["vin"], "In Progress", "02/01/2026 10:00 PM", date_started="2026-02-02 08:15"))
    stream.drain()
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] == "in_shop"


def test_an_event_near_the_1_mb_limit_is_stored_and_applied(fleet, fleetrock, stream):
    """DynamoDB holds 400 KB per item: the inbox keeps the body compressed, so a 1 MB event is not a 500."""
    admin, truck, _, integration_id, secret = fleet
    lines = [{"line": n, "description": f"Replace brake pad, axle {n % 4}", "labor_hours": 1.5} for n in range(12000)]
    order = repair_order("RO-BIG", truck["vin"], "In Progress", lines=lines)
    fleetrock.put_repair_order(order)
    body = envelope("repair_order.updated", order, event_id="evt-big")
    assert 900_000 < len(body) <= 1024 * 1024
    r = post_webhook(integration_id, secret, body)
    assert r.status == 202, r.body
    stream.drain()
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    assert next(e for e in events if e["event_id"] == "evt-big")["status"] == "applied"
    assert dispatch(admin)[truck["asset_id"]]["asset_status"] == "in_shop"


def test_a_zoneless_sent_at_is_read_and_json_nested_too_deeply_is_kept_unrecognized(fleet):
    _, _, _, integration_id, secret = fleet
    r = send(integration_id, secret, "test", {}, sent_at=datetime.now(UTC).replace(tzinfo=None).isoformat())
    assert r.status == 200
    assert send(integration_id, secret, "test", {}, sent_at="not a time").status == 200
    deep = b'{"event": "test", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    r = post_webhook(integration_id, secret, deep)
    assert r.status == 202 and r.json()["status"] == "unrecognized"
