"""Scheduled maintenance as Fleetrock models it (intervals, status, last service), through the public surface:
signed webhooks, the stream processor, the dispatch list, the morning refresh and the integration's PATCH."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from dev.fleetrock_standin import us_time
from shared.fleetrock.inbox import sources_dal
from shared.fleetrock.inbox.causes import commit
from shared.fleetrock.inbox.models import RepairOrderItem
from shared.maintenance import dal as maintenance_dal
from shared.maintenance.models import Meters
from shared.maintenance.rules import today_eastern
from tests.conftest import call_api
from tests.factories import Caller, create_asset, sign_up
from tests.fleetrock_support import active_integration, dispatch, repair_order, send
from tests.refresh_support import five_am, refreshes, scheduled

pytestmark = pytest.mark.usefixtures("dynamodb")


@pytest.fixture
def fleet(fleetrock):
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-1")
    integration_id, secret = active_integration(admin, fleetrock)
    return admin, truck, integration_id, secret


def item(sm_id: str, vin: str, **fields: Any) -> dict[str, Any]:
    """A scheduled maintenance item with Fleetrock's fields (contract.SM_FIELDS)."""
    return {"id": sm_id, "vin": vin, "unit_number": "T-1", "service": "PM A", "status": "Scheduled",
            "recurring": True, "interval_days": 0, "interval_miles": 0, "interval_engine_hours": 0,
            "last_service_date": None, "last_service_miles": None, "last_service_engine_hours": None,
            "became_due_datetime": None, "ro_number": None, **fields}


def days_ago(n: int) -> str:
    return (today_eastern() - timedelta(days=n)).isoformat()


def seen(admin: Caller, truck: dict[str, Any]) -> dict[str, Any]:
    return dispatch(admin)[truck["asset_id"]]


def statuses(admin: Caller, truck: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["source_id"], s["status"]) for s in seen(admin, truck)["statuses"]]


def events(admin: Caller, integration_id: str) -> dict[str, dict[str, Any]]:
    r = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin)
    return {e["event_id"]: e for e in r.json()["items"]}


def read_meters(admin: Caller, integration_id: str, asset_id: str, ro_id: str, at: datetime,
                miles: float | None = None, hours: float | None = None) -> None:
    """What repair_orders.py does with a repair order's odometer and engine hours: commit(meters=...)."""
    stored = sources_dal.get_repair_order(integration_id, ro_id) or RepairOrderItem(
        sources_dal.ro_partition(integration_id), ro_id, integration_id=integration_id, org_id=admin.org_id,
        ro_id=ro_id)
    stored.status, stored.as_of, stored.asset_id = "Finished", at, asset_id
    assert commit(admin.org_id, stored, None, None, asset_id, None,
                  meters=Meters(odometer_miles=miles, engine_hours=hours, at=at))


def test_a_mileage_item_turns_upcoming_then_overdue_as_the_odometer_rises(fleet, stream):
    admin, truck, integration_id, secret = fleet
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [item(
        "SM-1", truck["vin"], interval_miles=25_000, last_service_miles=100_000, last_service_date=days_ago(30))]})
    stream.drain()
    assert seen(admin, truck)["maintenance_status"] is None  # no odometer read yet: nothing due
    t0 = datetime.now(UTC) - timedelta(hours=3)
    read_meters(admin, integration_id, truck["asset_id"], "RO-1", t0, miles=110_000, hours=4_000)
    assert (seen(admin, truck)["maintenance_status"], seen(admin, truck)["odometer_miles"]) == (None, 110_000)
    read_meters(admin, integration_id, truck["asset_id"], "RO-2", t0 + timedelta(hours=1), miles=124_200)
    view = seen(admin, truck)
    assert view["maintenance_status"] == "upcoming" and view["engine_hours"] == 4_000  # a meter it lacked kept
    [cause] = view["statuses"]
    assert (cause["due_miles"], cause["upcoming_from_miles"]) == (125_000, 124_000)
    # an older reading (a late repair order) does not lower the odometer
    read_meters(admin, integration_id, truck["asset_id"], "RO-0", t0 - timedelta(days=2), miles=90_000)
    assert seen(admin, truck)["odometer_miles"] == 124_200
    read_meters(admin, integration_id, truck["asset_id"], "RO-3", t0 + timedelta(hours=2), miles=125_300)
    assert statuses(admin, truck) == [("SM-1", "overdue")]
    check = call_api("POST", "/dispatch/check", as_user=admin, json_body={"truck_id": truck["asset_id"]}).json()
    assert "due 125,000 mi" in check["warnings"][0]["message"]
    # serviced at 125,400: recurring, so next due at 150,400
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [item(
        "SM-1", truck["vin"], interval_miles=25_000, last_service_miles=125_400, last_service_date=days_ago(0))]})
    stream.drain()
    assert seen(admin, truck)["maintenance_status"] is None
    assert stream.dead_letters == []


