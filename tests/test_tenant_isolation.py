"""Another organization's objects: 404 on every route that names them, absent from every list."""

from __future__ import annotations

import pytest

from shared.auth.permissions import PERMISSIONS, Action
from shared.auth.principal import Role
from tests.conftest import call_api
from tests.factories import add_user, address, create_asset, create_group, make_vin, sign_up
from tests.jobs_support import create_job, make_partner
from tests.routes import all_routes

pytestmark = pytest.mark.usefixtures("dynamodb")

WRITE_BODIES = {
    ("PATCH", "/assets/<asset_id>"): {"version": 1, "unit_number": "Pwned"},
    ("PATCH", "/integrations/<integration_id>"): {"version": 1, "default_group": "Pwned"},
    ("PUT", "/connections/<connection_id>/groups"): {"group_ids": [], "version": 0},
    ("POST", "/sites/<site_id>/services"): {"service_name": "Pwned", "completed_at": "2026-03-01T10:00:00Z"},
    ("POST", "/sites/<site_id>/picture-uploads"): {"content_type": "image/jpeg"},
    ("PATCH", "/jobs/<job_id>"): {"version": 1, "title": "Pwned"},
    ("POST", "/jobs/<job_id>/assign"): {"partner_id": "ZZZZZ"},
    ("POST", "/jobs/<job_id>/unassign"): {},
    ("POST", "/job-templates/<template_id>/duplicate"): {},
    ("PATCH", "/partner/jobs/<job_id>"): {"version": 1, "title": "Pwned"},
    ("POST", "/partner/jobs/<job_id>/start"): {},
    ("POST", "/partner/jobs/<job_id>/succeed"): {},
    ("POST", "/partner/jobs/<job_id>/fail"): {"reason": "Pwned"},
}


