"""A fleet's refresh, run by the real stream processor: reconcile with GetRO, statuses by date, the push."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.maintenance import dal as maintenance_dal
from shared.maintenance.rules import today_eastern
from tests.factories import create_asset, sign_up
from tests.fleetrock_support import active_integration, dispatch, repair_order, send
from tests.push_receiver import receiver_fixture, stream_fixture  # noqa: F401 - fixtures
from tests.refresh_support import five_am, refreshes, scheduled, snapshots, subscribe

pytestmark = pytest.mark.usefixtures("dynamodb")


def test_a_missed_webhook_is_caught_by_reconcile(fleetrock, receiver, stream):
    admin = sign_up("fleet")
    a, b, c = (create_asset(admin, unit_number=u) for u in ("T-A", "T-B", "T-C"))
    fleetrock.put_repair_order(repair_order("RO-1", a["vin"], "In Progress"))
    fleetrock.allow_created = True  # this Fleetrock answers GetRO event=created, which finds Not Started orders
    integration_id, secret = active_integration(admin, fleetrock)  # imports RO-1: A is In Shop
    stream.drain()
    assert dispatch(admin)[a["asset_id"]]["asset_status"] == "in_shop"
    send(integration_id, secret, "repair_order.updated", repair_order("RO-3", c["vin"], "Finished"))
    stream.drain()
    # webhooks that never reached us: RO-1 finished, RO-2 opened for B
    fleetrock.put_repair_order({"id": "RO-1", "status": "Finished"})
    fleetrock.put_repair_order({"id": "RO-2", "vin": b["vin"], "unit_number": "T-B", "status": "Not Started"})
    subscribe(admin, receiver, stream)

    scheduled(five_am(1))
    stream.drain()
    [task] = refreshes(admin, integration_id)
    assert task["status"] == "succeeded", task
    assert {k: task["result"][k] for k in ("open_checked", "closed", "applied")} == {
        "open_checked": 1, "closed": 1, "applied": 1}
    seen = dispatch(admin)
    assert (seen[a["asset_id"]]["asset_status"], seen[a["asset_id"]]["maintenance_status"]) == ("active", None)
    assert seen[b["asset_id"]]["maintenance_status"] == "awaiting_service"
    assert seen[c["asset_id"]]["maintenance_status"] is None
    [page] = snapshots(receiver, admin.org_id)
    pushed = {x["asset_id"]: x for x in page["assets"]}
    # one vocabulary: the push says what /dispatch/assets says, codes with their labels
    assert (pushed[b["asset_id"]]["maintenance_status"], pushed[b["asset_id"]]["maintenance_label"]) == \
        ("awaiting_service", "Awaiting Service")
    assert pushed[b["asset_id"]]["statuses"] == seen[b["asset_id"]]["statuses"]
    [status] = pushed[b["asset_id"]]["statuses"]
    assert {k: status[k] for k in ("status", "label", "source", "source_id", "detail")} == {
        "status": "awaiting_service", "label": "Awaiting Service", "source": "repair_order", "source_id": "RO-2",
        "detail": "Not Started"} and status["since"]
    assert pushed[a["asset_id"]]["asset_status"] == "active" and pushed[a["asset_id"]]["statuses"] == []


def test_a_repair_order_fleetrock_no_longer_has_is_closed(fleetrock, stream):
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-1")
    integration_id, secret = active_integration(admin, fleetrock)
    send(integration_id, secret, "repair_order.created", repair_order("RO-9", truck["vin"], "Waiting"))
    stream.drain()
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] == "in_shop"
    del fleetrock.repair_orders["RO-9"]  # deleted in Fleetrock, and its webhook missed
    scheduled(five_am(1))
    stream.drain()
    assert refreshes(admin, integration_id)[0]["result"]["closed"] == 1
    assert dispatch(admin)[truck["asset_id"]]["asset_status"] == "active"


def test_a_passed_due_date_turns_upcoming_into_overdue(fleetrock, receiver, stream):
    admin = sign_up("fleet")
    trailer = create_asset(admin, unit_number="TR-1", kind="trailer")
    integration_id, secret = active_integration(admin, fleetrock)
    due = today_eastern() + timedelta(days=1)
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [
        {"id": "SM-1", "vin": trailer["vin"], "service": "Annual DOT inspection", "state": "almost_due",
         "due_date": due.isoformat()}]})
    stream.drain()
    assert dispatch(admin)[trailer["asset_id"]]["maintenance_status"] == "upcoming"
    subscribe(admin, receiver, stream)

    at = five_am(3)  # two days after the due date
    scheduled(at)
    stream.drain()
    [task] = refreshes(admin, integration_id)
    assert task["status"] == "succeeded" and (task["result"]["recomputed"], task["result"]["changed"]) == (1, 1)
    stored = maintenance_dal.get_asset_maintenance(admin.org_id, trailer["asset_id"])
    assert stored is not None and stored.top_status == "overdue" and stored.computed_at == at
    [page] = snapshots(receiver, admin.org_id)
    [pushed] = page["assets"]
    assert pushed["maintenance_status"] == "overdue" and page["generated_at"] == at.isoformat()
    [status] = pushed["statuses"]
    assert {k: status[k] for k in ("status", "label", "source", "source_id", "detail")} == {
        "status": "overdue", "label": "Overdue", "source": "scheduled_maintenance", "source_id": "SM-1",
        "detail": "Annual DOT inspection"} and status["due_date"]
    # the morning's recompute is a change too: the subscriber heard of it as it happened
    [change] = [r.json() for r in receiver.accepted.values() if r.json()["type"] == "status_changed"]
    assert (change["asset_id"], change["sequence"]) == (trailer["asset_id"], 2), "the webhook's Upcoming was 1"
    before, after = change["previous"], change["current"]
    assert (before["maintenance_status"], after["maintenance_status"]) == ("upcoming", "overdue")
    assert change["cause"] == {"source": "scheduled_maintenance", "source_id": "SM-1",
                               "detail": "Overdue as of the day"}