def test_repair_orders_raise_the_odometer_and_the_item_turns_upcoming_then_overdue(fleet, stream):
    """Through webhooks: repair_orders.py passes each order's odometer_miles / engine_hours to commit."""
    admin, truck, integration_id, secret = fleet
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [item(
        "SM-1", truck["vin"], interval_miles=25_000, last_service_miles=100_000, interval_engine_hours=500,
        last_service_engine_hours=5_000, last_service_date=days_ago(30))]})
    t0 = datetime.now(UTC) - timedelta(hours=5)
    for n, (miles, hours, expected) in enumerate([(110_000, 5_100, None), (124_200, 5_200, "upcoming"),
                                                  (125_300, 5_300, "overdue")]):
        send(integration_id, secret, "repair_order.updated", repair_order(
            f"RO-{n}", truck["vin"], "Finished", odometer_miles=f"{miles:,}", engine_hours=hours,
            date_finished=us_time(t0 + timedelta(hours=n))))
        stream.drain()
        view = seen(admin, truck)
        assert (view["odometer_miles"], view["engine_hours"], view["maintenance_status"]) == (miles, hours, expected)
    # engine hours alone: Upcoming from 5,450, Overdue past 5,500
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [item(
        "SM-1", truck["vin"], interval_engine_hours=500, last_service_engine_hours=5_000,
        last_service_date=days_ago(29))]})
    stream.drain()
    assert seen(admin, truck)["maintenance_status"] is None
    send(integration_id, secret, "repair_order.updated", repair_order(
        "RO-9", truck["vin"], "In Progress", engine_hours=5_460, date_started=us_time(t0 + timedelta(hours=4))))
    stream.drain()
    assert statuses(admin, truck) == [("RO-9", "in_shop"), ("SM-1", "upcoming")]
    assert stream.dead_letters == []


def test_a_day_based_item_turns_upcoming_then_overdue_by_the_morning_refresh(fleet, stream):
    admin, truck, integration_id, secret = fleet
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [item(
        "SM-D", truck["vin"], service="Annual DOT inspection", interval_days=30, last_service_date=days_ago(10))]})
    stream.drain()
    assert seen(admin, truck)["maintenance_status"] is None  # due in 20 days
    [cause] = maintenance_dal.get_asset_maintenance(admin.org_id, truck["asset_id"]).causes.values()  # type: ignore[union-attr]
    assert cause["status"] is None and cause["due_date"] == (today_eastern() + timedelta(days=20)).isoformat()

    scheduled(five_am(7))  # due in 13 days: almost due
    stream.drain()
    stored = maintenance_dal.get_asset_maintenance(admin.org_id, truck["asset_id"])
    assert stored is not None and stored.top_status == "upcoming"
    scheduled(five_am(21))  # a day past it
    stream.drain()
    stored = maintenance_dal.get_asset_maintenance(admin.org_id, truck["asset_id"])
    assert stored is not None and stored.top_status == "overdue" and stored.computed_at == five_am(21)
    assert [t["status"] for t in refreshes(admin, integration_id)] == ["succeeded", "succeeded"]


