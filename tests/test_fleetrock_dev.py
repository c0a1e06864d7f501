"""`make dev`'s Fleetrock demo: the stand-in's repair order puts a seeded truck In Shop, with its cause."""

from __future__ import annotations

import httpx
import pytest

from dev import fleetrock_seed
from dev.seed import seed_demo
from shared.auth.principal import Role
from tests.conftest import call_api
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
    assert by_unit["T-102"]["maintenance_status"] == "awaiting_service"  # by its bare webhook
    manager = next(u for u in users if u.role is Role.MANAGER)
    shown = call_api("GET", f"/integrations/{demo['integration_id']}", as_user=manager).json()
    assert (shown["signature_form"], shown["created_lookup"]) == ("X-Signature: base64", "refused")
    samples = call_api("GET", f"/integrations/{demo['integration_id']}/webhook-samples", as_user=manager).json()
    assert "ro_id=RO-5001" in [x["body"] for x in samples["items"]]
    assert by_unit["TR-201"]["maintenance_status"] == "upcoming"
    # the control endpoint documented in the README sends the next webhook
    standin = demo["standin"]
    standin.put_repair_order({"id": "RO-5001", "vin": demo["vin"], "status": "Finished"})
    standin.notify("repair_order.updated", standin.repair_orders["RO-5001"])
    stream.drain()
    truck = {a["unit_number"]: a for a in dispatch(dispatcher).values()}[demo["truck"]]  # type: ignore[arg-type]
    assert truck["asset_status"] == "active" and truck["maintenance_status"] is None


def test_after_a_secret_rotation_the_standin_is_told_the_new_secret_over_its_control_api(demo, stream):
    users = seed_demo()
    stream.drain()
    manager = next(u for u in users if u.role is Role.MANAGER)
    rotated = call_api("POST", f"/integrations/{demo['integration_id']}/webhook-secret", as_user=manager)
    assert rotated.status == 200, rotated.body
    standin = demo["standin"]
    order = standin.put_repair_order({"id": "RO-5001", "vin": demo["vin"], "status": "Finished"})
    assert [status for status, _ in standin.notify("repair_order.updated", order)] == [401]  # the old secret
    r = httpx.post(f"{standin.url}/_standin/webhook_targets",
                   json={"url": demo["webhook_url"], "secret": rotated.json()["webhook_secret"]})
    assert r.status_code == 200
    assert [status for status, _ in standin.notify("repair_order.updated", order)] == [202]
