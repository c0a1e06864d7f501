"""Token kinds do not cross: user tokens open no portal route, portal tokens open no vendor route.

Foreign ids on every portal route (another vendor's, another customer's, a site not given): test_isolation_sweep."""

from __future__ import annotations

import re

import pytest

from tests.conftest import call_api
from tests.factories import sign_up
from tests.portal_helpers import create_customer, create_customer_user, create_site, enable_link, open_link, session_for
from tests.routes import all_routes

pytestmark = pytest.mark.usefixtures("dynamodb")
PORTAL_ROUTES = [r for r in all_routes() if r.path.startswith("/portal") and r.requirement != "public"]


def test_only_the_page_and_its_files_are_public_under_portal():
    public = [(r.method, r.path) for r in all_routes() if r.path.startswith("/portal") and r.requirement == "public"]
    assert public == [("GET", "/portal"), ("GET", "/portal/assets/<name>")]


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