def test_in_status_repair_order_the_item_counts_through_its_order(fleet, stream):
    admin, truck, integration_id, secret = fleet
    overdue = item("SM-2", truck["vin"], interval_days=30, last_service_date=days_ago(40))
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [overdue]})
    stream.drain()
    assert statuses(admin, truck) == [("SM-2", "overdue")]
    send(integration_id, secret, "repair_order.updated", repair_order("RO-9", truck["vin"], "In Progress"))
    send(integration_id, secret, "scheduled_maintenance.updated",
         {"items": [{**overdue, "status": "Repair Order", "ro_number": "RO-9"}]})
    stream.drain()
    assert statuses(admin, truck) == [("RO-9", "in_shop")]
    stored = sources_dal.get_maintenance_item(integration_id, "SM-2")
    assert stored is not None and (stored.state, stored.ro_number) == ("Repair Order", "RO-9")
    # the order done, Fleetrock schedules the item again from that service
    send(integration_id, secret, "repair_order.updated", repair_order("RO-9", truck["vin"], "Finished"))
    send(integration_id, secret, "scheduled_maintenance.updated",
         {"items": [{**overdue, "last_service_date": days_ago(0)}]})
    stream.drain()
    assert statuses(admin, truck) == []
    assert seen(admin, truck)["asset_status"] == "active"


def test_a_deleted_item_is_removed(fleet, stream):
    admin, truck, integration_id, secret = fleet
    due = item("SM-3", truck["vin"], interval_days=30, last_service_date=days_ago(40))
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [due]})
    stream.drain()
    assert statuses(admin, truck) == [("SM-3", "overdue")]
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [{**due, "status": "Deleted"}]})
    stream.drain()
    assert statuses(admin, truck) == []
    assert maintenance_dal.get_asset_maintenance(admin.org_id, truck["asset_id"]).causes == {}  # type: ignore[union-attr]


def test_a_replayed_older_body_does_not_regress_the_item(fleet, stream):
    admin, truck, integration_id, secret = fleet
    old = item("SM-4", truck["vin"], interval_days=30, last_service_date=days_ago(40))
    new = {**old, "last_service_date": days_ago(1)}
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [old]}, event_id="evt-old")
    stream.drain()
    assert statuses(admin, truck) == [("SM-4", "overdue")]
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [new]})
    stream.drain()
    assert statuses(admin, truck) == []
    # the old body again, sent now (a late retry): its last service is older, so it changes nothing
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [old]})
    # the same last service, sent before the body we hold: older too
    earlier = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [{**new, "status": "Deleted"}]},
         sent_at=earlier)
    stream.drain()
    assert statuses(admin, truck) == []
    stored = sources_dal.get_maintenance_item(integration_id, "SM-4")
    assert stored is not None and (stored.state, stored.last_service_date) == ("Scheduled", days_ago(1))
    # the same last service sent later does apply
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [{**new, "status": "Deleted"}]})
    stream.drain()
    assert sources_dal.get_maintenance_item(integration_id, "SM-4").state == "Deleted"  # type: ignore[union-attr]
    assert all(e["status"] == "applied" for e in events(admin, integration_id).values())


def test_a_one_time_item_is_due_once(fleet, stream):
    admin, truck, integration_id, secret = fleet
    once = item("SM-5", truck["vin"], recurring="false", last_service_date="01/02/2026",  # US form
                became_due_datetime=f"{days_ago(3)}T09:00:00")
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [once]})
    stream.drain()
    assert statuses(admin, truck) == [("SM-5", "overdue")]
    send(integration_id, secret, "scheduled_maintenance.updated",
         {"items": [{**once, "last_service_date": days_ago(0)}]})
    stream.drain()
    assert statuses(admin, truck) == []  # serviced since it became due: done, not due again


