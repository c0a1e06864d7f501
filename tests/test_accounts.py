"""Users' Cognito accounts follow the table (#20 item 2): outbox -> the table's real stream -> processor -> the local
Cognito (moto, dev/cognito.py), with the invitation in the SMTP sink and sign-ins as in AWS (dev.signin).

A user an admin adds gets one invitation with a temporary password, signs in, chooses a password,
and their ID token carries the tenancy; removing them disables the account and revokes its refresh
tokens; adding them again gives the account back. Cognito failures are retried through the outbox.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import jwt
import pytest

from dev import signin
from dev.cognito import DEMO_PASSWORD, add_account
from tests.cognito_support import signed_up
from tests.conftest import call_api
from tests.factories import sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")
CHOSEN = "Chosen-password-9"


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def new_email() -> str:
    return f"tech-{uuid.uuid4().hex[:10]}@example.com"


def add(admin: Any, email: str, role: str = "customer") -> str:
    r = call_api("POST", "/users", as_user=admin, json_body={"email": email, "name": "Terry Tech", "role": role})
    assert r.status == 201, r.body
    return str(r.json()["user_id"])


def temporary_password(message: Any) -> str:
    found = re.search(r"temporary password:\n\n    (\S+)\n", message.get_content())
    assert found, message.get_content()
    return found.group(1)


def account(cognito: Any, email: str) -> dict[str, Any]:
    user: dict[str, Any] = cognito.client.admin_get_user(UserPoolId=cognito.pool_id, Username=email)
    return user


def test_an_added_user_gets_one_invitation_and_signs_in_with_their_tenancy(cognito, cognito_server, mailbox):
    admin = sign_up("fleet", "Harbor Freight")
    email = new_email()
    user_id = add(admin, email, "manager")
    [invitation] = mailbox.to(email)
    assert invitation["Subject"] == "You have been added to Harbor Freight on Fleetbridge"
    assert "as manager" in invitation.get_content() and "/sign-in" in invitation.get_content()
    password = temporary_password(invitation)
    assert account(cognito, email)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    with pytest.raises(signin.SignInError, match="temporary password"):
        signin.sign_in(cognito, email, password)
    token = signin.sign_in(cognito, email, password, new_password=CHOSEN)["IdToken"]
    claims = claims_of(token)
    assert (claims["custom:org_id"], claims["custom:role"], claims["custom:user_id"]) == (
        admin.org_id, "manager", user_id)
    me = httpx.get(f"{cognito_server.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.status_code == 200 and me.json()["user"]["user_id"] == user_id, me.text
    assert mailbox.to(email) == [invitation], "one invitation"
    assert mailbox.poller.dead_letters == []


def test_removing_a_user_disables_the_account_and_signs_it_out_everywhere(cognito, mailbox):
    admin = sign_up("vendor", "Bay Shop")
    email = new_email()
    user_id = add(admin, email, "vendor")
    [invitation] = mailbox.to(email)
    tokens = signin.sign_in(cognito, email, temporary_password(invitation), new_password=CHOSEN)
    assert call_api("DELETE", f"/users/{user_id}", as_user=admin).status == 204
    mailbox.poller.drain()
    assert account(cognito, email)["Enabled"] is False
    with pytest.raises(signin.SignInError, match="NotAuthorizedException"):
        signin.refresh(cognito, tokens["RefreshToken"])  # revoked: the global sign-out
    with pytest.raises(signin.SignInError, match="disabled"):
        signin.sign_in(cognito, email, CHOSEN)
    assert mailbox.poller.dead_letters == []


def test_a_person_added_again_gets_their_account_back_and_keeps_their_password(cognito, mailbox):
    admin = sign_up("fleet", "Harbor Freight")
    email = new_email()
    first = add(admin, email)
    [invitation] = mailbox.to(email)
    signin.sign_in(cognito, email, temporary_password(invitation), new_password=CHOSEN)
    assert call_api("DELETE", f"/users/{first}", as_user=admin).status == 204
    mailbox.poller.drain()
    again = add(admin, email, "manager")
    messages = mailbox.to(email)
    assert len(messages) == 2 and "your password" in messages[1].get_content()
    assert "temporary" not in messages[1].get_content()
    assert account(cognito, email)["Enabled"] is True
    claims = claims_of(signin.sign_in(cognito, email, CHOSEN)["IdToken"])
    assert (claims["custom:user_id"], claims["custom:role"]) == (again, "manager")


def test_a_person_with_an_account_already_is_told_not_invited(cognito, mailbox):
    """They signed up themselves (or were a user before): no temporary password, theirs stays."""
    admin = sign_up("fleet", "Harbor Freight")
    email = new_email()
    add_account(cognito, email, DEMO_PASSWORD)
    user_id = add(admin, email)
    [message] = mailbox.to(email)
    assert "your password" in message.get_content() and "temporary" not in message.get_content()
    assert claims_of(signin.sign_in(cognito, email, DEMO_PASSWORD)["IdToken"])["custom:user_id"] == user_id


def test_removed_and_added_again_before_the_stream_runs_ends_with_an_open_account(cognito, mailbox):
    """Each message makes the account match the table as it is when it runs, so their order does not matter."""
    admin = sign_up("fleet", "Harbor Freight")
    email = new_email()
    first = add(admin, email)
    assert call_api("DELETE", f"/users/{first}", as_user=admin).status == 204
    add(admin, email)
    assert len(mailbox.to(email)) == 1, "the older messages only open or close the account: one invitation"
    assert account(cognito, email)["Enabled"] is True
    assert mailbox.poller.dead_letters == []


def test_a_removed_user_whose_account_never_existed_is_fine(cognito, mailbox):
    admin = sign_up("fleet", "Harbor Freight")
    email = new_email()
    user_id = add(admin, email)
    assert call_api("DELETE", f"/users/{user_id}", as_user=admin).status == 204
    mailbox.poller.drain()  # the add's message finds no user: it disables nothing; the removal's the same
    assert mailbox.poller.dead_letters == []
    with pytest.raises(cognito.client.exceptions.UserNotFoundException):
        account(cognito, email)


def test_cognito_throttling_is_retried_and_the_invitation_goes_out_once(cognito, mailbox, monkeypatch):
    from moto.cognitoidp.models import CognitoIdpBackend
    from moto.core.exceptions import JsonRESTError

    real = CognitoIdpBackend.admin_create_user
    calls: list[str] = []

    def throttled(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("call")
        if len(calls) <= 4:  # botocore's own 3 tries of the first delivery, then the retry's first
            raise JsonRESTError("TooManyRequestsException", "Rate exceeded")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CognitoIdpBackend, "admin_create_user", throttled)
    admin = sign_up("fleet", "Harbor Freight")
    email = new_email()
    add(admin, email)
    [invitation] = mailbox.to(email)
    assert len(calls) >= 5
    assert temporary_password(invitation)
    assert account(cognito, email)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert mailbox.poller.dead_letters == []


def test_the_whole_flow_over_http(cognito, cognito_server, mailbox):
    """Sign-up (the emailed code) -> organization -> an added user -> their first sign-in -> tenancy -> removal ->
    refused at refresh and at sign-in."""
    def call(method: str, path: str, token: str, body: Any = None) -> httpx.Response:
        return httpx.request(method, f"{cognito_server.url}{path}", headers={"Authorization": f"Bearer {token}"},
                             json=body, timeout=30)

    creator = new_email()
    tokens = signed_up(cognito, mailbox.smtp, creator)
    r = call("POST", "/organizations", tokens["IdToken"], {
        "name": "Night Fleet", "kind": "fleet", "admin_name": "Nia", "contact_email": creator,
        "address": {"line1": "1 Harbor St", "city": "Boston", "state": "MA", "zip": "02110"}})
    assert r.status_code == 201, r.text
    admin_token = signin.refresh(cognito, tokens["RefreshToken"])["IdToken"]
    assert claims_of(admin_token)["custom:role"] == "customer_admin"

    email = new_email()
    r = call("POST", "/users", admin_token, {"email": email, "name": "Dee Dispatch", "role": "customer"})
    assert r.status_code == 201, r.text
    user_id = r.json()["user_id"]
    [invitation] = mailbox.to(email)
    assert "Night Fleet" in invitation["Subject"]
    theirs = signin.sign_in(cognito, email, temporary_password(invitation), new_password=CHOSEN)
    me = call("GET", "/me", theirs["IdToken"])
    assert me.status_code == 200 and (me.json()["user"]["user_id"], me.json()["user"]["role"]) == (
        user_id, "customer"), me.text
    assert call("GET", "/assets", theirs["IdToken"]).status_code == 200

    assert call("DELETE", f"/users/{user_id}", admin_token).status_code == 204
    mailbox.poller.drain()
    with pytest.raises(signin.SignInError, match="NotAuthorizedException"):
        signin.refresh(cognito, theirs["RefreshToken"])
    with pytest.raises(signin.SignInError, match="disabled"):
        signin.sign_in(cognito, email, CHOSEN)
    assert mailbox.poller.dead_letters == []
