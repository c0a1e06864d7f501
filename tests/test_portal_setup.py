"""Vendor side of the customer portal: customers, sites, customer users, completed services."""

from __future__ import annotations

import pytest

from tests.conftest import call_api
from tests.factories import sign_up
from tests.portal_helpers import (
    ALL_PERMISSIONS,
    create_customer,
    create_customer_user,
    create_site,
    enable_link,
    picture_key,
    record_service,
)

pytestmark = pytest.mark.usefixtures("dynamodb")


def test_customer_with_permissions_and_primary():
    vendor = sign_up("vendor", "Shop")
    primary = create_customer(vendor, name="Holding Co")
    assert primary["permissions"] == {k: False for k in ALL_PERMISSIONS}
    child = create_customer(vendor, name="Branch", primary_customer_id=primary["customer_id"],
                            permissions={"can_view_jobs": True})
    assert child["primary_customer_id"] == primary["customer_id"] and child["permissions"]["can_view_jobs"]
    # one level only: nothing under a customer that is itself under a primary, no primary for a primary
    r = call_api("POST", "/customers", as_user=vendor,
                 json_body={"name": "X", "primary_customer_id": child["customer_id"]})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "primary_customer_id"
    now = call_api("GET", f"/customers/{primary['customer_id']}", as_user=vendor).json()
    assert now["version"] == primary["version"] + 1  # a customer went under it: its version went up
    r = call_api("PATCH", f"/customers/{primary['customer_id']}", as_user=vendor,
                 json_body={"version": now["version"], "primary_customer_id": child["customer_id"]})
    assert r.status == 422
    r = call_api("POST", "/customers", as_user=vendor, json_body={"name": "X", "primary_customer_id": "cus_nope"})
    assert r.status == 422
    r = call_api("POST", "/customers", as_user=vendor, json_body={"name": "X", "permissions": {"can_fly": True}})
    assert r.status == 422

    r = call_api("PATCH", f"/customers/{child['customer_id']}", as_user=vendor,
                 json_body={"version": child["version"], "permissions": ALL_PERMISSIONS, "primary_customer_id": None})
    assert r.status == 200, r.body
    assert r.json()["permissions"] == ALL_PERMISSIONS and r.json()["primary_customer_id"] is None
    stale = call_api("PATCH", f"/customers/{child['customer_id']}", as_user=vendor,
                     json_body={"version": child["version"], "name": "Stale"})
    assert stale.status == 409
    listed = call_api("GET", "/customers", as_user=vendor).json()["items"]
    assert {c["customer_id"] for c in listed} == {primary["customer_id"], child["customer_id"]}
    actions = [e["action"] for e in call_api("GET", "/audit", as_user=vendor).json()["items"]]
    assert actions.count("customer.created") == 2 and "customer.updated" in actions


def test_sites_with_geofences():
    vendor = sign_up("vendor", "Shop")
    customer = create_customer(vendor)
    radius = create_site(vendor, customer["customer_id"])
    polygon = create_site(vendor, customer["customer_id"], geofence={
        "kind": "polygon", "points": [{"lat": 42.0, "lng": -71.0}, {"lat": 42.1, "lng": -71.0},
                                      {"lat": 42.1, "lng": -71.1}]})
    assert radius["geofence"] == {"kind": "radius", "radius_m": 150.0}
    assert len(polygon["geofence"]["points"]) == 3
    for bad in ({"kind": "radius", "radius_m": -1}, {"kind": "polygon", "points": [{"lat": 1, "lng": 1}]},
                {"kind": "circle"}):
        r = call_api("POST", "/sites", as_user=vendor, json_body={
            "customer_id": customer["customer_id"], "name": "S", "lat": 1, "lng": 1, "geofence": bad,
            "address": {"line1": "1", "city": "C", "state": "MA", "zip": "02110"}})
        assert r.status == 422, bad
    r = call_api("POST", "/sites", as_user=vendor, json_body={
        "customer_id": "cus_unknown", "name": "S", "lat": 1, "lng": 1, "geofence": {"kind": "radius", "radius_m": 5},
        "address": {"line1": "1", "city": "C", "state": "MA", "zip": "02110"}})
    assert r.status == 422
    other = create_customer(vendor)
    create_site(vendor, other["customer_id"])
    mine = call_api("GET", "/sites", as_user=vendor, query={"customer_id": customer["customer_id"]}).json()["items"]
    assert {s["site_id"] for s in mine} == {radius["site_id"], polygon["site_id"]}
    assert len(call_api("GET", "/sites", as_user=vendor).json()["items"]) == 3
    r = call_api("PATCH", f"/sites/{radius['site_id']}", as_user=vendor,
                 json_body={"version": radius["version"], "name": "Renamed", "lat": 40.0})
    assert r.status == 200 and r.json()["name"] == "Renamed" and r.json()["lat"] == 40.0


