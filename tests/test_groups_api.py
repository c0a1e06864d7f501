"""Asset groups and memberships through the assets handler."""

from __future__ import annotations

import pytest

from tests.conftest import call_api
from tests.factories import create_asset, create_group, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")


@pytest.fixture
def admin():
    return sign_up("fleet")


def member_ids(admin, group_id):
    r = call_api("GET", f"/groups/{group_id}/assets", as_user=admin)
    assert r.status == 200, r.body
    return [a["asset_id"] for a in r.json()["items"]]


def test_create_group_with_assets(admin):
    a1, a2 = create_asset(admin), create_asset(admin)
    group = create_group(admin, "East", asset_ids=[a1["asset_id"], a2["asset_id"]], description="east coast")
    assert sorted(member_ids(admin, group["group_id"])) == sorted([a1["asset_id"], a2["asset_id"]])
    asset = call_api("GET", f"/assets/{a1['asset_id']}", as_user=admin).json()
    assert asset["group_ids"] == [group["group_id"]] and asset["version"] == 2


def test_group_names_unique_per_fleet_ignoring_case(admin):
    create_group(admin, "East")
    r = call_api("POST", "/groups", as_user=admin, json_body={"name": "east"})
    assert r.status == 409 and r.json()["error"]["details"][0]["field"] == "name"
    create_group(sign_up("fleet", "Other"), "East")  # another fleet may


def test_rename_frees_the_old_name(admin):
    group = create_group(admin, "East")
    r = call_api("PATCH", f"/groups/{group['group_id']}", as_user=admin, json_body={"version": 1, "name": "North"})
    assert r.status == 200 and r.json()["name"] == "North"
    create_group(admin, "East")
    r = call_api("PATCH", f"/groups/{group['group_id']}", as_user=admin, json_body={"version": 1, "name": "South"})
    assert r.status == 409


def test_add_and_remove_members(admin):
    group, asset = create_group(admin), create_asset(admin)
    path = f"/groups/{group['group_id']}/assets/{asset['asset_id']}"
    assert call_api("PUT", path, as_user=admin).status == 204
    assert call_api("PUT", path, as_user=admin).status == 204  # idempotent
    assert member_ids(admin, group["group_id"]) == [asset["asset_id"]]
    assert call_api("DELETE", path, as_user=admin).status == 204
    assert call_api("DELETE", path, as_user=admin).status == 404
    assert member_ids(admin, group["group_id"]) == []
    assert call_api("GET", f"/assets/{asset['asset_id']}", as_user=admin).json()["group_ids"] == []
    actions = [e["action"] for e in call_api("GET", "/audit", as_user=admin).json()["items"][:2]]
    assert actions == ["group.asset_removed", "group.asset_added"]


def test_unknown_ids_are_404_or_422(admin):
    group = create_group(admin)
    assert call_api("PUT", f"/groups/{group['group_id']}/assets/ast_nope", as_user=admin).status == 404
    assert call_api("PUT", "/groups/grp_nope/assets/ast_nope", as_user=admin).status == 404
    r = call_api("POST", "/groups", as_user=admin, json_body={"name": "G", "asset_ids": ["ast_nope"]})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "asset_ids"


def test_list_groups_paginated(admin):
    names = [create_group(admin, f"G{i}")["name"] for i in range(3)]
    first = call_api("GET", "/groups", as_user=admin, query={"limit": 2}).json()
    rest = call_api("GET", "/groups", as_user=admin, query={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [g["name"] for g in first["items"] + rest["items"]] == names


def test_delete_group_removes_it_at_once(admin):
    asset = create_asset(admin)
    group = create_group(admin, "Temp", asset_ids=[asset["asset_id"]])
    assert call_api("DELETE", f"/groups/{group['group_id']}", as_user=admin).status == 204
    assert call_api("GET", f"/groups/{group['group_id']}", as_user=admin).status == 404
    create_group(admin, "Temp")  # the name is free again


def test_an_asset_is_in_at_most_25_groups(admin):
    """Its groups must fit one transaction when the asset changes (a PATCH of 101 groups was a 500)."""
    asset = create_asset(admin)
    groups = [create_group(admin, f"G{n}")["group_id"] for n in range(26)]
    for group_id in groups[:25]:
        assert call_api("PUT", f"/groups/{group_id}/assets/{asset['asset_id']}", as_user=admin).status == 204
    r = call_api("PUT", f"/groups/{groups[25]}/assets/{asset['asset_id']}", as_user=admin)
    assert r.status == 409 and "25 groups" in r.json()["error"]["message"]
    r = call_api("POST", "/groups", as_user=admin, json_body={"name": "Another", "asset_ids": [asset["asset_id"]]})
    assert r.status == 409
    current = call_api("GET", f"/assets/{asset['asset_id']}", as_user=admin).json()
    r = call_api("PATCH", f"/assets/{asset['asset_id']}", as_user=admin,
                 json_body={"version": current["version"], "group_ids": []})
    assert r.status == 200 and r.json()["group_ids"] == []

