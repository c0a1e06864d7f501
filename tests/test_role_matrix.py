"""Every role against every route: allowed exactly when the role table says so."""

from __future__ import annotations

from typing import Any

import pytest

from shared.api.resolver import RAW_BODY_ROUTES
from shared.auth.permissions import PERMISSIONS, Action
from shared.auth.principal import Role
from tests.conftest import call_api
from tests.factories import Caller, add_user, create_asset, create_group, make_vin, sign_up
from tests.routes import RouteInfo, all_routes

# routes a user token reaches (portal and webhook routes authenticate otherwise: their own tests)
ROUTES = [r for r in all_routes() if isinstance(r.requirement, Action) or r.requirement == "signed_in"]


def test_every_route_declares_what_it_requires():
    undeclared = [f"{r.method} {r.path}" for r in all_routes() if r.requirement is None]
    assert undeclared == []


def body_for(route: RouteInfo) -> dict[str, Any] | None:
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/organizations"): {"name": "N", "kind": "fleet", "admin_name": "A", "contact_email": "a@b.co",
                                     "address": {"line1": "1", "city": "C", "state": "MA", "zip": "02110"}},
        ("PATCH", "/organizations/<org_id>"): {"version": 1, "name": "Renamed"},
        ("POST", "/users"): {"email": "new-user@example.com", "name": "New", "role": "customer"},
        ("PATCH", "/users/<user_id>"): {"version": 1, "name": "Renamed"},
        ("POST", "/assets"): {"unit_number": "M1", "kind": "truck", "vin": make_vin()},
        ("PATCH", "/assets/<asset_id>"): {"version": 1, "unit_number": "M2"},
        ("POST", "/groups"): {"name": "Matrix"},
        ("PATCH", "/groups/<group_id>"): {"version": 1, "name": "Matrix 2"},
        ("POST", "/connections"): {"org_id": "org_somebody"},
        ("PUT", "/connections/<connection_id>/groups"): {"group_ids": [], "version": 0},
        ("POST", "/invitations"): {"email": "matrix-invitee@example.com", "kind": "vendor"},
        ("POST", "/invitations/accept"): {"invitation": "org_matrix.inv_matrix"},
        ("POST", "/services"): {"name": "Matrix"},
        ("POST", "/service-connections"): {"service_id": "SVC-AAAAA"},
        ("POST", "/services/<service_id>/orders"): {"description": "Matrix", "amount": "1.00"},
        ("POST", "/partners/invitations"): {"email": "matrix-partner@example.com"},
        ("PATCH", "/partners/<invitation_id>"): {"allow_override": True, "version": 1},
        ("POST", "/partner-invitations/accept"): {"token": "matrix-token-matrix-token"},
        ("POST", "/partner-invitations/decline"): {"token": "matrix-token-matrix-token"},
        ("POST", "/integrations"): {"login_url": "http://127.0.0.1:9", "username": "m", "api_key": "matrix-key-1",
                                    "default_group": "Matrix"},
        ("PATCH", "/integrations/<integration_id>"): {"version": 1, "default_group": "Matrix 2"},
        ("POST", "/dispatch/check"): {"truck_id": "ast_matrix"},
        ("POST", "/jobs"): {"kind": "installation", "asset_id": "ast_matrix", "title": "M", "configuration": {}},
        ("PATCH", "/jobs/<job_id>"): {"version": 1, "title": "M"},
        ("POST", "/jobs/<job_id>/assign"): {"partner_id": "ZZZZZ"},
        ("POST", "/jobs/<job_id>/unassign"): {},
        ("POST", "/jobs/bulk"): {"job_ids": ["job_matrix"], "action": "delete"},
        ("POST", "/job-templates"): {"name": "Matrix"},
        ("PATCH", "/job-templates/<template_id>"): {"version": 1, "name": "Matrix 2"},
        ("POST", "/job-templates/<template_id>/duplicate"): {},
        ("PATCH", "/partner/jobs/<job_id>"): {"version": 1, "title": "M"},
        ("POST", "/partner/jobs/<job_id>/start"): {},
        ("POST", "/partner/jobs/<job_id>/succeed"): {},
        ("POST", "/partner/jobs/<job_id>/fail"): {"reason": "M"},
        ("POST", "/customers"): {"name": "Matrix Customer"},
        ("PATCH", "/customers/<customer_id>"): {"version": 1, "name": "Matrix 2"},
        ("POST", "/sites"): {"customer_id": "cus_matrix", "name": "Yard", "lat": 1, "lng": 1,
                             "address": {"line1": "1", "city": "C", "state": "MA", "zip": "02110"},
                             "geofence": {"kind": "radius", "radius_m": 10}},
        ("PATCH", "/sites/<site_id>"): {"version": 1, "name": "Yard 2"},
        ("POST", "/sites/<site_id>/services"): {"service_name": "Wash", "completed_at": "2026-03-01T10:00:00Z"},
        ("POST", "/sites/<site_id>/picture-uploads"): {"content_type": "image/jpeg"},
        ("POST", "/customer-users"): {"customer_id": "cus_matrix", "name": "Pat", "email": "pat@matrix.example"},
        ("PATCH", "/customer-users/<customer_user_id>"): {"version": 1, "name": "Pat 2"},
        ("POST", "/subscriptions"): {"url": "https://dispatch.example.com/fleetbridge"},
        ("POST", "/teams"): {"name": "Matrix shop"},
        ("POST", "/teams/<team_id>/users"): {"email": "matrix-team@example.com", "name": "T", "role": "vendor"},
        ("PUT", "/me/notification-preferences"): {"email": {"jobs": True}, "version": 0},
    }
    return bodies.get((route.method, route.path))


