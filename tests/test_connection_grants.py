"""Group access: a connected vendor sees exactly the assets of the groups granted to it, while granted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import TEST_ENV, call_api
from tests.factories import create_asset, create_group, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")


@pytest.fixture
def setup():
    fleet, vendor = sign_up("fleet", "Acme"), sign_up("vendor", "Shop")
    conn = call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id}).json()
    trucks = [create_asset(fleet) for _ in range(3)]
    east = create_group(fleet, "East", asset_ids=[trucks[0]["asset_id"], trucks[1]["asset_id"]])
    west = create_group(fleet, "West", asset_ids=[trucks[1]["asset_id"], trucks[2]["asset_id"]])
    return fleet, vendor, conn["connection_id"], trucks, east["group_id"], west["group_id"]


def grant(fleet, connection_id, group_ids, version, **extra):
    return call_api("PUT", f"/connections/{connection_id}/groups", as_user=fleet,
                    json_body={"group_ids": group_ids, "version": version, **extra})


def visible(vendor, fleet, **query):
    r = call_api("GET", f"/fleets/{fleet.org_id}/assets", as_user=vendor, query=query)
    return r


def test_only_on_accepted_connections(setup):
    fleet, vendor, cid, _, east, _ = setup
    assert grant(fleet, cid, [east], 0).status == 409
    assert visible(vendor, fleet).status == 404  # not connected (yet): the fleet is not visible


def test_vendor_sees_exactly_granted_groups_each_asset_once(setup):
    fleet, vendor, cid, trucks, east, west = setup
    call_api("POST", f"/connections/{cid}/accept", as_user=vendor)
    assert visible(vendor, fleet).json()["items"] == []  # accepted, nothing granted
    r = grant(fleet, cid, [east], 0)
    assert r.status == 200 and r.json()["group_ids"] == [east] and r.json()["version"] == 1
    ids = {a["asset_id"] for a in visible(vendor, fleet).json()["items"]}
    assert ids == {trucks[0]["asset_id"], trucks[1]["asset_id"]}
    assert set(visible(vendor, fleet).json()["items"][0]) == {
        "asset_id", "unit_number", "kind", "vin", "license_number", "license_state", "status"}

    assert grant(fleet, cid, [east, west], 1).status == 200
    listed = [a["asset_id"] for a in visible(vendor, fleet).json()["items"]]
    assert sorted(listed) == sorted(t["asset_id"] for t in trucks)  # truck 1 is in both: listed once

    seen, cursor = [], None
    while True:
        page = visible(vendor, fleet, limit=1, **({"cursor": cursor} if cursor else {})).json()
        seen += [a["asset_id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(listed)

    assert grant(fleet, cid, [west], 2).status == 200  # removing a group removes access at once
    assert {a["asset_id"] for a in visible(vendor, fleet).json()["items"]} == {
        trucks[1]["asset_id"], trucks[2]["asset_id"]}
    call_api("DELETE", f"/assets/{trucks[2]['asset_id']}", as_user=fleet)
    assert [a["asset_id"] for a in visible(vendor, fleet).json()["items"]] == [trucks[1]["asset_id"]]
    assert call_api("GET", f"/connections/{cid}/groups", as_user=vendor).json()["group_ids"] == [west]


def test_grant_rules(setup):
    fleet, vendor, cid, _, east, _ = setup
    call_api("POST", f"/connections/{cid}/accept", as_user=vendor)
    assert grant(fleet, cid, [east], 5).status == 409  # stale version
    r = grant(fleet, cid, ["grp_other"], 0)
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "group_ids"
    foreign = create_group(sign_up("fleet", "Other"), "Theirs")
    assert grant(fleet, cid, [foreign["group_id"]], 0).status == 422
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    r = grant(fleet, cid, [east], 0, expires_at=past)
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "expires_at"
    assert call_api("PUT", f"/connections/{cid}/groups", as_user=vendor,
                    json_body={"group_ids": [east], "version": 0}).status == 403
    outsider = sign_up("fleet", "Outsider")
    assert grant(outsider, cid, [], 0).status == 404
    assert visible(sign_up("vendor", "Other shop"), fleet).status == 404


def test_expired_grant_ends_access_on_every_read(setup, dynamodb):
    fleet, vendor, cid, _, east, _ = setup
    call_api("POST", f"/connections/{cid}/accept", as_user=vendor)
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert grant(fleet, cid, [east], 0, expires_at=soon).status == 200
    assert len(visible(vendor, fleet).json()["items"]) == 2
    # time passes: the grant's expiry is behind us (DynamoDB's TTL deletes the item later, lazily)
    past = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
    dynamodb.update_item(TableName=TEST_ENV["TABLE_NAME"], Key={"pk": {"S": f"CONN#{cid}"}, "sk": {"S": "GRANT"}},
                         UpdateExpression="SET expires_at = :p", ExpressionAttributeValues={":p": {"S": past}})
    assert visible(vendor, fleet).json()["items"] == []
    assert call_api("GET", f"/connections/{cid}/groups", as_user=fleet).json()["group_ids"] == []
    item = dynamodb.get_item(TableName=TEST_ENV["TABLE_NAME"], Key={"pk": {"S": f"CONN#{cid}"}, "sk": {"S": "GRANT"}})
    assert int(item["Item"]["expires_at_epoch"]["N"]) > 0  # the TTL attribute is set


def test_disconnect_removes_grants_in_the_same_transaction(setup, dynamodb):
    fleet, vendor, cid, _, east, _ = setup
    call_api("POST", f"/connections/{cid}/accept", as_user=vendor)
    grant(fleet, cid, [east], 0)
    assert call_api("POST", f"/connections/{cid}/disconnect", as_user=vendor).status == 200
    assert visible(vendor, fleet).status == 404
    key = {"pk": {"S": f"CONN#{cid}"}, "sk": {"S": "GRANT"}}
    assert "Item" not in dynamodb.get_item(TableName=TEST_ENV["TABLE_NAME"], Key=key, ConsistentRead=True)
    events = call_api("GET", "/audit", as_user=fleet).json()["items"][:2]
    assert [e["action"] for e in events] == ["connection.disconnected", "connection.groups_granted"]
    assert events[0]["before"]["group_ids"] == [east]  # the trail says which groups the vendor lost


def test_deleting_a_granted_group_ends_its_access_at_once_and_the_stream_takes_it_out_of_the_grant(setup, stream):
    fleet, vendor, cid, trucks, east, west = setup
    call_api("POST", f"/connections/{cid}/accept", as_user=vendor)
    assert grant(fleet, cid, [east, west], 0).status == 200
    assert call_api("DELETE", f"/groups/{west}", as_user=fleet).status == 204
    # before the stream has run: the vendor no longer sees the deleted group, nor its assets
    assert {a["asset_id"] for a in visible(vendor, fleet).json()["items"]} == {
        trucks[0]["asset_id"], trucks[1]["asset_id"]}
    shown = call_api("GET", f"/connections/{cid}/groups", as_user=fleet).json()
    assert shown["group_ids"] == [east]
    # what GET shows can be sent back with another group: no dead id in the way
    south = create_group(fleet, "South", asset_ids=[trucks[2]["asset_id"]])["group_id"]
    r = grant(fleet, cid, [*shown["group_ids"], south], shown["version"])
    assert r.status == 200 and sorted(r.json()["group_ids"]) == sorted([east, south])

    assert call_api("DELETE", f"/groups/{south}", as_user=fleet).status == 204
    stream.drain()
    after = call_api("GET", f"/connections/{cid}/groups", as_user=fleet).json()
    assert after["group_ids"] == [east] and after["version"] == r.json()["version"] + 1  # taken out of the grant
    for side in (fleet, vendor):
        events = [e for e in call_api("GET", "/audit", as_user=side).json()["items"]
                  if e["action"] == "connection.group_deleted"]
        assert len(events) == 1 and events[0]["before"]["group_ids"] == sorted([east, south])
        assert events[0]["after"]["group_ids"] == [east]


def test_a_group_listed_twice_is_granted_once(setup):
    fleet, vendor, cid, _, east, _ = setup
    call_api("POST", f"/connections/{cid}/accept", as_user=vendor)
    r = grant(fleet, cid, [east, east], 0)
    assert r.status == 200 and r.json()["group_ids"] == [east]
    r = grant(fleet, cid, ["x" * 65], 1)
    assert r.status == 422 and r.json()["error"]["details"][0]["field"].startswith("group_ids")
