from __future__ import annotations

from types import SimpleNamespace

from tests.conftest import call_api


def test_audit_requires_credentials(dynamodb):
    r = call_api("GET", "/audit")
    assert r.status == 401
    assert r.error_code == "unauthenticated"


def test_audit_empty_for_new_org(dynamodb):
    admin = SimpleNamespace(user_id="usr_1", org_id="org_1", role="customer_admin")
    r = call_api("GET", "/audit", as_user=admin)
    assert r.status == 200, r.body
    assert r.json() == {"items": [], "next_cursor": None}


def test_audit_forbidden_for_plain_customer(dynamodb):
    user = SimpleNamespace(user_id="usr_1", org_id="org_1", role="customer")
    r = call_api("GET", "/audit", as_user=user)
    assert r.status == 403
    assert r.error_code == "forbidden"


def test_bad_cursor_is_422(dynamodb):
    admin = SimpleNamespace(user_id="usr_1", org_id="org_1", role="customer_admin")
    r = call_api("GET", "/audit", as_user=admin, query={"cursor": "garbage"})
    assert r.status == 422
    assert r.json()["error"]["details"][0]["field"] == "cursor"
