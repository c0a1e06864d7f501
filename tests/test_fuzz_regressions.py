"""What the fuzz (tests/test_fuzz.py) found, each pinned as a plain test so it stays fixed."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from dev import tokens
from dev.openapi import OPENAPI_FILE
from tests.conftest import call_api
from tests.factories import add_user, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")


def test_a_body_that_is_not_utf8_is_400_not_500():
    admin = sign_up("fleet")
    r = call_api("PATCH", f"/organizations/{admin.org_id}", as_user=admin, raw_body=b"C\x11\xeb[.")
    assert r.status == 400, r.body
    assert r.error_code == "malformed_json"


def test_the_spec_documents_the_success_status_each_route_answers():
    spec = json.loads(OPENAPI_FILE.read_text())
    documented = {(m, p): {k for k in o["responses"] if k < "300"} for p, ops in spec["paths"].items()
                  for m, o in ops.items()}
    admin = sign_up("fleet")
    user = add_user(admin, "customer")  # POST /users answers 201
    assert documented[("post", "/users")] == {"201"}
    assert documented[("delete", "/users/{user_id}")] == {"204"}
    assert call_api("DELETE", f"/users/{user.user_id}", as_user=admin).status == 204
    assert documented[("post", "/customers")] == documented[("post", "/portal/session")] == {"201"}
    assert documented[("post", "/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver")] == {"202"}


def test_dev_server_answers_400_to_a_content_length_that_is_not_a_number(dev_server):
    host, port = dev_server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"GET /me HTTP/1.1\r\nHost: x\r\nContent-Length: *1k_,_X\r\n\r\n")
        answer = sock.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b'"bad_request"' in answer


def test_a_204_has_no_body_so_the_next_answer_on_the_connection_is_intact(dev_server):
    admin = sign_up("fleet")
    user = add_user(admin, "customer")
    r = call_api("DELETE", f"/users/{user.user_id}", as_user=admin)
    assert (r.status, r.body) == (204, "")
    token = tokens.mint(admin.user_id, org_id=admin.org_id, role=admin.role, email=admin.email)
    with httpx.Client(base_url=dev_server.url, headers={"Authorization": f"Bearer {token}"}) as client:
        group = client.post("/groups", json={"name": "Keep-alive"}).json()
        gone = client.delete(f"/groups/{group['group_id']}")
        assert (gone.status_code, gone.content) == (204, b"")
        assert client.get("/me").status_code == 200  # the same connection, still in step


def test_a_path_with_a_control_character_is_no_route_not_the_list_beside_it():
    admin = sign_up("fleet")
    for method, path in (("GET", "/users/\n"), ("POST", "/groups/\n"), ("GET", "/assets/\t")):
        r = call_api(method, path, as_user=admin, json_body={"name": "x"} if method == "POST" else None)
        assert r.status == 404, (path, r.body)
    assert call_api("GET", "/groups", as_user=admin).json()["items"] == []  # nothing was created


@pytest.mark.parametrize("completed_at", ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:00-00:01"])
def test_a_date_time_utc_cannot_hold_is_a_422_not_a_500(completed_at):
    """Year 1 at +00:01 is year 0 in UTC (and the last minute of 9999 at -00:01 is year 10000): found by
    `make fuzz` on POST /sites/{id}/services; the same holds for the range a services list takes."""
    from tests.portal_helpers import create_customer, create_site

    vendor = sign_up("vendor", "Shop")
    site = create_site(vendor, create_customer(vendor)["customer_id"])
    r = call_api("POST", f"/sites/{site['site_id']}/services", as_user=vendor,
                 json_body={"service_name": "Wash", "completed_at": completed_at})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "completed_at", r.body
    for query in ({"from": completed_at}, {"to": completed_at}, {"to": "0001-01-02"}):
        r = call_api("GET", f"/sites/{site['site_id']}/services", as_user=vendor, query=query)
        assert r.status == 422, (query, r.body)