def test_thresholds_are_the_fleets_and_a_patch_moves_them(fleet, stream):
    admin, truck, integration_id, secret = fleet
    integration = call_api("GET", f"/integrations/{integration_id}", as_user=admin).json()
    assert (integration["almost_due_days"], integration["almost_due_miles"],
            integration["almost_due_engine_hours"]) == (14, 1000, 50)
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [
        item("SM-6", truck["vin"], interval_days=30, last_service_date=days_ago(10))]})  # due in 20 days
    stream.drain()
    assert statuses(admin, truck) == []
    for bad in ({"almost_due_days": 366}, {"almost_due_miles": -1}, {"almost_due_engine_hours": "many"}):
        r = call_api("PATCH", f"/integrations/{integration_id}", as_user=admin,
                     json_body={"version": integration["version"], **bad})
        assert r.status == 422, (bad, r.body)
    r = call_api("PATCH", f"/integrations/{integration_id}", as_user=admin,
                 json_body={"version": integration["version"], "almost_due_days": 30, "almost_due_miles": 2500})
    assert r.status == 200, r.body
    assert (r.json()["almost_due_days"], r.json()["almost_due_miles"], r.json()["almost_due_engine_hours"]) == (
        30, 2500, 50)
    # an item applied from now on uses them at once
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [
        item("SM-7", truck["vin"], interval_days=30, last_service_date=days_ago(5))]})  # due in 25 days
    stream.drain()
    assert statuses(admin, truck) == [("SM-7", "upcoming")]
    # the ones stored before: the morning refresh derives their upcoming-from points anew
    scheduled(five_am(1))
    stream.drain()
    assert sorted(statuses(admin, truck)) == [("SM-6", "upcoming"), ("SM-7", "upcoming")]
    [cause] = [c for c in seen(admin, truck)["statuses"] if c["source_id"] == "SM-6"]
    due = date.fromisoformat(cause["due_date"])
    assert date.fromisoformat(cause["upcoming_from_date"]) == due - timedelta(days=30)


@pytest.mark.parametrize(("fields", "named"), [
    ({"last_service_date": "13/45/2026"}, ("last_service_date", "13/45/2026")),
    ({"became_due_datetime": "soon"}, ("became_due_datetime", "soon")),
    ({"interval_miles": "lots"}, ("interval_miles", "lots")),
    ({"interval_days": -30}, ("interval_days", "-30")),
    ({"recurring": "sometimes"}, ("recurring", "sometimes")),
    ({"status": "Postponed"}, ("status", "Postponed")),
])
def test_a_value_we_cannot_read_fails_the_event_naming_it(fleet, stream, fields, named):
    admin, truck, integration_id, secret = fleet
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [
        item("SM-8", truck["vin"], **{"interval_days": 30, "last_service_date": days_ago(40), **fields})]},
         event_id="evt-bad")
    stream.drain()
    failed = events(admin, integration_id)["evt-bad"]
    assert failed["status"] == "failed" and all(n in failed["last_error"] for n in named), failed
    assert len(stream.dead_letters) == 1 and statuses(admin, truck) == []


def test_our_own_states_keep_working_beside_fleetrocks(fleet, stream):
    admin, truck, integration_id, secret = fleet
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [
        {"id": "SM-OLD", "vin": truck["vin"], "service": "PM B", "state": "almost_due", "due_date": "2099-01-01"},
        item("SM-NEW", truck["vin"], interval_days=30, last_service_date=days_ago(40)),
    ]})
    stream.drain()
    assert statuses(admin, truck) == [("SM-NEW", "overdue"), ("SM-OLD", "upcoming")]


def test_a_pipelines_column_names_and_no_status_are_read_as_fleetrocks(fleet, stream):
    """docs/fleetrock-contract.md S9: `scheduled_days`, `is_recurring`, `start_date`, no status, `ro_number` 0."""
    admin, truck, integration_id, secret = fleet
    pipeline_item = {"id": "SM-P", "vin": truck["vin"], "unit_number": "T-1", "scheduled_days": 30,
                     "is_recurring": 1, "start_date": days_ago(25), "ro_number": 0}
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [pipeline_item]}, event_id="evt-p1")
    stream.drain()
    assert events(admin, integration_id)["evt-p1"]["status"] == "applied"
    assert statuses(admin, truck) == [("SM-P", "upcoming")]  # due in 5 days: within 14
    on_order = {**pipeline_item, "ro_number": "RO-77"}  # an order names it: that order is the cause
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [on_order]}, event_id="evt-p2")
    stream.drain()
    assert statuses(admin, truck) == []
