"""`make dev`'s Fleetrock demo: the stand-in's repair order puts a seeded truck In Shop, with its cause."""

from __future__ import annotations

import pytest

from dev import fleetrock_seed
from dev.seed import seed_demo
from shared.auth.principal import Role
from tests.fleetrock_support import dispatch


@pytest.fixture
def demo(fleetrock, dev_server):
    fleetrock_seed.use(fleetrock, api_url=dev_server.url)
    yield fleetrock_seed.DEMO
    fleetrock_seed.DEMO.clear()


def test_seeded_truck_shows_in_shop_with_the_repair_order_as_cause(demo, stream):
    users = seed_demo()
    stream.drain()
    assert stream.dead_letters == []
    dispatcher = next(u for u in users if u.role is Role.CUSTOMER)
    by_unit = {a["unit_number"]: a for a in dispatch(dispatcher).values()}  # type: ignore[arg-type]
    truck = by_unit[demo["truck"]]
    assert truck["asset_status"] == "in_shop" and truck["maintenance_status"] == "in_shop"
    assert [(c["source_id"], c["detail"]) for c in truck["statuses"]] == [("RO-5001", "In Progress")]
    assert by_unit["T-102"]["maintenance_status"] == "awaiting_service"  # imported at activation
    assert by_unit["TR-201"]["maintenance_status"] == "upcoming"
    # the control endpoint documented in the README sends the next webhook
    standin = demo["standin"]
    standin.put_repair_order({"id": "RO-5001", "vin": demo["vin"], "status": "Finished"})
    standin.notify("repair_order.updated", standin.repair_orders["RO-5001"])
    stream.drain()
    truck = {a["unit_number"]: a for a in dispatch(dispatcher).values()}[demo["truck"]]  # type: ignore[arg-type]
    assert truck["asset_status"] == "active" and truck["maintenance_status"] is None
