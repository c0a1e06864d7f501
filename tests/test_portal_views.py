"""What a customer user sees: sites with `serviced` for a range, site details with only the permitted fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import call_api
from tests.factories import Caller, sign_up
from tests.portal_helpers import (
    ALL_PERMISSIONS,
    create_customer,
    create_customer_user,
    create_site,
    enable_link,
    picture_key,
    portal_get,
    record_service,
    session_for,
)

pytestmark = pytest.mark.usefixtures("dynamodb")
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
# permission -> the fields of the site detail it controls (paths: "field" or "services[].field")
GATED = {
    "can_view_service_name": "services[].service_name",
    "can_view_service_pictures": "services[].pictures",
    "can_view_jobs": "services[].job",
    "can_view_vehicle_site_visits": "vehicle_visits",
    "can_view_site_pictures": "site_pictures",
}


def setup(permissions: dict[str, bool]) -> tuple[Caller, dict[str, Any], str]:
    """A vendor, a site with a picture and a service (name, vehicle, picture) in March, a session."""
    vendor = sign_up("vendor", "Shop")
    customer = create_customer(vendor, permissions=permissions)
    site = create_site(vendor, customer["customer_id"])
    key = picture_key(vendor, site["site_id"])
    call_api("PATCH", f"/sites/{site['site_id']}", as_user=vendor,
             json_body={"version": site["version"], "picture_keys": [key]})
    record_service(vendor, site["site_id"], picture_keys=[picture_key(vendor, site["site_id"])],
                   vehicle={"unit_number": "T-101"}, completed_at="2026-03-10T14:00:00Z")
    user = create_customer_user(vendor, customer["customer_id"], [site["site_id"]])
    return vendor, site, session_for(enable_link(vendor, user["customer_user_id"])["token"])


def present(detail: dict[str, Any], path: str) -> bool:
    if path.startswith("services[]."):
        return all(path.removeprefix("services[].") in s for s in detail["services"])
    return path in detail


@pytest.mark.parametrize("permission", sorted(GATED))
def test_each_field_is_present_only_with_its_permission(permission):
    _, site, session = setup({permission: True})
    detail = portal_get(session, f"/portal/sites/{site['site_id']}", **MARCH).json()
    assert len(detail["services"]) == 1
    for other, path in GATED.items():
        assert present(detail, path) is (other == permission), (other, detail)
    assert {"site_id", "name", "lat", "lng", "geofence", "serviced", "from", "to"} <= set(detail)


def test_without_permissions_only_dates_and_places():
    _, site, session = setup({})
    detail = portal_get(session, f"/portal/sites/{site['site_id']}", **MARCH).json()
    assert detail["services"] == [{"service_id": detail["services"][0]["service_id"],
                                   "completed_at": "2026-03-10T14:00:00Z"}]
    assert not any(present(detail, path) for path in GATED.values())
    assert "Pressure wash" not in str(detail) and "T-101" not in str(detail)
    r = portal_get(session, "/portal/sites", service="Pressure wash", **MARCH)
    assert r.status == 403  # filtering by service needs can_filter_geofence_by_service


def test_everything_permitted_and_pictures_presigned_for_the_site():
    vendor, site, session = setup(ALL_PERMISSIONS)
    detail = portal_get(session, f"/portal/sites/{site['site_id']}", **MARCH).json()
    [service] = detail["services"]
    assert service["service_name"] == "Pressure wash"
    assert detail["vehicle_visits"] == [{"vehicle": {"unit_number": "T-101", "asset_id": None, "vin": None},
                                         "at": "2026-03-10T14:00:00Z"}]
    urls = [p["url"] for p in service["pictures"] + detail["site_pictures"]]
    assert len(urls) == 2
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme == "https"
        assert parts.hostname == "fleetbridge-test-pictures.s3.amazonaws.com"  # virtual-hosted
        assert parts.path.startswith(f"/vendors/{vendor.org_id}/sites/{site['site_id']}/")
        assert "X-Amz-Signature=" in parts.query and "X-Amz-Expires=600" in parts.query
    body = portal_get(session, f"/portal/sites/{site['site_id']}", **MARCH).body
    assert body.count("fleetbridge-test-pictures") == 2  # the bucket only in the signed URLs' host names


def test_serviced_follows_the_range_and_the_service_filter():
    vendor = sign_up("vendor", "Shop")
    customer = create_customer(vendor, permissions={"can_filter_geofence_by_service": True})
    washed, plowed, idle = (create_site(vendor, customer["customer_id"], name=n) for n in ("A", "B", "C"))
    record_service(vendor, washed["site_id"], service_name="Pressure wash", completed_at="2026-03-10T14:00:00Z")
    record_service(vendor, plowed["site_id"], service_name="Snow removal", completed_at="2026-01-20T06:00:00Z")
    user = create_customer_user(vendor, customer["customer_id"], [washed["site_id"], plowed["site_id"],
                                                                  idle["site_id"]])
    session = session_for(enable_link(vendor, user["customer_user_id"])["token"])

    def serviced(**query: Any) -> dict[str, bool]:
        r = portal_get(session, "/portal/sites", **query)
        assert r.status == 200, r.body
        return {s["name"]: s["serviced"] for s in r.json()["sites"]}

    assert serviced(**MARCH) == {"A": True, "B": False, "C": False}
    assert serviced(**{"from": "2026-01-01", "to": "2026-03-31"}) == {"A": True, "B": True, "C": False}
    assert serviced(**{"from": "2026-01-01", "to": "2026-03-31"}, service="snow removal") == {
        "A": False, "B": True, "C": False}
    assert serviced(**{"from": "2026-03-10T14:00:00Z", "to": "2026-03-10T14:00:00Z"})["A"] is True  # inclusive
    assert serviced(**{"from": "2026-03-10T14:00:01Z", "to": "2026-03-11"})["A"] is False
    sites = portal_get(session, "/portal/sites", **MARCH).json()
    assert sites["from"] == "2026-03-01T00:00:00Z" and sites["to"] == "2026-03-31T23:59:59.999999Z"
    assert sites["sites"][0]["lat"] == 42.35 and sites["sites"][0]["geofence"]["kind"] == "radius"
    for bad in ({"from": "2026-04-01", "to": "2026-03-01"}, {"from": "2024-01-01", "to": "2026-03-01"},
                {"from": "yesterday"}):
        assert portal_get(session, "/portal/sites", **bad).status == 422, bad
    detail = portal_get(session, f"/portal/sites/{washed['site_id']}", service="Snow removal", **MARCH).json()
    assert detail["services"] == [] and detail["serviced"] is False


def test_a_user_sees_only_its_chosen_sites():
    vendor = sign_up("vendor", "Shop")
    customer = create_customer(vendor)
    chosen, other = create_site(vendor, customer["customer_id"]), create_site(vendor, customer["customer_id"])
    user = create_customer_user(vendor, customer["customer_id"], [chosen["site_id"]])
    session = session_for(enable_link(vendor, user["customer_user_id"])["token"])
    assert [s["site_id"] for s in portal_get(session, "/portal/sites").json()["sites"]] == [chosen["site_id"]]
    assert portal_get(session, f"/portal/sites/{other['site_id']}").status == 404
    # the vendor changes the user's sites: the next request sees it
    call_api("PATCH", f"/customer-users/{user['customer_user_id']}", as_user=vendor,
             json_body={"version": user["version"] + 1, "site_ids": [other["site_id"]]})
    assert [s["site_id"] for s in portal_get(session, "/portal/sites").json()["sites"]] == [other["site_id"]]


def test_a_primary_customers_users_see_the_sites_of_customers_under_it():
    vendor = sign_up("vendor", "Shop")
    primary = create_customer(vendor, name="Holding", permissions={"can_view_service_name": True})
    branch = create_customer(vendor, name="Branch", primary_customer_id=primary["customer_id"])
    unrelated = create_customer(vendor, name="Unrelated")
    head_office = create_site(vendor, primary["customer_id"], name="Head office")
    branch_site = create_site(vendor, branch["customer_id"], name="Branch yard")
    unrelated_site = create_site(vendor, unrelated["customer_id"], name="Elsewhere")
    record_service(vendor, branch_site["site_id"], completed_at="2026-03-02T09:00:00Z")
    boss = create_customer_user(vendor, primary["customer_id"], [head_office["site_id"]])
    clerk = create_customer_user(vendor, branch["customer_id"], [branch_site["site_id"]])
    boss_session = session_for(enable_link(vendor, boss["customer_user_id"])["token"])
    clerk_session = session_for(enable_link(vendor, clerk["customer_user_id"])["token"])

    names = {s["name"] for s in portal_get(boss_session, "/portal/sites", **MARCH).json()["sites"]}
    assert names == {"Head office", "Branch yard"}
    detail = portal_get(boss_session, f"/portal/sites/{branch_site['site_id']}", **MARCH).json()
    assert detail["services"][0]["service_name"] == "Pressure wash"  # the viewer's permissions apply
    assert portal_get(boss_session, f"/portal/sites/{unrelated_site['site_id']}").status == 404
    # and not the other way round: the branch's users see nothing of the primary
    assert {s["name"] for s in portal_get(clerk_session, "/portal/sites").json()["sites"]} == {"Branch yard"}
    assert portal_get(clerk_session, f"/portal/sites/{head_office['site_id']}").status == 404


@pytest.mark.parametrize("authorization", [None, "Bearer fbp1.forged.token", "Basic dXNlcjpwYXNz"])
def test_a_portal_request_without_a_valid_token_is_401_even_with_invalid_input(authorization):
    """The token's signature and expiry are checked before the query is validated: a caller without a
    valid token gets 401 and learns nothing about what the route accepts (not a 422 on `from`)."""
    headers = {"Authorization": authorization} if authorization else None
    for path in ("/portal/sites", "/portal/sites/site_1"):
        r = call_api("GET", path, query={"from": "not-a-date", "service": "x" * 500}, headers=headers)
        assert r.status == 401, (path, r.body)
    r = call_api("POST", "/portal/session", json_body={"unexpected": True}, headers=headers)
    assert r.status == 401, r.body
