"""Sign-up, organization profile, users and /me through the organizations handler."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import call_api
from tests.factories import Caller, add_user, address, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")


def test_sign_up_makes_the_caller_admin():
    admin = sign_up("fleet")
    assert admin.role == "customer_admin"
    me = call_api("GET", "/me", as_user=admin).json()
    assert me["user"]["user_id"] == admin.user_id and me["organization"]["kind"] == "fleet"
    assert me["organization"]["partner_id"] is None


def test_vendor_gets_a_partner_id():
    vendor = sign_up("vendor", "Shop")
    assert vendor.role == "vendor_admin"
    org = call_api("GET", f"/organizations/{vendor.org_id}", as_user=vendor).json()
    assert len(org["partner_id"]) == 5 and org["partner_id"].isalnum()


def test_sign_up_twice_is_409():
    admin = sign_up("fleet", user_id="usr_twice")
    r = call_api(
        "POST",
        "/organizations",
        as_user={"sub": "usr_twice", "email": "other@example.com"},
        json_body={
            "name": "Again",
            "kind": "fleet",
            "admin_name": "A",
            "address": address(),
            "contact_email": "a@example.com",
        },
    )
    assert r.status == 409 and "already belong" in r.json()["error"]["message"]
    r = call_api(
        "POST",
        "/organizations",
        as_user=admin,
        json_body={
            "name": "Again",
            "kind": "fleet",
            "admin_name": "A",
            "address": address(),
            "contact_email": "a@example.com",
        },
    )
    assert r.status == 409


def test_sign_up_validates_fields():
    r = call_api(
        "POST",
        "/organizations",
        as_user={"sub": "usr_bad"},
        json_body={
            "name": "",
            "kind": "shipyard",
            "admin_name": "A",
            "address": address(state="XX", zip="123"),
            "contact_email": "nope",
        },
    )
    assert r.status == 422
    fields = {d["field"] for d in r.json()["error"]["details"]}
    assert {"name", "kind", "address.state", "address.zip", "contact_email"} <= fields


@pytest.mark.parametrize("zip_code", ["\u0660\u0662\u0661\u0661\u0660", "\uff10\uff12\uff11\uff11\uff10"])
def test_a_zip_in_another_scripts_digits_is_422_not_a_crash(zip_code):
    """The ZIP package panics (a BaseException) on non-ASCII digits: they never reach it."""
    r = call_api("POST", "/organizations", as_user={"sub": "usr_zip"}, json_body={
        "name": "Shop", "kind": "vendor", "admin_name": "A", "address": address(zip=zip_code),
        "contact_email": "a@shop.example"})
    assert r.status == 422 and [d["field"] for d in r.json()["error"]["details"]] == ["address.zip"]


def test_update_organization_versioned():
    admin = sign_up("fleet")
    path = f"/organizations/{admin.org_id}"
    r = call_api(
        "PATCH",
        path,
        as_user=admin,
        json_body={"version": 1, "name": "Acme Logistics", "contact_email": "NEW@Example.com"},
    )
    assert r.status == 200, r.body
    assert r.json()["name"] == "Acme Logistics" and r.json()["contact_email"] == "new@example.com"
    assert call_api("PATCH", path, as_user=admin, json_body={"version": 1, "name": "lost"}).status == 409
    r = call_api("PATCH", path, as_user=admin, json_body={"version": 2, "name": None})
    assert r.status == 422


def test_users_lifecycle():
    admin = sign_up("fleet")
    dispatcher = add_user(admin, "customer")
    users = call_api("GET", "/users", as_user=admin).json()["items"]
    assert {u["user_id"] for u in users} == {admin.user_id, dispatcher.user_id}
    # the new user can act right away
    assert call_api("GET", "/me", as_user=dispatcher).json()["user"]["role"] == "customer"

    path = f"/users/{dispatcher.user_id}"
    r = call_api("PATCH", path, as_user=admin, json_body={"version": 1, "role": "manager"})
    assert r.status == 200 and r.json()["role"] == "manager"
    events = call_api("GET", "/audit", as_user=admin).json()["items"]
    assert events[0]["action"] == "user.role_changed"
    assert events[0]["before"]["role"] == "customer" and events[0]["after"]["role"] == "manager"

    assert call_api("DELETE", path, as_user=admin).status == 204
    assert call_api("GET", path, as_user=admin).status == 404
    # the email is free again
    r = call_api(
        "POST", "/users", as_user=admin, json_body={"email": dispatcher.email, "name": "Back", "role": "customer"}
    )
    assert r.status == 201


def test_user_rules():
    admin = sign_up("fleet")
    r = call_api("POST", "/users", as_user=admin, json_body={"email": "v@example.com", "name": "V", "role": "vendor"})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "role"
    r = call_api("POST", "/users", as_user=admin, json_body={"email": admin.email, "name": "Dup", "role": "customer"})
    assert r.status == 409 and "already a user" in r.json()["error"]["message"]
    r = call_api("PATCH", f"/users/{admin.user_id}", as_user=admin, json_body={"version": 1, "role": "customer"})
    assert r.status == 409 and "own role" in r.json()["error"]["message"]
    assert call_api("DELETE", f"/users/{admin.user_id}", as_user=admin).status == 409


@pytest.mark.parametrize("kind,admin_role", [("vendor", "vendor_admin"), ("fleet", "customer_admin")])
def test_two_admins_cannot_leave_their_org_without_one(kind, admin_role):
    """B's token still says admin after A demoted (or removed) B: B may no longer demote or remove A."""
    a = sign_up(kind)
    b = add_user(a, admin_role)
    lesser = "vendor" if kind == "vendor" else "customer"
    r = call_api("PATCH", f"/users/{b.user_id}", as_user=a, json_body={"version": 1, "role": lesser})
    assert r.status == 200
    me = call_api("GET", "/me", as_user=a).json()["user"]
    r = call_api("PATCH", f"/users/{a.user_id}", as_user=b, json_body={"version": me["version"], "role": lesser})
    assert r.status == 403 and "sign in again" in r.json()["error"]["message"]
    assert call_api("DELETE", f"/users/{a.user_id}", as_user=b).status == 403
    assert call_api("GET", "/me", as_user=a).json()["user"]["role"] == admin_role
    # removed, B's token cannot remove A either
    assert call_api("DELETE", f"/users/{b.user_id}", as_user=a).status == 204
    assert call_api("DELETE", f"/users/{a.user_id}", as_user=b).status in (401, 403)
    assert call_api("GET", "/me", as_user=a).json()["user"]["role"] == admin_role