@pytest.mark.parametrize("intruder_kind", ["fleet", "vendor"])
def test_foreign_ids_are_404_and_change_nothing(intruder_kind):
    owner = sign_up("fleet", "Owner Fleet")
    owner_user = add_user(owner, "customer")
    asset = create_asset(owner)
    group = create_group(owner, asset_ids=[asset["asset_id"]])
    partner = sign_up("vendor", "Partner Shop")
    conn = call_api("POST", "/connections", as_user=owner, json_body={"org_id": partner.org_id}).json()
    call_api("POST", f"/connections/{conn['connection_id']}/accept", as_user=partner)
    call_api(
        "PUT",
        f"/connections/{conn['connection_id']}/groups",
        as_user=owner,
        json_body={"group_ids": [group["group_id"]], "version": 0},
    )
    notification = call_api("GET", "/notifications", as_user=owner).json()["items"][0]
    subscription = call_api("POST", "/subscriptions", as_user=owner, json_body={"url": "https://hooks.example.com/x"}).json()
    sub_deliveries = call_api("GET", f"/subscriptions/{subscription['subscription_id']}/deliveries", as_user=owner)
    # the partner vendor's customer portal (portal.md): a customer, its site, a customer user
    portal_customer = call_api("POST", "/customers", as_user=partner, json_body={"name": "Portal Co"}).json()
    portal_site = call_api("POST", "/sites", as_user=partner, json_body={
        "customer_id": portal_customer["customer_id"], "name": "Yard", "lat": 42.3, "lng": -71.0,
        "address": address(), "geofence": {"kind": "radius", "radius_m": 100}}).json()
    portal_user = call_api("POST", "/customer-users", as_user=partner, json_body={
        "customer_id": portal_customer["customer_id"], "name": "Pat", "email": "pat@portal.example",
        "site_ids": [portal_site["site_id"]]}).json()
    # a job assigned to the owner's installation partner (jobs.md), and a job template
    job = create_job(owner, asset, partner_id=make_partner(owner, "Install Partner").partner_id)
    template = call_api("POST", "/job-templates", as_user=owner, json_body={"name": "Owner template"}).json()
    # the owner's Fleetrock integration (fleetrock.md), configured
    integration = call_api("POST", "/integrations", as_user=owner, json_body={
        "login_url": "http://127.0.0.1:9", "username": "owner", "api_key": "owner-key-123",
        "default_group": "G"}).json()
    intruder = sign_up(intruder_kind, "Intruder")
    intruder_asset = create_asset(intruder) if intruder_kind == "fleet" else None
    ids = {
        "<org_id>": owner.org_id,
        "<fleet_id>": owner.org_id,
        "<user_id>": owner_user.user_id,
        "<asset_id>": asset["asset_id"],
        "<group_id>": group["group_id"],
        "<connection_id>": conn["connection_id"],
        "<notification_id>": notification["notification_id"],
        "<subscription_id>": subscription["subscription_id"],
        "<delivery_id>": sub_deliveries.json()["items"][0]["delivery_id"],
        "<customer_id>": portal_customer["customer_id"],
        "<site_id>": portal_site["site_id"],
        "<customer_user_id>": portal_user["customer_user_id"],
        "<job_id>": job["job_id"],
        "<template_id>": template["template_id"],
        "<integration_id>": integration["integration_id"],
    }

    def snapshot():
        paths = (
            f"/organizations/{owner.org_id}",
            f"/assets/{asset['asset_id']}",
            f"/groups/{group['group_id']}",
            f"/groups/{group['group_id']}/assets",
            f"/users/{owner_user.user_id}",
            "/users",
            "/assets",
            "/groups",
            f"/connections/{conn['connection_id']}",
            f"/connections/{conn['connection_id']}/groups",
            "/notifications",
            "/audit",
            f"/subscriptions/{subscription['subscription_id']}",
            f"/subscriptions/{subscription['subscription_id']}/deliveries",
            f"/jobs/{job['job_id']}",
            "/jobs",
            "/job-templates",
            f"/integrations/{integration['integration_id']}",
        )
        return [call_api("GET", p, as_user=owner).body for p in paths]

    before = snapshot()
    swept = 0
    for route in all_routes():
        if "<" not in route.path or not isinstance(route.requirement, Action):
            continue  # no id, or no user token (portal, webhooks): their own sweeps (e.g. test_portal_isolation)
        path = route.path
        for placeholder, value in ids.items():
            path = path.replace(placeholder, value)
        if "<" in path:
            continue  # an id type this sweep has no object for: covered by that capability's own tests
        swept += 1
        body = WRITE_BODIES.get(
            (route.method, route.path), {"version": 1, "name": "Pwned"} if route.method == "PATCH" else None
        )
        r = call_api(route.method, path, as_user=intruder, json_body=body)
        allowed = route.requirement in PERMISSIONS[Role(intruder.role)]
        assert r.status == (404 if allowed else 403), (route, r.body)
        assert "Owner Fleet" not in r.body and asset["vin"] not in r.body and str(owner_user.email) not in r.body
        if intruder_asset and route.path == "/groups/<group_id>/assets/<asset_id>":
            r = call_api(route.method, path.replace(asset["asset_id"], intruder_asset["asset_id"]), as_user=intruder)
            assert r.status == 404
    assert swept >= 20, "the sweep must cover the routes with ids"
    assert snapshot() == before


def test_lists_hold_only_the_callers_data():
    owner, intruder = sign_up("fleet", "Owner"), sign_up("fleet", "Intruder")
    create_asset(owner)
    create_group(owner)
    add_user(owner, "manager")
    for path in ("/assets", "/groups", "/users", "/audit", "/connections", "/notifications"):
        r = call_api("GET", path, as_user=intruder)
        assert r.status == 200
        assert owner.org_id not in r.body, path


def test_owner_cannot_put_a_foreign_asset_in_its_group():
    owner, other = sign_up("fleet", "Owner"), sign_up("fleet", "Other")
    group = create_group(owner)
    foreign = create_asset(other)
    r = call_api("PUT", f"/groups/{group['group_id']}/assets/{foreign['asset_id']}", as_user=owner)
    assert r.status == 404
    r = call_api(
        "POST",
        "/assets",
        as_user=other,
        json_body={"unit_number": "x", "kind": "truck", "vin": make_vin(), "group_ids": [group["group_id"]]},
    )
    assert r.status == 422
