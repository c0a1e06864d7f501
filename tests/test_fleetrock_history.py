"""An asset's repair orders as its events (GET /assets/{id}/events): open and closed, newest first,
paginated, bounded; who may read them; orders that arrived before their asset."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.fleetrock.history import events as history
from shared.fleetrock.inbox.models import RepairOrderItem
from shared.fleetrock.remote.dates import FleetrockDateError
from tests.conftest import call_api
from tests.factories import Caller, add_user, create_asset, make_vin, sign_up
from tests.fleetrock_support import active_integration, repair_order, send

pytestmark = pytest.mark.usefixtures("dynamodb")


@pytest.fixture
def fleet(fleetrock: Any) -> tuple[Caller, dict[str, Any], dict[str, Any], str, str]:
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-1")
    trailer = create_asset(admin, unit_number="TR-1", kind="trailer")
    integration_id, secret = active_integration(admin, fleetrock)
    return admin, truck, trailer, integration_id, secret


def events(user: Caller, asset_id: str, **query: Any) -> dict[str, Any]:
    r = call_api("GET", f"/assets/{asset_id}/events", as_user=user, query=query)
    assert r.status == 200, r.body
    return dict(r.json())


def utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def test_open_and_closed_orders_newest_first_with_what_fleetrock_says(fleet, stream):
    admin, truck, trailer, integration_id, secret = fleet
    vin = truck["vin"]
    send(integration_id, secret, "repair_order.updated", repair_order(
        "RO-OLD", vin, "Finished", "01/02/2026 09:15 AM", unit_number="T-1", group="East",
        custom_asset_id="C-9", vendor_name="Harbor Shop", customer_name="Acme", priority_code="1",
        odometer_miles="182,340", engine_hours=6120, date_started="01/02/2026 10:00 AM",
        date_finished="2026-01-03T16:30:00Z", internal_field="not ours",
        tasks=[{"id": "T1", "description": "Brake inspection", "labor_hours": "1.5", "labor_rate": 120,
                "scheduled_maintenance_id": "SM-3", "mystery": {"deep": 1},
                "parts": [{"part_number": "BP-1", "description": "Pads", "quantity": 2, "unit_price": "45.10"}]}],
        notes=[{"note": "Driver reports pulling left", "author": "Sam", "date_created": "01/02/2026 09:20 AM"},
               {"note": "Bad date kept, date left out", "date_created": "someday"}]))
    send(integration_id, secret, "repair_order.updated",
         repair_order("RO-MID", vin, "Paid", "01/10/2026 01:00 PM", date_invoice_paid="01/20/2026"))
    send(integration_id, secret, "repair_order.created", repair_order("RO-NEW", vin, "Not Started", "02/01/2026 07:00"))
    send(integration_id, secret, "repair_order.updated", repair_order("RO-TRAILER", trailer["vin"], "In Progress"))
    stream.drain()
    send(integration_id, secret, "repair_order.updated", repair_order("RO-NEW", vin, "In Progress", "02/01/2026 07:00"))
    stream.drain()
    assert stream.dead_letters == []

    page = events(add_user(admin, "customer"), truck["asset_id"])  # any fleet role that reads assets
    assert page["next_cursor"] is None
    assert [e["ro_id"] for e in page["items"]] == ["RO-NEW", "RO-MID", "RO-OLD"]
    new, mid, old = page["items"]
    assert (new["fleetrock_status"], new["status"], new["open"]) == ("In Progress", "in_shop", True)
    assert new["date_started"] is not None  # Fleetrock stamped it when it went In Progress
    assert (mid["fleetrock_status"], mid["status"], mid["open"]) == ("Paid", None, False)
    assert utc(mid["date_invoice_paid"]) == datetime(2026, 1, 20, tzinfo=UTC)
    assert (old["fleetrock_status"], old["status"], old["open"]) == ("Finished", None, False)
    assert utc(old["date_created"]) == datetime(2026, 1, 2, 9, 15, tzinfo=UTC)  # the integration's zone: UTC
    assert utc(old["date_started"]) == datetime(2026, 1, 2, 10, tzinfo=UTC)
    assert utc(old["date_finished"]) == datetime(2026, 1, 3, 16, 30, tzinfo=UTC)
    assert (old["priority"], old["vendor_name"], old["customer_name"], old["group"], old["custom_asset_id"],
            old["unit_number"], old["unit_type"]) == ("1", "Harbor Shop", "Acme", "East", "C-9", "T-1", "Truck")
    assert (old["odometer_miles"], old["engine_hours"]) == (182_340, 6120)
    assert old["tasks"] == [{"task_id": "T1", "description": "Brake inspection", "labor_hours": 1.5,
                             "labor_rate": 120, "labor_total": None, "scheduled_maintenance_id": "SM-3",
                             "parts": [{"part_number": "BP-1", "description": "Pads", "quantity": 2,
                                        "unit_price": 45.1, "total": None}], "parts_omitted": 0}]
    assert old["notes"] == [
        {"text": "Driver reports pulling left", "author": "Sam", "created_at": "2026-01-02T09:20:00Z"},
        {"text": "Bad date kept, date left out", "author": None, "created_at": None}]
    assert (old["tasks_omitted"], old["notes_omitted"]) == (0, 0)
    assert "internal_field" not in old and "mystery" not in json.dumps(old)  # unknown fields stay out

    trailer_events = events(admin, trailer["asset_id"])["items"]
    assert [e["ro_id"] for e in trailer_events] == ["RO-TRAILER"]


def test_pages_walk_the_whole_history_newest_first(fleet, stream):
    admin, truck, trailer, integration_id, secret = fleet
    for day in range(1, 6):
        send(integration_id, secret, "repair_order.updated",
             repair_order(f"RO-{day}", truck["vin"], "Finished" if day < 5 else "Waiting", f"03/0{day}/2026"))
    stream.drain()
    seen, cursor, pages = [], None, 0
    while True:
        page = events(admin, truck["asset_id"], limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        seen += [e["ro_id"] for e in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["RO-5", "RO-4", "RO-3", "RO-2", "RO-1"] and pages in (3, 4)
    first = events(admin, truck["asset_id"], limit=2)
    other = call_api("GET", f"/assets/{trailer['asset_id']}/events", as_user=admin,
                     query={"cursor": first["next_cursor"]})
    assert other.status == 422  # a cursor of another asset's history
    assert call_api("GET", f"/assets/{truck['asset_id']}/events", as_user=admin, query={"limit": 0}).status == 422


def test_only_the_fleets_own_asset_and_only_roles_that_read_assets(fleet, stream):
    admin, truck, _, integration_id, secret = fleet
    send(integration_id, secret, "repair_order.updated", repair_order("RO-1", truck["vin"], "In Progress"))
    stream.drain()
    other_fleet = sign_up("fleet", name="Other Freight")
    r = call_api("GET", f"/assets/{truck['asset_id']}/events", as_user=other_fleet)
    assert r.status == 404  # another fleet's asset is not there for them
    assert call_api("GET", "/assets/ast_nope/events", as_user=admin).status == 404
    vendor = sign_up("vendor", name="Harbor Shop")
    assert call_api("GET", f"/assets/{truck['asset_id']}/events", as_user=vendor).status == 403
    assert call_api("GET", f"/assets/{truck['asset_id']}/events").status == 401


def test_orders_that_arrived_before_their_asset_show_once_it_exists(fleet, stream):
    admin, _, _, integration_id, secret = fleet
    vin = make_vin()
    send(integration_id, secret, "repair_order.updated", repair_order("RO-EARLY", vin, "In Progress", "04/01/2026"))
    send(integration_id, secret, "repair_order.updated", repair_order("RO-DONE", vin, "Invoiced", "03/01/2026"))
    stream.drain()
    truck = create_asset(admin, unit_number="T-9", vin=vin)
    stream.drain()
    items = events(admin, truck["asset_id"])["items"]
    assert [(e["ro_id"], e["status"]) for e in items] == [("RO-EARLY", "in_shop"), ("RO-DONE", None)]
    assert call_api("GET", f"/assets/{truck['asset_id']}", as_user=admin).json()["status"] == "in_shop"
    # deleted (inactive), the asset keeps its history
    assert call_api("DELETE", f"/assets/{truck['asset_id']}", as_user=admin).status in (200, 204)
    stream.drain()
    assert [e["ro_id"] for e in events(admin, truck["asset_id"])["items"]] == ["RO-EARLY", "RO-DONE"]


def test_a_huge_order_is_bounded_and_says_what_it_left_out(fleet, stream):
    admin, truck, _, integration_id, secret = fleet
    # under the webhook's 1 MB (the same order goes in the body too); far over what an item may hold
    tasks = [{"id": f"T{n}", "description": f"task {n} " + "é" * 600, "labor_hours": 1, "secret": "x" * 50,
              "parts": [{"part_number": f"P{n}-{p}", "description": "part " + "x" * 210} for p in range(14)]}
             for n in range(80)]
    notes = [{"note": f"note {n} " + "n" * 1100, "author": "a" * 210} for n in range(70)]
    r = send(integration_id, secret, "repair_order.updated",
             repair_order("RO-HUGE", truck["vin"], "In Progress", tasks=tasks, notes=notes))
    assert r.status == 202, r.body
    stream.drain()
    assert stream.dead_letters == []
    [event] = events(admin, truck["asset_id"])["items"]
    assert 0 < len(event["tasks"]) <= history.MAX_TASKS and 0 < len(event["notes"]) <= history.MAX_NOTES
    assert event["tasks_omitted"] == 80 - len(event["tasks"]) > 0
    assert event["notes_omitted"] == 70 - len(event["notes"]) > 0
    assert [t["task_id"] for t in event["tasks"]] == [f"T{n}" for n in range(len(event["tasks"]))]  # in order
    for task in event["tasks"]:
        assert len(task["description"]) == history.TASK_TEXT_MAX and "secret" not in task
        assert (len(task["parts"]), task["parts_omitted"]) == (history.MAX_PARTS, 4)
        assert all(len(p["description"]) == history.TEXT_MAX for p in task["parts"])
    assert all(len(n["text"]) == history.NOTE_TEXT_MAX and len(n["author"]) == history.TEXT_MAX
               for n in event["notes"])
    stored = RepairOrderItem.get(f"FLEETROCK#{integration_id}#RO", "RO-HUGE")
    assert len(json.dumps(stored.tasks)) <= history.TASKS_MAX_BYTES
    assert len(json.dumps(stored.notes)) <= history.NOTES_MAX_BYTES
    assert len(json.dumps(stored.serialize())) < 150_000  # far under DynamoDB's 400 KB


def test_describe_reads_dates_in_the_integrations_zone_and_refuses_one_it_cannot_read():
    item = RepairOrderItem("FLEETROCK#int_x#RO", "RO-1", integration_id="int_x", org_id="org_x", ro_id="RO-1",
                           status="Finished", as_of=datetime(2026, 7, 1, tzinfo=UTC), vin="1FUVIN")
    history.describe(item, {"date_created": "07/04/2026 01:30 PM", "date_finished": "2026-07-05",
                            "odometer_miles": "-5", "engine_hours": "n/a", "tasks": "not a list",
                            "notes": ["a plain note", 42, {"text": ""}]}, "America/New_York")
    assert item.date_created == datetime(2026, 7, 4, 17, 30, tzinfo=UTC)
    assert item.date_finished == datetime(2026, 7, 5, 4, tzinfo=UTC)
    assert (item.odometer_miles, item.engine_hours, item.tasks, item.tasks_omitted) == (None, None, [], 0)
    assert (item.notes, item.notes_omitted) == ([{"text": "a plain note"}], 2)
    history.index_asset(item)
    assert (item.gsi3pk, item.gsi3sk) == ("ORG#org_x#ROVIN#1FUVIN", "2026-07-04T17:30:00.000000Z#RO-1")
    history.describe(item, {"tasks": [{"description": f"oil {n}"} for n in range(60)]}, None)
    assert (len(item.tasks), item.tasks_omitted) == (history.MAX_TASKS, 10)  # the count cap
    history.index_asset(item)
    assert item.gsi3sk == "2026-07-01T00:00:00.000000Z#RO-1"  # no date_created: when we read it
    item.vin = None
    history.index_asset(item)
    assert item.gsi3pk is None and item.gsi3sk is None
    with pytest.raises(FleetrockDateError, match="date_started"):
        history.describe(item, {"date_started": "13/45/2026"}, None)