def test_token_without_org_may_only_sign_up():
    newcomer = {"sub": "usr_newcomer"}
    r = call_api("GET", "/me", as_user=newcomer)
    assert r.status == 403 and "no organization" in r.json()["error"]["message"]


def test_unknown_role_claim_is_403():
    admin = sign_up("fleet")
    r = call_api("GET", "/me", as_user=Caller(admin.user_id, admin.org_id, "superuser"))
    assert r.status == 403


NOWHERE = {"sub": "usr_nowhere", "email": "usr_nowhere@example.com"}


def test_a_zip_the_zip_data_does_not_know_is_the_same_422_as_search_gives():
    """Found by a newcomer: 00000 made a vendor that search could never find."""
    body = {"name": "Nowhere Repair", "kind": "vendor", "admin_name": "A", "address": address(zip="00000"),
            "contact_email": "a@nowhere.example"}
    r = call_api("POST", "/organizations", as_user=NOWHERE, json_body=body)
    assert r.status == 422, r.body
    [detail] = r.json()["error"]["details"]
    assert detail["field"] == "address.zip" and "unknown US ZIP code 00000" in detail["message"]
    fleet = sign_up("fleet")
    searched = call_api("GET", "/vendors/search", as_user=fleet, query={"zip": "00000", "radius_miles": "10"})
    assert searched.status == 422 and "unknown US ZIP code 00000" in searched.json()["error"]["details"][0]["message"]

    placed = {**body, "address": address(zip="00000", lat=42.36, lng=-71.05)}  # a ZIP newer than our data
    r = call_api("POST", "/organizations", as_user=NOWHERE, json_body=placed)
    assert r.status == 201, r.body
    assert (r.json()["organization"]["lat"], r.json()["organization"]["lng"]) == (42.36, -71.05)
    moving = sign_up("vendor")
    r = call_api("PATCH", f"/organizations/{moving.org_id}", as_user=moving,
                 json_body={"version": 1, "address": address(zip="00000")})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "address.zip", r.body


def test_organizations_show_where_they_are_placed():
    vendor, fleet = sign_up("vendor"), sign_up("fleet")
    for caller in (vendor, fleet):
        org = call_api("GET", f"/organizations/{caller.org_id}", as_user=caller).json()
        assert org["lat"] == pytest.approx(42.36, abs=0.05) and org["lng"] == pytest.approx(-71.05, abs=0.05)


# -- sign-up's abuse limits (#20 item 1; docs/security.md) --

def new_org(user_id: str, email: str | None, **claims: str) -> dict:
    token = {"sub": user_id, **({"email": email} if email else {}), **claims}
    return {"as_user": token, "json_body": {"name": "Fresh Fleet", "kind": "fleet", "admin_name": "F",
                                            "address": address(), "contact_email": "someone.else@example.com"}}


def test_an_organization_needs_a_verified_address_and_is_that_addresss():
    r = call_api("POST", "/organizations", **new_org("usr_unverified", "u@fresh.example", email_verified="false"))
    assert r.status == 403 and "confirm your email address" in r.json()["error"]["message"]
    r = call_api("POST", "/organizations", **new_org("usr_no_email", None))
    assert r.status == 403
    r = call_api("POST", "/organizations", **new_org("usr_verified", "v@fresh.example"))
    assert r.status == 201, r.body
    assert r.json()["user"]["email"] == "v@fresh.example", "the token's address, not the contact address"


def test_sign_ups_from_one_address_are_limited_per_hour(monkeypatch):
    from shared.orgs import logic
    from shared.settings import get_settings

    monkeypatch.setattr(logic, "get_settings", lambda: get_settings().model_copy(
        update={"organizations_per_ip_per_hour": 2}))
    ip = f"198.51.100.{uuid.uuid4().int % 250}"
    answers = [call_api("POST", "/organizations", source_ip=ip, **new_org(f"usr_ip{n}", f"ip{n}-{ip}@fresh.example"))
               for n in range(3)]
    assert [a.status for a in answers] == [201, 201, 429]
    assert int(answers[2].headers["Retry-After"]) > 0 and "try again" in answers[2].json()["error"]["message"]
    other = call_api("POST", "/organizations", source_ip="203.0.113.9", **new_org("usr_ipx", "x@fresh.example"))
    assert other.status == 201, "another address is not held back"
