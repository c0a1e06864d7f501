"""Another organization's objects: 404 on every route that names them, absent from every list."""

from __future__ import annotations

import pytest

from tests.conftest import call_api
from tests.factories import add_user, create_asset, create_group, make_vin, sign_up
from tests.routes import all_routes

pytestmark = pytest.mark.usefixtures("dynamodb")


def test_foreign_ids_are_404_and_change_nothing():
    owner = sign_up("fleet", "Owner Fleet")
    owner_user = add_user(owner, "customer")
    asset = create_asset(owner)
    group = create_group(owner, asset_ids=[asset["asset_id"]])
    intruder = sign_up("fleet", "Intruder Fleet")
    intruder_asset = create_asset(intruder)

    def snapshot():
        return [call_api("GET", p, as_user=owner).body for p in (
            f"/organizations/{owner.org_id}", f"/assets/{asset['asset_id']}", f"/groups/{group['group_id']}",
            f"/groups/{group['group_id']}/assets", f"/users/{owner_user.user_id}", "/users", "/assets", "/groups")]

    before = snapshot()
    bodies = {
        "PATCH": {"version": 1, "name": "Pwned"},
        "POST": None,
    }
    routes_with_ids = [r for r in all_routes() if "<" in r.path]
    assert routes_with_ids, "the sweep must cover routes with ids"
    for route in routes_with_ids:
        path = (route.path.replace("<org_id>", owner.org_id).replace("<user_id>", owner_user.user_id)
                .replace("<asset_id>", asset["asset_id"]).replace("<group_id>", group["group_id"]))
        body = bodies.get(route.method)
        if route.path == "/assets/<asset_id>" and route.method == "PATCH":
            body = {"version": 1, "unit_number": "Pwned"}
        r = call_api(route.method, path, as_user=intruder, json_body=body)
        assert r.status == 404, (route, r.body)
        assert "Owner Fleet" not in r.body and asset["vin"] not in r.body and str(owner_user.email) not in r.body
        # the intruder's own asset in the owner's group is refused too
        if route.path == "/groups/<group_id>/assets/<asset_id>":
            r = call_api(route.method, path.replace(asset["asset_id"], intruder_asset["asset_id"]), as_user=intruder)
            assert r.status == 404
    assert snapshot() == before


def test_lists_hold_only_the_callers_data():
    owner, intruder = sign_up("fleet", "Owner"), sign_up("fleet", "Intruder")
    create_asset(owner)
    create_group(owner)
    add_user(owner, "manager")
    for path in ("/assets", "/groups", "/users", "/audit"):
        r = call_api("GET", path, as_user=intruder)
        assert r.status == 200
        assert owner.org_id not in r.body, path


def test_owner_cannot_put_a_foreign_asset_in_its_group():
    owner, other = sign_up("fleet", "Owner"), sign_up("fleet", "Other")
    group = create_group(owner)
    foreign = create_asset(other)
    r = call_api("PUT", f"/groups/{group['group_id']}/assets/{foreign['asset_id']}", as_user=owner)
    assert r.status == 404
    r = call_api("POST", "/assets", as_user=other,
                 json_body={"unit_number": "x", "kind": "truck", "vin": make_vin(), "group_ids": [group["group_id"]]})
    assert r.status == 422