def test_site_pictures_must_lie_under_the_sites_prefix():
    vendor = sign_up("vendor", "Shop")
    customer = create_customer(vendor)
    site, other = create_site(vendor, customer["customer_id"]), create_site(vendor, customer["customer_id"])
    r = call_api("POST", f"/sites/{site['site_id']}/picture-uploads", as_user=vendor,
                 json_body={"content_type": "image/png"})
    assert r.status == 201
    upload = r.json()
    assert upload["key"].startswith(f"vendors/{vendor.org_id}/sites/{site['site_id']}/")
    assert upload["upload_url"].startswith("https://") and "X-Amz-Signature=" in upload["upload_url"]
    foreign_key = picture_key(vendor, other["site_id"])
    for keys in ([foreign_key], ["vendors/x/sites/y/a.jpg"], ["anything.jpg"]):
        r = call_api("PATCH", f"/sites/{site['site_id']}", as_user=vendor,
                     json_body={"version": site["version"], "picture_keys": keys})
        assert r.status == 422, keys
        r = call_api("POST", f"/sites/{site['site_id']}/services", as_user=vendor,
                     json_body={"service_name": "Wash", "completed_at": "2026-03-01T10:00:00Z", "picture_keys": keys})
        assert r.status == 422, keys
    r = call_api("PATCH", f"/sites/{site['site_id']}", as_user=vendor,
                 json_body={"version": site["version"], "picture_keys": [upload["key"]]})
    assert r.status == 200 and r.json()["picture_keys"] == [upload["key"]]


def test_customer_users_see_only_sites_of_their_customer():
    vendor = sign_up("vendor", "Shop")
    customer, other = create_customer(vendor), create_customer(vendor)
    site, foreign = create_site(vendor, customer["customer_id"]), create_site(vendor, other["customer_id"])
    r = call_api("POST", "/customer-users", as_user=vendor, json_body={
        "customer_id": customer["customer_id"], "name": "Pat", "email": "pat@c.example",
        "site_ids": [site["site_id"], foreign["site_id"]]})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "site_ids"
    r = call_api("POST", "/customer-users", as_user=vendor, json_body={
        "customer_id": customer["customer_id"], "name": "Pat", "email": "pat@c.example", "site_ids": ["site_nope"]})
    assert r.status == 422
    user = create_customer_user(vendor, customer["customer_id"], [site["site_id"]])
    assert user["portal_link"] == {"enabled": False, "version": 0, "activated_at": None, "expires_at": None,
                                   "needs_refresh": False, "last_used_at": None}
    r = call_api("PATCH", f"/customer-users/{user['customer_user_id']}", as_user=vendor,
                 json_body={"version": user["version"], "site_ids": [foreign["site_id"]]})
    assert r.status == 422
    r = call_api("PATCH", f"/customer-users/{user['customer_user_id']}", as_user=vendor,
                 json_body={"version": user["version"], "site_ids": [], "name": "Pat Renamed"})
    assert r.status == 200 and r.json()["site_ids"] == [] and r.json()["name"] == "Pat Renamed"
    listed = call_api("GET", "/customer-users", as_user=vendor, query={"customer_id": other["customer_id"]})
    assert listed.json()["items"] == []
    assert len(call_api("GET", "/customer-users", as_user=vendor).json()["items"]) == 1


def test_adding_a_user_flags_existing_links_for_refresh():
    vendor = sign_up("vendor", "Shop")
    customer = create_customer(vendor)
    site = create_site(vendor, customer["customer_id"])
    first = create_customer_user(vendor, customer["customer_id"], [site["site_id"]])
    enable_link(vendor, first["customer_user_id"])

    def flag(user_id: str) -> bool:
        r = call_api("GET", f"/customer-users/{user_id}", as_user=vendor)
        return bool(r.json()["portal_link"]["needs_refresh"])

    assert flag(first["customer_user_id"]) is False
    second = create_customer_user(vendor, customer["customer_id"], [site["site_id"]])
    assert flag(first["customer_user_id"]) is True
    assert flag(second["customer_user_id"]) is False  # no link yet
    listed = {u["customer_user_id"]: u for u in call_api("GET", "/customer-users", as_user=vendor).json()["items"]}
    assert listed[first["customer_user_id"]]["portal_link"]["needs_refresh"] is True
    r = call_api("POST", f"/customer-users/{first['customer_user_id']}/portal-link/refresh", as_user=vendor)
    assert r.status == 201
    assert flag(first["customer_user_id"]) is False
    # users of another customer keep their links as they are
    other = create_customer(vendor)
    create_customer_user(vendor, other["customer_id"], [])
    assert flag(first["customer_user_id"]) is False


