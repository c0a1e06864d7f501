"""Cognito's Pre Token Generation trigger: the ID token's tenancy comes from our table, at every token.

Each test runs the trigger with the sample Cognito event (events/token_claims_sign_in.json) for a
person, then calls the API with the claims a token issued then would carry (API Gateway's
authorizer passes the ID token's claims through), so what is checked is what the person can do.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from dev.apigw import LocalContext
from functions.token_claims.handler import lambda_handler as token_claims
from tests.conftest import call_api
from tests.factories import add_user, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")
SAMPLE = Path(__file__).resolve().parent.parent / "events" / "token_claims_sign_in.json"
TENANCY = ["custom:org_id", "custom:role", "custom:user_id"]


def issue_token(email: str, *, verified: bool = True, sub: str | None = None, source: str = "") -> dict[str, Any]:
    """The claims of the ID token Cognito would issue to this person: theirs, plus the trigger's answer."""
    event = json.loads(SAMPLE.read_text())
    sub = sub or str(uuid.uuid4())
    event["userName"] = sub
    event["triggerSource"] = source or event["triggerSource"]
    # a stale (or forged, by an admin's mistake) tenancy attribute in Cognito must not survive the trigger
    event["request"]["userAttributes"].update(sub=sub, email=email, email_verified=str(verified).lower(),
                                              **{"custom:org_id": "org_stale", "custom:role": "customer_admin"})
    answer = token_claims(event, LocalContext())["response"]["claimsOverrideDetails"]
    suppressed = answer.get("claimsToSuppress", [])
    claims = {k: v for k, v in event["request"]["userAttributes"].items() if k not in suppressed}
    return {**claims, **answer.get("claimsToAddOrOverride", {})}


def test_an_organizations_creator_gets_its_tenancy_in_the_token():
    admin = sign_up("fleet")
    assert admin.email
    claims = issue_token(admin.email.upper(), sub=admin.user_id)  # Cognito may keep the address's case
    assert (claims["custom:org_id"], claims["custom:role"], claims["custom:user_id"]) == (
        admin.org_id, "customer_admin", admin.user_id)
    me = call_api("GET", "/me", as_user=claims)
    assert me.status == 200 and me.json()["user"]["user_id"] == admin.user_id, me.body


def test_a_user_an_admin_added_is_that_user_whatever_their_cognito_id():
    """Their Cognito `sub` is not our user id: the token carries ours (custom:user_id), which the API uses."""
    admin = sign_up("vendor", "Shop")
    tech = add_user(admin, "vendor")
    assert tech.email
    claims = issue_token(tech.email, source="TokenGeneration_NewPasswordChallenge")
    assert claims["sub"] != tech.user_id and claims["custom:user_id"] == tech.user_id
    me = call_api("GET", "/me", as_user=claims)
    assert me.status == 200 and (me.json()["user"]["user_id"], me.json()["user"]["role"]) == (tech.user_id, "vendor")
    assert call_api("POST", "/users", as_user=claims, json_body={"email": "x@example.com", "name": "X",
                                                                "role": "vendor"}).status == 403


def test_a_role_change_or_a_removal_takes_effect_at_the_next_token():
    admin = sign_up("fleet")
    user = add_user(admin, "customer")
    assert user.email
    sub = str(uuid.uuid4())
    assert issue_token(user.email, sub=sub)["custom:role"] == "customer"
    version = call_api("GET", f"/users/{user.user_id}", as_user=admin).json()["version"]
    r = call_api("PATCH", f"/users/{user.user_id}", as_user=admin, json_body={"version": version, "role": "manager"})
    assert r.status == 200, r.body
    assert issue_token(user.email, sub=sub, source="TokenGeneration_RefreshTokens")["custom:role"] == "manager"
    assert call_api("DELETE", f"/users/{user.user_id}", as_user=admin).status == 204
    claims = issue_token(user.email, sub=sub, source="TokenGeneration_RefreshTokens")
    assert not any(c in claims for c in TENANCY), claims
    assert call_api("GET", "/assets", as_user=claims).status == 403, "no organization: only signing up is open"


@pytest.mark.parametrize("case", ["unverified", "unknown"])
def test_no_tenancy_without_a_verified_address_a_user_holds(case):
    """An address the person has not proven they read (Cognito: email_verified false) gets no one's tenancy."""
    admin = sign_up("fleet")
    assert admin.email
    claims = issue_token(admin.email if case == "unverified" else "nobody@example.com", verified=case != "unverified")
    assert not any(c in claims for c in TENANCY), claims
    me = call_api("GET", "/me", as_user=claims)
    assert me.status == 403 and "no organization" in me.body, me.body  # signed in, in no organization


def test_a_person_who_signs_up_gets_their_new_organization_at_the_next_token():
    sub, email = str(uuid.uuid4()), f"new-{uuid.uuid4().hex[:8]}@example.com"
    before = issue_token(email, sub=sub)
    assert not any(c in before for c in TENANCY)
    r = call_api("POST", "/organizations", as_user=before, json_body={
        "name": "New Fleet", "kind": "fleet", "admin_name": "Nia New", "contact_email": email,
        "address": {"line1": "1 Harbor St", "city": "Boston", "state": "MA", "zip": "02110"}})
    assert r.status == 201, r.body
    after = issue_token(email, sub=sub, source="TokenGeneration_RefreshTokens")
    assert (after["custom:org_id"], after["custom:role"], after["custom:user_id"]) == (
        r.json()["organization"]["org_id"], "customer_admin", sub)


def test_the_sample_event_runs_through_the_trigger():
    """With no such user in the table, the sample's person gets a token without tenancy."""
    event = json.loads(SAMPLE.read_text())
    answer = token_claims(event, LocalContext())
    assert answer["response"]["claimsOverrideDetails"] == {"claimsToSuppress": TENANCY}
    assert {k: v for k, v in answer.items() if k != "response"} == {k: v for k, v in json.loads(
        SAMPLE.read_text()).items() if k != "response"}, "Cognito gets its event back, with the response"
