"""A customer user never reaches another customer's or another vendor's data, whatever ids it sends."""

from __future__ import annotations

import re

import pytest

from tests.conftest import call_api
from tests.factories import sign_up
from tests.portal_helpers import (
    ALL_PERMISSIONS,
    create_customer,
    create_customer_user,
    create_site,
    enable_link,
    open_link,
    record_service,
    session_for,
)
from tests.routes import all_routes

pytestmark = pytest.mark.usefixtures("dynamodb")
PORTAL_ROUTES = [r for r in all_routes() if r.path.startswith("/portal")]


def test_every_portal_route_declares_a_portal_scheme():
    assert PORTAL_ROUTES
    assert {r.requirement for r in PORTAL_ROUTES} == {"portal_link", "portal_session"}


def test_sweep_every_portal_route_with_foreign_ids():
    vendor, rival = sign_up("vendor", "Shop"), sign_up("vendor", "Rival Shop")
    mine = create_customer(vendor, name="Mine Inc", permissions=ALL_PERMISSIONS)
    neighbour = create_customer(vendor, name="Neighbour Inc", permissions=ALL_PERMISSIONS)
    theirs = create_customer(rival, name="Theirs Inc", permissions=ALL_PERMISSIONS)
    my_site = create_site(vendor, mine["customer_id"], name="My yard")
    unchosen = create_site(vendor, mine["customer_id"], name="Unchosen yard")
    foreign = {
        "unchosen": unchosen["site_id"],
        "neighbour": create_site(vendor, neighbour["customer_id"], name="Neighbour yard")["site_id"],
        "rival": create_site(rival, theirs["customer_id"], name="Rival yard")["site_id"],
        "unknown": "site_01HZZZZZZZZZZZZZZZZZZZZZZZ",
        "customer id": neighbour["customer_id"],
    }
    for site_id in (foreign["neighbour"], foreign["rival"], foreign["unchosen"]):
        owner = rival if site_id == foreign["rival"] else vendor
        record_service(owner, site_id, service_name="Secret service", completed_at="2026-03-03T10:00:00Z")
    me = create_customer_user(vendor, mine["customer_id"], [my_site["site_id"]])
    session = session_for(enable_link(vendor, me["customer_user_id"])["token"])
    secrets = ("Neighbour", "Rival", "Theirs", "Unchosen", "Secret service", neighbour["customer_id"],
               theirs["customer_id"], rival.org_id)

    swept = 0
    for route in PORTAL_ROUTES:
        if "<" not in route.path:
            continue
        for what, value in foreign.items():
            path = re.sub(r"<[^>]+>", value, route.path)
            r = call_api(route.method, path, headers={"Authorization": f"Bearer {session}"},
                         query={"from": "2026-03-01", "to": "2026-03-31", "customer_id": neighbour["customer_id"]})
            assert r.status == 404, (route, what, r.body)
            assert not any(s in r.body for s in secrets), (route, what, r.body)
            swept += 1
    assert swept >= len(foreign)
    # the lists, whatever is added to the query, hold only what is mine
    r = call_api("GET", "/portal/sites", headers={"Authorization": f"Bearer {session}"},
                 query={"customer_id": neighbour["customer_id"], "org_id": rival.org_id, "site_id": foreign["rival"]})
    assert r.status == 200 and [s["name"] for s in r.json()["sites"]] == ["My yard"]
    assert not any(s in r.body for s in secrets)


def test_user_tokens_do_not_open_the_portal_and_portal_tokens_open_nothing_else():
    vendor = sign_up("vendor", "Shop")
    customer = create_customer(vendor)
    site = create_site(vendor, customer["customer_id"])
    user = create_customer_user(vendor, customer["customer_id"], [site["site_id"]])
    link = enable_link(vendor, user["customer_user_id"])
    session = session_for(link["token"])
    for route in PORTAL_ROUTES:
        path = re.sub(r"<[^>]+>", site["site_id"], route.path)
        r = call_api(route.method, path, as_user=vendor)  # a vendor's Cognito claims, no portal token
        assert r.status == 401, (route, r.body)
    # a portal token is no Cognito token: the vendor routes refuse it
    for token in (link["token"], session):
        r = call_api("GET", "/customers", headers={"Authorization": f"Bearer {token}"})
        assert r.status == 401
    assert open_link(link["token"]).status == 201