def test_completed_services_by_range():
    vendor = sign_up("vendor", "Shop")
    customer = create_customer(vendor)
    site = create_site(vendor, customer["customer_id"])
    key = picture_key(vendor, site["site_id"])
    march = record_service(vendor, site["site_id"], completed_at="2026-03-10T14:00:00Z",
                           vehicle={"unit_number": "T-101", "vin": "1FUJGLDR0CL000001"}, picture_keys=[key])
    record_service(vendor, site["site_id"], service_name="Snow removal", completed_at="2026-01-05T08:00:00-05:00")
    assert march["source"] == "vendor" and march["vehicle"]["unit_number"] == "T-101" and march["picture_keys"] == [key]
    r = call_api("GET", f"/sites/{site['site_id']}/services", as_user=vendor,
                 query={"from": "2026-03-01", "to": "2026-03-10"})
    assert [s["service_id"] for s in r.json()["items"]] == [march["service_id"]]
    r = call_api("GET", f"/sites/{site['site_id']}/services", as_user=vendor,
                 query={"from": "2026-01-01", "to": "2026-03-31"})
    assert [s["service_name"] for s in r.json()["items"]] == ["Pressure wash", "Snow removal"]  # newest first
    r = call_api("POST", f"/sites/{site['site_id']}/services", as_user=vendor,
                 json_body={"service_name": "Wash", "completed_at": "2026-03-01T10:00:00"})  # no time zone
    assert r.status == 422
    r = call_api("POST", f"/sites/{site['site_id']}/services", as_user=vendor,
                 json_body={"service_name": "Wash", "completed_at": "2099-03-01T10:00:00Z"})
    assert r.status == 422 and "future" in r.json()["error"]["details"][0]["message"], r.body
    r = call_api("GET", f"/sites/{site['site_id']}/services", as_user=vendor, query={"from": "March"})
    assert r.status == 422
    r = call_api("POST", "/sites/site_unknown/services", as_user=vendor,
                 json_body={"service_name": "Wash", "completed_at": "2026-03-01T10:00:00Z"})
    assert r.status == 404


def test_a_cursor_of_another_list_in_the_same_partition_is_a_422():
    """Customers, sites and customer users share the vendor's partition; services share a site's."""
    vendor = sign_up("vendor", "Shop")
    customers = [create_customer(vendor, name=f"Customer {n}") for n in range(2)]
    sites = [create_site(vendor, customers[0]["customer_id"], name=f"Site {n}") for n in range(2)]
    customers_cursor = call_api("GET", "/customers", as_user=vendor, query={"limit": 1}).json()["next_cursor"]
    sites_cursor = call_api("GET", "/sites", as_user=vendor, query={"limit": 1}).json()["next_cursor"]
    assert customers_cursor and sites_cursor
    for path, cursor in (("/sites", customers_cursor), ("/customers", sites_cursor)):
        r = call_api("GET", path, as_user=vendor, query={"cursor": cursor})
        assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "cursor", (path, r.body)

    site_id = sites[0]["site_id"]
    for day in ("2026-03-10", "2026-03-11"):
        record_service(vendor, site_id, completed_at=f"{day}T14:00:00Z")
    r = call_api("GET", f"/sites/{site_id}/services", as_user=vendor,
                 query={"from": "2026-03-01", "to": "2026-03-31", "limit": 1})
    march_cursor = r.json()["next_cursor"]
    assert march_cursor
    r = call_api("GET", f"/sites/{site_id}/services", as_user=vendor,
                 query={"from": "2026-01-01", "to": "2026-01-31", "cursor": march_cursor})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "cursor", r.body


def test_a_customer_cannot_gain_a_primary_while_another_goes_under_it(monkeypatch):
    """The check that a customer has none under it reads an index before the transaction; a customer
    joining it meanwhile bumps its version, so its own versioned save loses (409), never two levels."""
    from shared.portal.setup import customers_dal

    vendor = sign_up("vendor", "Shop")
    top, middle = create_customer(vendor, name="Top"), create_customer(vendor, name="Middle")
    real = customers_dal.sub_customer_ids
    joined: list[dict] = []

    def check_then_a_customer_joins(org_id, customer_id, limit):
        found = real(org_id, customer_id, limit=limit)  # none yet
        if customer_id == middle["customer_id"] and not joined:
            joined.append({})  # once: the Branch's own create checks too
            joined[0] = create_customer(vendor, name="Branch", primary_customer_id=middle["customer_id"])
        return found

    monkeypatch.setattr(customers_dal, "sub_customer_ids", check_then_a_customer_joins)
    r = call_api("PATCH", f"/customers/{middle['customer_id']}", as_user=vendor,
                 json_body={"version": middle["version"], "primary_customer_id": top["customer_id"]})
    assert r.status == 409, r.body
    now = call_api("GET", f"/customers/{middle['customer_id']}", as_user=vendor).json()
    assert now["primary_customer_id"] is None and joined[0]["primary_customer_id"] == middle["customer_id"]
