"""Build customer-portal data through the public API, as a vendor and its customer users would."""

from __future__ import annotations

import itertools
from typing import Any

from tests.conftest import ApiResponse, call_api
from tests.factories import Caller, address

_serial = itertools.count(1)
ALL_PERMISSIONS = {
    "can_view_jobs": True,
    "can_view_site_pictures": True,
    "can_view_vehicle_site_visits": True,
    "can_filter_geofence_by_service": True,
    "can_view_service_name": True,
    "can_view_service_pictures": True,
}


def create_customer(vendor: Caller, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Customer {next(_serial)}", "contact_email": "ops@customer.example", **fields}
    r = call_api("POST", "/customers", as_user=vendor, json_body=body)
    assert r.status == 201, r.body
    return r.json()


def create_site(vendor: Caller, customer_id: str, **fields: Any) -> dict[str, Any]:
    body = {"customer_id": customer_id, "name": f"Site {next(_serial)}", "address": address(),
            "lat": 42.35, "lng": -71.06, "geofence": {"kind": "radius", "radius_m": 150}, **fields}
    r = call_api("POST", "/sites", as_user=vendor, json_body=body)
    assert r.status == 201, r.body
    return r.json()


def create_customer_user(vendor: Caller, customer_id: str, site_ids: list[str], **fields: Any) -> dict[str, Any]:
    n = next(_serial)
    body = {"customer_id": customer_id, "name": f"Pat {n}", "email": f"pat{n}@customer.example",
            "site_ids": site_ids, **fields}
    r = call_api("POST", "/customer-users", as_user=vendor, json_body=body)
    assert r.status == 201, r.body
    return r.json()


def enable_link(vendor: Caller, customer_user_id: str) -> dict[str, Any]:
    r = call_api("POST", f"/customer-users/{customer_user_id}/portal-link", as_user=vendor)
    assert r.status == 201, r.body
    return r.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_link(link_token: str) -> ApiResponse:
    return call_api("POST", "/portal/session", headers=bearer(link_token))


def session_for(link_token: str) -> str:
    r = open_link(link_token)
    assert r.status == 201, r.body
    return str(r.json()["session_token"])


def portal_get(session_token: str, path: str, **query: Any) -> ApiResponse:
    return call_api("GET", path, headers=bearer(session_token), query=query or None)


def record_service(vendor: Caller, site_id: str, **fields: Any) -> dict[str, Any]:
    body = {"service_name": "Pressure wash", "completed_at": "2026-03-10T14:00:00Z", **fields}
    r = call_api("POST", f"/sites/{site_id}/services", as_user=vendor, json_body=body)
    assert r.status == 201, r.body
    return r.json()


def picture_key(vendor: Caller, site_id: str) -> str:
    r = call_api("POST", f"/sites/{site_id}/picture-uploads", as_user=vendor,
                 json_body={"content_type": "image/jpeg"})
    assert r.status == 201, r.body
    return str(r.json()["key"])
