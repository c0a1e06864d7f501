"""Assets through the assets handler: create, read, list, update, delete, reactivate, races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.assets.logic import create_asset as create_asset_logic
from shared.assets.models import AssetCreate
from shared.auth.principal import Principal, Role
from shared.errors import Conflict
from tests.conftest import call_api
from tests.factories import create_asset, create_group, make_vin, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")


@pytest.fixture
def admin():
    return sign_up("fleet")


def test_create_and_get_asset(admin):
    vin = make_vin()
    r = call_api(
        "POST",
        "/assets",
        as_user=admin,
        json_body={
            "unit_number": "T-100",
            "kind": "truck",
            "vin": vin.lower(),
            "license_number": "abc123",
            "license_state": "ny",
            "license_expiration": "2027-05-31",
        },
    )
    assert r.status == 201, r.body
    asset = r.json()
    assert asset["vin"] == vin and asset["status"] == "active" and asset["version"] == 1
    assert asset["license_number"] == "ABC123" and asset["license_state"] == "NY"
    got = call_api("GET", f"/assets/{asset['asset_id']}", as_user=admin)
    assert got.status == 200 and got.json() == asset


@pytest.mark.parametrize(
    ("vin", "message"),
    [("1M8GDM9AXKP04278", "17 characters"), ("1M8GDM9AXKP04278Q", "I, O or Q"), ("1M8GDM9A1KP042788", "check digit")],
)
def test_invalid_vin_is_422_naming_the_field(admin, vin, message):
    r = call_api("POST", "/assets", as_user=admin, json_body={"unit_number": "T1", "kind": "truck", "vin": vin})
    assert r.status == 422
    detail = r.json()["error"]["details"][0]
    assert detail["field"] == "vin" and message in detail["message"]


def test_vin_unique_among_active_assets(admin):
    first = create_asset(admin)
    r = call_api(
        "POST", "/assets", as_user=admin, json_body={"unit_number": "X", "kind": "trailer", "vin": first["vin"]}
    )
    assert r.status == 409
    assert first["asset_id"] in r.json()["error"]["message"]


def test_same_vin_in_two_fleets_is_fine(admin):
    other = sign_up("fleet", "Other Fleet")
    vin = make_vin()
    create_asset(admin, vin=vin)
    create_asset(other, vin=vin)


def test_delete_makes_inactive_and_recreate_reactivates(admin):
    group = create_group(admin)
    asset = create_asset(admin, group_ids=[group["group_id"]])
    assert call_api("DELETE", f"/assets/{asset['asset_id']}", as_user=admin).status == 204
    assert call_api("DELETE", f"/assets/{asset['asset_id']}", as_user=admin).status == 204  # idempotent
    gone = call_api("GET", f"/assets/{asset['asset_id']}", as_user=admin).json()
    assert gone["status"] == "inactive"
    inactive = call_api("GET", "/assets", as_user=admin, query={"status": "inactive"}).json()["items"]
    assert [a["asset_id"] for a in inactive] == [asset["asset_id"]]
    assert call_api("GET", "/assets", as_user=admin, query={"status": "active"}).json()["items"] == []

    r = call_api(
        "POST", "/assets", as_user=admin, json_body={"unit_number": "T-new", "kind": "truck", "vin": asset["vin"]}
    )
    assert r.status == 200, r.body
    back = r.json()
    assert back["asset_id"] == asset["asset_id"] and back["status"] == "active" and back["unit_number"] == "T-new"
    assert back["group_ids"] == []  # the re-create's body says which groups it is in now
    members = call_api("GET", f"/groups/{group['group_id']}/assets", as_user=admin).json()["items"]
    assert members == []
    # and the VIN is taken again
    r = call_api(
        "POST", "/assets", as_user=admin, json_body={"unit_number": "dup", "kind": "truck", "vin": asset["vin"]}
    )
    assert r.status == 409


def test_update_is_versioned(admin):
    asset = create_asset(admin)
    path = f"/assets/{asset['asset_id']}"
    r = call_api("PATCH", path, as_user=admin, json_body={"version": 1, "status": "in_shop", "license_number": "Z1"})
    assert r.status == 200, r.body
    assert r.json()["status"] == "in_shop" and r.json()["version"] == 2
    stale = call_api("PATCH", path, as_user=admin, json_body={"version": 1, "unit_number": "lost"})
    assert stale.status == 409 and "version 2" in stale.json()["error"]["message"]
    assert call_api("GET", path, as_user=admin).json()["unit_number"] == asset["unit_number"]


def test_a_patch_cannot_take_the_vin_of_an_inactive_asset_which_recreating_reactivates(admin):
    gone, other = create_asset(admin), create_asset(admin)
    assert call_api("DELETE", f"/assets/{gone['asset_id']}", as_user=admin).status == 204
    r = call_api("PATCH", f"/assets/{other['asset_id']}", as_user=admin,
                 json_body={"version": other["version"], "vin": gone["vin"]})
    assert r.status == 409 and gone["asset_id"] in r.json()["error"]["message"], r.body
    r = call_api("POST", "/assets", as_user=admin,
                 json_body={"unit_number": "Back", "kind": "truck", "vin": gone["vin"]})
    assert r.status == 200 and r.json()["asset_id"] == gone["asset_id"]  # the VIN still leads to its asset
    r = call_api("PATCH", f"/assets/{other['asset_id']}", as_user=admin,
                 json_body={"version": other["version"], "vin": gone["vin"]})
    assert r.status == 409 and "active asset" in r.json()["error"]["message"]


def test_update_rejects_inactive_status_and_nulls(admin):
    asset = create_asset(admin)
    path = f"/assets/{asset['asset_id']}"
    r = call_api("PATCH", path, as_user=admin, json_body={"version": 1, "status": "inactive"})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "status"
    r = call_api("PATCH", path, as_user=admin, json_body={"version": 1, "unit_number": None})
    assert r.status == 422 and "unit_number cannot be null" in r.body
    r = call_api("PATCH", path, as_user=admin, json_body={"version": 1, "license_number": None})
    assert r.status == 200 and r.json()["license_number"] is None


def test_update_vin_moves_the_claim(admin):
    asset = create_asset(admin)
    new_vin = make_vin()
    r = call_api("PATCH", f"/assets/{asset['asset_id']}", as_user=admin, json_body={"version": 1, "vin": new_vin})
    assert r.status == 200 and r.json()["vin"] == new_vin
    create_asset(admin, vin=asset["vin"])  # the old VIN is free
    r = call_api("POST", "/assets", as_user=admin, json_body={"unit_number": "x", "kind": "truck", "vin": new_vin})
    assert r.status == 409
    taken = create_asset(admin)
    r = call_api("PATCH", f"/assets/{asset['asset_id']}", as_user=admin, json_body={"version": 2, "vin": taken["vin"]})
    assert r.status == 409


def test_update_groups_replaces_membership(admin):
    g1, g2 = create_group(admin), create_group(admin)
    asset = create_asset(admin, group_ids=[g1["group_id"]])
    r = call_api(
        "PATCH", f"/assets/{asset['asset_id']}", as_user=admin, json_body={"version": 1, "group_ids": [g2["group_id"]]}
    )
    assert r.status == 200 and r.json()["group_ids"] == [g2["group_id"]]
    assert call_api("GET", f"/groups/{g1['group_id']}/assets", as_user=admin).json()["items"] == []
    members = call_api("GET", f"/groups/{g2['group_id']}/assets", as_user=admin).json()["items"]
    assert [m["asset_id"] for m in members] == [asset["asset_id"]]


def test_unknown_group_is_422(admin):
    r = call_api(
        "POST",
        "/assets",
        as_user=admin,
        json_body={"unit_number": "x", "kind": "truck", "vin": make_vin(), "group_ids": ["grp_nope"]},
    )
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "group_ids"


def test_list_is_paginated_newest_first_and_filtered(admin):
    created = [create_asset(admin, kind="truck" if i % 2 else "trailer") for i in range(5)]
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = call_api("GET", "/assets", as_user=admin, query=query).json()
        seen += [a["asset_id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [a["asset_id"] for a in reversed(created)]
    trucks = call_api("GET", "/assets", as_user=admin, query={"kind": "truck"}).json()["items"]
    assert {a["asset_id"] for a in trucks} == {a["asset_id"] for a in created if a["kind"] == "truck"}


def test_cursor_of_another_list_is_refused(admin):
    for _ in range(3):
        create_asset(admin)
    cursor = call_api("GET", "/assets", as_user=admin, query={"limit": 1}).json()["next_cursor"]
    r = call_api("GET", "/assets", as_user=admin, query={"status": "active", "cursor": cursor})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "cursor"
    other = sign_up("fleet", "Other")
    r = call_api("GET", "/assets", as_user=other, query={"cursor": cursor})
    assert r.status == 422


def test_racing_creates_of_one_vin_one_wins(admin):
    """Real concurrency against DynamoDB Local: the VIN claim's condition lets exactly one through."""
    principal = Principal(user_id=admin.user_id, org_id=admin.org_id, role=Role(admin.role))
    body = AssetCreate(unit_number="race", kind="truck", vin=make_vin())

    def attempt(_: int) -> str:
        try:
            create_asset_logic(principal, body)
            return "won"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count("won") == 1 and outcomes.count("conflict") == 7
    assert len(call_api("GET", "/assets", as_user=admin).json()["items"]) == 1


def test_audit_records_asset_changes(admin):
    asset = create_asset(admin)
    call_api("DELETE", f"/assets/{asset['asset_id']}", as_user=admin)
    events = call_api("GET", "/audit", as_user=admin).json()["items"]
    assert [e["action"] for e in events[:2]] == ["asset.deactivated", "asset.created"]
    assert events[0]["before"]["status"] == "active" and events[0]["after"]["status"] == "inactive"
    assert events[0]["actor_id"] == admin.user_id
