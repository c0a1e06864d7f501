"""Repair orders and maintenance for a VIN no asset has yet: the asset gets them when it appears."""

from __future__ import annotations

import pytest

from tests.conftest import call_api
from tests.factories import create_asset, make_vin, sign_up
from tests.fleetrock_support import active_integration, dispatch, repair_order, send
from tests.world import dump_table

pytestmark = pytest.mark.usefixtures("dynamodb")


def update_ro(integration_id: str, secret: str, ro_id: str, vin: str, status: str, updated: str) -> None:
    r = send(integration_id, secret, "repair_order.updated", repair_order(ro_id, vin, status, updated))
    assert r.status == 202, r.body


@pytest.fixture
def fleet(fleetrock):
    admin = sign_up("fleet")
    create_asset(admin, unit_number="T-0")  # the integration needs no asset, but a fleet has some
    integration_id, secret = active_integration(admin, fleetrock)
    return admin, integration_id, secret


def test_an_open_repair_order_puts_a_truck_created_later_in_shop(fleet, stream):
    admin, integration_id, secret = fleet
    vin = make_vin()
    update_ro(integration_id, secret, "RO-1", vin, "In Progress", "2026-02-01 10:00:00")
    stream.drain()
    assert stream.dead_letters == []

    truck = create_asset(admin, unit_number="T-NEW", vin=vin)
    stream.drain()
    seen = dispatch(admin)[truck["asset_id"]]
    assert seen["maintenance_status"] == "in_shop" and seen["asset_status"] == "in_shop"
    assert [s["source_id"] for s in seen["statuses"]] == ["RO-1"]
    # the next event about it applies as usual: the repair order is now the truck's
    update_ro(integration_id, secret, "RO-1", vin, "Finished", "2026-02-02 10:00:00")
    stream.drain()
    seen = dispatch(admin)[truck["asset_id"]]
    assert seen["maintenance_status"] is None and seen["asset_status"] == "active"


def test_scheduled_maintenance_waits_for_its_vin_too(fleet, stream):
    admin, integration_id, secret = fleet
    vin = make_vin()
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [
        {"id": "SM-1", "vin": vin, "service": "DOT", "state": "overdue", "due_date": "2026-01-01"}]})
    stream.drain()
    trailer = create_asset(admin, unit_number="TR-NEW", kind="trailer", vin=vin)
    stream.drain()
    seen = dispatch(admin)[trailer["asset_id"]]
    assert seen["maintenance_status"] == "overdue" and seen["asset_status"] == "active"


def test_a_repair_order_closed_before_the_asset_appears_gives_it_nothing(fleet, stream):
    admin, integration_id, secret = fleet
    vin = make_vin()
    update_ro(integration_id, secret, "RO-2", vin, "In Progress", "2026-02-01 10:00:00")
    update_ro(integration_id, secret, "RO-2", vin, "Finished", "2026-02-03 10:00:00")
    stream.drain()
    truck = create_asset(admin, unit_number="T-LATE", vin=vin)
    stream.drain()
    seen = dispatch(admin)[truck["asset_id"]]
    assert seen["maintenance_status"] is None and seen["asset_status"] == "active"


def test_another_fleets_asset_with_the_vin_gets_nothing(fleet, fleetrock, stream):
    admin, integration_id, secret = fleet
    vin = make_vin()
    update_ro(integration_id, secret, "RO-3", vin, "In Progress", "2026-02-01 10:00:00")
    stream.drain()
    other = sign_up("fleet")
    theirs = create_asset(other, unit_number="X-1", vin=vin)  # no integration of theirs sent it
    stream.drain()
    assert dispatch(other)[theirs["asset_id"]]["maintenance_status"] is None
    ours = create_asset(admin, unit_number="T-OURS", vin=vin)
    stream.drain()
    assert dispatch(admin)[ours["asset_id"]]["maintenance_status"] == "in_shop"
    r = call_api("GET", f"/assets/{ours['asset_id']}", as_user=admin)
    assert r.status == 200 and r.json()["status"] == "in_shop"


def waiting_markers(integration_id: str, vin: str) -> list[str]:
    """The sort keys of the table items that say what waits for this VIN (read by key, consistently)."""
    partition = f"FLEETROCK#{integration_id}#WAITING#{vin}"
    return sorted(sk for pk, sk in dump_table() if pk == partition)


def test_what_waits_for_a_vin_is_marked_by_key_for_exactly_as_long_as_it_waits(fleet, stream):
    """The VIN claim's side finds waiting items by a consistent read of the table's own key (an index
    could lag in AWS, and an asset and an event arriving at once could miss each other): the marker is
    written and removed in the transactions that change the repair order or maintenance item."""
    admin, integration_id, secret = fleet
    vin, closed_vin = make_vin(), make_vin()
    update_ro(integration_id, secret, "RO-W", vin, "In Progress", "2026-02-01 10:00:00")
    send(integration_id, secret, "scheduled_maintenance.updated", {"items": [
        {"id": "SM-W", "vin": vin, "service": "DOT", "state": "overdue", "due_date": "2026-01-01"}]})
    update_ro(integration_id, secret, "RO-C", closed_vin, "In Progress", "2026-02-01 10:00:00")
    stream.drain()
    assert waiting_markers(integration_id, vin) == ["RO#RO-W", "SM#SM-W"]
    assert waiting_markers(integration_id, closed_vin) == ["RO#RO-C"]

    update_ro(integration_id, secret, "RO-C", closed_vin, "Finished", "2026-02-02 10:00:00")
    stream.drain()
    assert waiting_markers(integration_id, closed_vin) == [], "no longer a cause: nothing waits"
    truck = create_asset(admin, unit_number="T-W", vin=vin)
    stream.drain()
    assert waiting_markers(integration_id, vin) == [], "attached: nothing waits"
    seen = dispatch(admin)[truck["asset_id"]]
    assert sorted(s["source_id"] for s in seen["statuses"]) == ["RO-W", "SM-W"]