@pytest.mark.usefixtures("dynamodb")
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_against_every_role(route: RouteInfo):
    fleet_admin = sign_up("fleet")
    vendor_admin = sign_up("vendor", "Shop")
    asset = create_asset(fleet_admin)
    group = create_group(fleet_admin)
    callers = {Role.CUSTOMER_ADMIN: fleet_admin, Role.VENDOR_ADMIN: vendor_admin}
    for role in (Role.CUSTOMER, Role.MANAGER):
        callers[role] = add_user(fleet_admin, role.value)
    callers[Role.VENDOR] = add_user(vendor_admin, Role.VENDOR.value)

    def path_for(caller: Caller) -> str:
        colleague = callers[Role.CUSTOMER] if caller.org_id == fleet_admin.org_id else callers[Role.VENDOR]
        return (route.path.replace("<org_id>", caller.org_id).replace("<user_id>", colleague.user_id)
                .replace("<asset_id>", asset["asset_id"]).replace("<group_id>", group["group_id"]))

    assert call_api(route.method, path_for(fleet_admin), json_body=body_for(route)).status == 401
    # credentials and role come before input: an invalid request gets 401 or 403, never a 422 that
    # tells a caller who may not use the route what it accepts
    invalid: dict[str, Any] = {"json_body": {**(body_for(route) or {}), "not_a_field": 1}, "query": {"limit": "-1"}}
    if (route.method, route.path) in RAW_BODY_ROUTES:  # the CSV import: a bad file and a bad flag
        invalid = {"raw_body": "no header\n", "headers": {"Content-Type": "text/csv"}, "query": {"dry_run": "maybe"}}
    assert call_api(route.method, path_for(fleet_admin), **invalid).status == 401

    for role, caller in callers.items():
        r = call_api(route.method, path_for(caller), as_user=caller, json_body=body_for(route))
        assert r.status < 500, (role, r.body)
        if route.requirement == "signed_in":
            assert r.status == 409, (role, r.body)  # everyone here belongs to an organization already
        elif route.requirement in PERMISSIONS[role]:
            assert r.status != 403, (role, r.body)
        else:
            assert isinstance(route.requirement, Action)
            assert r.status == 403, (role, r.body)
            assert r.json()["error"]["code"] == "forbidden"
            r = call_api(route.method, path_for(caller), as_user=caller, **invalid)
            assert r.status == 403, (role, "invalid input", r.body)
