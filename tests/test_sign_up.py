"""Self sign-up and invitations that lead to accounts (#20 items 1, 3 and 5), end to end: the local Cognito
(moto with the CDK pool's settings, its codes by email: dev/cognito_signup.py), the dev server verifying
its ID tokens, the table's real stream, and the SMTP sink. Every token here is the emulator's.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from dev import signin, signup
from dev.cognito import DEMO_PASSWORD
from tests.cognito_support import call, claims_of, code_sent_to, organization, signed_up
from tests.conftest import call_api
from tests.factories import sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")
TENANCY = ("custom:org_id", "custom:role", "custom:user_id")


def link_in(message: object) -> str:
    return next(w for w in message.get_content().split() if w.startswith("http"))  # type: ignore[attr-defined]


def test_a_sign_up_is_confirmed_by_the_emailed_code_before_anything_else(cognito, cognito_server, smtp):
    email = "newcomer@fresh-fleet.example"
    answer = signup.sign_up(cognito, email, DEMO_PASSWORD)
    assert answer["UserConfirmed"] is False and answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    with pytest.raises(signin.SignInError, match="UserNotConfirmedException"):
        signin.sign_in(cognito, email, DEMO_PASSWORD)
    code = code_sent_to(smtp, email)
    with pytest.raises(signup.SignUpError, match="CodeMismatchException"):
        signup.confirm(cognito, email, "000000" if code != "000000" else "111111")
    signup.resend(cognito, email)
    newer = code_sent_to(smtp, email)
    if newer != code:  # the first code was replaced
        with pytest.raises(signup.SignUpError, match="CodeMismatchException"):
            signup.confirm(cognito, email, code)
    signup.confirm(cognito, email, newer)
    with pytest.raises(signup.SignUpError, match="NotAuthorizedException"):
        signup.confirm(cognito, email, newer)
    with pytest.raises(signup.SignUpError, match="UsernameExistsException"):
        signup.sign_up(cognito, email, DEMO_PASSWORD)
    token = signin.sign_in(cognito, email, DEMO_PASSWORD)["IdToken"]
    claims = claims_of(token)
    assert claims["email"] == email and str(claims["email_verified"]).lower() == "true"  # AWS: true, moto: "true"
    assert not any(c in claims for c in TENANCY)
    r = call(cognito_server, "GET", "/me", token)
    assert r.status_code == 403 and "no organization" in r.text


def test_a_newcomer_signs_up_a_fleet_and_adds_a_manager_who_signs_in_from_the_invitation(
        cognito, cognito_server, mailbox):
    """The issue's "done means", with the emulator's tokens only."""
    email = "nia@night-fleet.example"
    tokens = signed_up(cognito, mailbox.smtp, email)
    r = call(cognito_server, "POST", "/organizations", tokens["IdToken"],
             organization("fleet", "Night Fleet", "Nia", email))
    assert r.status_code == 201, r.text
    admin = signin.refresh(cognito, tokens["RefreshToken"])["IdToken"]
    assert (claims_of(admin)["custom:org_id"], claims_of(admin)["custom:role"]) == (
        r.json()["organization"]["org_id"], "customer_admin")
    manager = "mo@night-fleet.example"
    r = call(cognito_server, "POST", "/users", admin, {"email": manager, "name": "Mo Manager", "role": "manager"})
    assert r.status_code == 201, r.text
    [invitation] = mailbox.to(manager)
    password = re.search(r"temporary password:\n\n    (\S+)\n", invitation.get_content())
    assert password, invitation.get_content()
    theirs = signin.sign_in(cognito, manager, password.group(1), new_password="Mo-chose-this-1")
    me = call(cognito_server, "GET", "/me", theirs["IdToken"])
    assert me.status_code == 200 and me.json()["user"]["role"] == "manager", me.text


def test_a_vendor_invited_by_a_fleet_signs_up_from_the_link_and_lands_connected(cognito, cognito_server, mailbox):
    fleet = sign_up("fleet", "Harbor Freight")
    sent = call_api("POST", "/invitations", as_user=fleet, json_body={"email": "ana@anchor-repair.example",
                                                                       "kind": "vendor"})
    assert sent.status == 201, sent.body
    [email] = mailbox.to("ana@anchor-repair.example")
    query = parse_qs(urlsplit(link_in(email)).query)  # what the web app's sign-up page reads
    assert (query["email"], query["kind"]) == (["ana@anchor-repair.example"], ["vendor"])
    tokens = signed_up(cognito, mailbox.smtp, query["email"][0])
    r = call(cognito_server, "POST", "/organizations", tokens["IdToken"],
             organization(query["kind"][0], "Anchor Repair", "Ana", query["email"][0]))
    assert r.status_code == 201, r.text
    token = signin.refresh(cognito, tokens["RefreshToken"])["IdToken"]
    r = call(cognito_server, "POST", "/invitations/accept", token, {"invitation": query["invitation"][0]})
    assert r.status_code == 200, r.text
    fleets = call(cognito_server, "GET", "/vendor/fleets", token).json()["items"]
    assert [(f["fleet_id"], f["fleet_name"]) for f in fleets] == [(fleet.org_id, "Harbor Freight")]
    [connection] = call_api("GET", "/connections", as_user=fleet).json()["items"]
    assert (connection["vendor_name"], connection["status"]) == ("Anchor Repair", "accepted")


def test_a_partner_invitation_taken_up_by_someone_without_an_account(cognito, cognito_server, mailbox):
    fleet = sign_up("fleet", "Harbor Freight")
    sent = call_api("POST", "/partners/invitations", as_user=fleet, json_body={"email": "ike@installers.example"})
    assert sent.status == 201, sent.body
    [email] = mailbox.to("ike@installers.example")
    token_in_link = parse_qs(urlsplit(link_in(email)).query)["token"][0]
    tokens = signed_up(cognito, mailbox.smtp, "ike@installers.example")
    r = call(cognito_server, "POST", "/organizations", tokens["IdToken"],
             organization("vendor", "Ike Installs", "Ike", "ike@installers.example"))
    assert r.status_code == 201, r.text
    token = signin.refresh(cognito, tokens["RefreshToken"])["IdToken"]
    r = call(cognito_server, "POST", "/partner-invitations/accept", token, {"token": token_in_link})
    assert r.status_code == 200, r.text
    [partner] = call_api("GET", "/partners", as_user=fleet).json()["items"]
    assert (partner["status"], partner["partner_name"]) == ("ACCEPTED", "Ike Installs")
    [pair] = call(cognito_server, "GET", "/vendor/fleets", token).json()["items"]
    assert pair["fleet_id"] == fleet.org_id and "invitation" in pair["ways"]


def test_an_unconfirmed_sign_up_does_not_keep_an_address_an_admin_adds(cognito, cognito_server, mailbox):
    """Anyone can sign up with an address they cannot read; when its owner is added, our invitation's password
    replaces the squatter's, and the owner signs in with it (the address proven by the mailbox)."""
    victim = "vic@harbor.example"
    signup.sign_up(cognito, victim, "Squatter-pass-1")
    admin = sign_up("fleet", "Harbor Freight")
    added = call_api("POST", "/users", as_user=admin, json_body={"email": victim, "name": "Vic", "role": "customer"})
    assert added.status == 201, added.body
    [invitation] = [m for m in mailbox.to(victim) if "added you" in m.get_content()]
    password = re.search(r"temporary password:\n\n    (\S+)\n", invitation.get_content())
    assert password, "a new temporary password, not 'sign in with your password'"
    with pytest.raises(signin.SignInError):
        signin.sign_in(cognito, victim, "Squatter-pass-1")
    theirs = signin.sign_in(cognito, victim, password.group(1), new_password="Vic-own-pass-1")
    assert claims_of(theirs["IdToken"])["custom:user_id"] == added.json()["user_id"]
