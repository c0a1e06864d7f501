"""POST/GET /invitations: a sign-up email at most once per organization, address and 24 h."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from shared.auth.principal import OrgKind, Principal, Role
from shared.ids import utc_now
from shared.invitations import logic
from shared.invitations.models import InvitationCreate
from tests.conftest import TEST_ENV, call_api
from tests.factories import Caller, add_user, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")


def table_items(type_: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"]).Table(TEST_ENV["TABLE_NAME"])
    items = table.scan(ConsistentRead=True)["Items"]  # a test's table is small: one page
    return [i for i in items if i.get("type") == type_]


def principal(caller: Caller) -> Principal:
    return Principal(user_id=caller.user_id, email=caller.email, org_id=caller.org_id, role=Role(caller.role))


def invite(caller: Caller, email: str, kind: str = "vendor") -> Any:
    return call_api("POST", "/invitations", as_user=caller, json_body={"email": email, "kind": kind})


def test_invitation_sends_one_email_with_a_sign_up_link(mailbox):
    fleet = sign_up("fleet", "Harbor Freight")
    r = invite(fleet, "Shop.Owner@Example.com")
    assert r.status == 201, r.body
    invitation = r.json()
    assert invitation["email"] == "shop.owner@example.com" and invitation["kind"] == "vendor"
    assert invitation["org_id"] == fleet.org_id and invitation["invited_by"] == fleet.user_id
    [message] = mailbox.to("shop.owner@example.com")
    assert "Harbor Freight" in message["Subject"]
    body = message.get_content()
    link = next(word for word in body.split() if word.startswith("http"))
    assert link.startswith("http://localhost:3000/sign-up?")
    assert parse_qs(urlsplit(link).query) == {"invitation": [f"{fleet.org_id}.{invitation['invitation_id']}"],
                                              "email": ["shop.owner@example.com"], "kind": ["vendor"]}
    listed = call_api("GET", "/invitations", as_user=fleet).json()
    assert [i["invitation_id"] for i in listed["items"]] == [invitation["invitation_id"]]


def test_reinviting_within_24_hours_answers_the_invitation_and_sends_nothing(mailbox):
    fleet = sign_up("fleet")
    first = invite(fleet, "new@example.com")
    again = invite(fleet, "NEW@example.com", kind="fleet")
    assert (first.status, again.status) == (201, 200)
    assert again.json() == first.json()
    assert len(mailbox.to("new@example.com")) == 1
    assert len(call_api("GET", "/invitations", as_user=fleet).json()["items"]) == 1


def test_after_24_hours_a_new_invitation_and_email_go_out(mailbox):
    fleet = sign_up("fleet")
    start = utc_now()
    body = InvitationCreate(email="later@example.com", kind=OrgKind.VENDOR)
    first, created = logic.invite(principal(fleet), body, now=start)
    assert created
    same, created = logic.invite(principal(fleet), body, now=start + timedelta(hours=23, minutes=59))
    assert not created and same == first
    second, created = logic.invite(principal(fleet), body, now=start + timedelta(hours=24, seconds=2))
    assert created and second.invitation_id != first.invitation_id
    assert len(mailbox.to("later@example.com")) == 2


def test_an_expired_window_item_left_behind_does_not_block_a_new_invitation(mailbox):
    """TTL deletes lazily: an expired dedupe item may still be there; it counts as gone."""
    fleet = sign_up("fleet")
    first = invite(fleet, "ttl@example.com").json()
    table = boto3.resource("dynamodb", endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"]).Table(TEST_ENV["TABLE_NAME"])
    expired = int((utc_now() - timedelta(seconds=5)).timestamp())
    table.update_item(Key={"pk": f"INVITE#{fleet.org_id}#ttl@example.com", "sk": "DEDUPE"},
                      UpdateExpression="SET expires_at_epoch = :e", ExpressionAttributeValues={":e": expired},
                      ConditionExpression="attribute_exists(pk)")
    r = invite(fleet, "ttl@example.com")
    assert r.status == 201 and r.json()["invitation_id"] != first["invitation_id"]
    assert len(mailbox.to("ttl@example.com")) == 2
    [dedupe] = table_items("invite_dedupe")
    assert dedupe["invitation_id"] == r.json()["invitation_id"] and dedupe["expires_at_epoch"] > expired


def test_racing_reinvites_send_one_email(mailbox):
    fleet = sign_up("fleet")
    caller = principal(fleet)
    body = InvitationCreate(email="race@example.com", kind=OrgKind.FLEET)
    results: list[Any] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(8)

    def run() -> None:
        try:
            barrier.wait()
            results.append(logic.invite(caller, body))
        except Exception as exc:  # noqa: BLE001 (collected and asserted on below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(results) == 8
    assert sum(created for _, created in results) == 1
    assert len({inv.invitation_id for inv, _ in results}) == 1
    assert len(table_items("invitation")) == 1 and len(table_items("outbox")) == 1
    assert len(mailbox.to("race@example.com")) == 1


def test_someone_in_the_network_already_is_409_and_gets_no_email(mailbox):
    fleet = sign_up("fleet")
    colleague = add_user(fleet, "customer")
    vendor = sign_up("vendor", "Shop")
    for email in (vendor.email, str(colleague.email).upper()):
        r = invite(fleet, str(email))
        assert r.status == 409, r.body
        assert "network already" in r.json()["error"]["message"]
        assert r.json()["error"]["details"] == [{"field": "email", "message": "already a user"}]
    assert mailbox.to(str(vendor.email)) == []
    assert table_items("invitation") == [] and table_items("invite_dedupe") == []


def test_every_role_may_invite_and_each_organization_has_its_own_window(mailbox):
    fleet = sign_up("fleet")
    vendor = sign_up("vendor", "Shop")
    users = [fleet, add_user(fleet, "customer"), add_user(fleet, "manager"), vendor, add_user(vendor, "vendor")]
    statuses = [invite(u, "everyone@example.com").status for u in users]
    assert statuses == [201, 200, 200, 201, 200]
    assert len(mailbox.to("everyone@example.com")) == 2  # one per organization
    fleet_list = call_api("GET", "/invitations", as_user=users[1]).json()["items"]
    vendor_list = call_api("GET", "/invitations", as_user=users[4]).json()["items"]
    assert [i["org_id"] for i in fleet_list] == [fleet.org_id]
    assert [i["org_id"] for i in vendor_list] == [vendor.org_id]


def test_list_is_newest_first_and_paginated():
    fleet = sign_up("fleet")
    ids = [invite(fleet, f"p{n}@example.com").json()["invitation_id"] for n in range(3)]
    page = call_api("GET", "/invitations", as_user=fleet, query={"limit": 2}).json()
    assert [i["invitation_id"] for i in page["items"]] == ids[::-1][:2] and page["next_cursor"]
    rest = call_api("GET", "/invitations", as_user=fleet, query={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [i["invitation_id"] for i in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    other = sign_up("fleet", "Other")
    r = call_api("GET", "/invitations", as_user=other, query={"cursor": page["next_cursor"]})
    assert r.status == 422  # another organization's cursor


@pytest.mark.parametrize("body", [
    {"email": "not-an-email", "kind": "vendor"},
    {"email": "a@example.com", "kind": "merchant"},
    {"email": "a@example.com"},
    {"email": "a@example.com", "kind": "vendor", "extra": 1},
])
def test_invalid_bodies_are_422(body):
    fleet = sign_up("fleet")
    r = call_api("POST", "/invitations", as_user=fleet, json_body=body)
    assert r.status == 422 and r.error_code == "validation_error", r.body


def test_needs_credentials_and_an_organization():
    assert call_api("POST", "/invitations", json_body={"email": "a@example.com", "kind": "fleet"}).status == 401
    r = call_api("GET", "/invitations", as_user={"sub": "usr_no_org"})
    assert r.status == 403


# -- accepting: the invitee signed up from the link, created an organization, and says yes (#20 item 3) --

def invited(mailbox: Any, fleet: Caller, email: str, kind: str = "vendor") -> str:
    """The `invitation` parameter of the sign-up link the invitee received."""
    assert invite(fleet, email, kind).status == 201
    [message] = mailbox.to(email)
    link = next(word for word in message.get_content().split() if word.startswith("http"))
    return parse_qs(urlsplit(link).query)["invitation"][0]


def joined(kind: str, email: str, name: str = "New Co") -> Caller:
    """The invitee's organization, created with a token for the address the invitation went to."""
    user_id = f"usr_{email.split('@')[0]}"
    r = call_api("POST", "/organizations", as_user={"sub": user_id, "email": email}, json_body={
        "name": name, "kind": kind, "admin_name": "Ivy Invitee", "contact_email": email,
        "address": {"line1": "2 Dock Rd", "city": "Boston", "state": "MA", "zip": "02110"}})
    assert r.status == 201, r.body
    return Caller(user_id=user_id, org_id=r.json()["organization"]["org_id"], role=r.json()["user"]["role"],
                  email=email)


def accept(caller: Caller, reference: str) -> Any:
    return call_api("POST", "/invitations/accept", as_user=caller, json_body={"invitation": reference})


def test_a_vendor_who_signs_up_from_a_fleets_invitation_is_connected_with_it(mailbox):
    fleet = sign_up("fleet", "Harbor Freight")
    reference = invited(mailbox, fleet, "owner@newshop.example")
    vendor = joined("vendor", "owner@newshop.example", "New Shop")
    r = accept(vendor, reference)
    assert r.status == 200, r.body
    invitation = r.json()
    assert invitation["accepted_org_id"] == vendor.org_id and invitation["accepted_at"]
    [connection] = call_api("GET", "/connections", as_user=fleet).json()["items"]
    assert (connection["connection_id"], connection["status"], connection["vendor_id"], connection["requested_by_org"]
            ) == (invitation["connection_id"], "accepted", vendor.org_id, fleet.org_id)
    [pair] = call_api("GET", "/vendor/fleets", as_user=vendor).json()["items"]
    assert pair["fleet_id"] == fleet.org_id and "connection" in pair["ways"]
    notes = call_api("GET", "/notifications", as_user=fleet).json()["items"]
    assert [n["title"] for n in notes] == ["New Shop joined Fleetbridge from your invitation"]
    [listed] = call_api("GET", "/invitations", as_user=fleet).json()["items"]
    assert listed["accepted_org_id"] == vendor.org_id
    assert accept(vendor, reference).json() == invitation, "accepting again answers the same, changes nothing"
    assert len(call_api("GET", "/connections", as_user=fleet).json()["items"]) == 1
    actions = [e["action"] for e in call_api("GET", "/audit", as_user=vendor).json()["items"]]
    assert "invitation.accepted" in actions and "connection.accepted" in actions


def test_a_fleet_invited_by_a_vendor_is_connected_the_other_way_round(mailbox):
    vendor = sign_up("vendor", "Shop")
    reference = invited(mailbox, vendor, "ops@newfleet.example", "fleet")
    fleet = joined("fleet", "ops@newfleet.example", "New Fleet")
    connection_id = accept(fleet, reference).json()["connection_id"]
    r = call_api("GET", f"/connections/{connection_id}", as_user=fleet)
    assert (r.json()["status"], r.json()["fleet_id"], r.json()["requested_by_org"]) == (
        "accepted", fleet.org_id, vendor.org_id)


def test_only_the_invited_address_may_accept_with_the_invited_kind_once(mailbox):
    fleet = sign_up("fleet")
    reference = invited(mailbox, fleet, "right@shop.example")
    stranger = joined("vendor", "wrong@shop.example")
    r = accept(stranger, reference)
    assert r.status == 403 and "another email address" in r.json()["error"]["message"]
    wrong_kind = joined("fleet", "right@shop.example")
    r = accept(wrong_kind, reference)
    assert r.status == 409 and "join as a vendor" in r.json()["error"]["message"], r.body
    assert call_api("GET", "/connections", as_user=fleet).json()["items"] == []
    for mangled in (reference[:-3], "nonsense", f"{fleet.org_id}.", reference.replace(fleet.org_id, "org_x")):
        r = accept(stranger, mangled)
        assert r.status == 404 and "not valid" in r.json()["error"]["message"], mangled


def test_an_unverified_address_cannot_accept(mailbox):
    fleet = sign_up("fleet")
    reference = invited(mailbox, fleet, "unverified@shop.example")
    vendor = joined("vendor", "unverified@shop.example")
    claims = {"sub": vendor.user_id, "email": vendor.email, "email_verified": "false",
              "custom:org_id": vendor.org_id, "custom:role": vendor.role}
    r = call_api("POST", "/invitations/accept", as_user=claims, json_body={"invitation": reference})
    assert r.status == 403


def test_organizations_of_one_kind_are_not_connected_but_the_invitation_is_accepted(mailbox):
    fleet = sign_up("fleet")
    reference = invited(mailbox, fleet, "peer@otherfleet.example", "fleet")
    peer = joined("fleet", "peer@otherfleet.example")
    r = accept(peer, reference)
    assert r.status == 200 and r.json()["connection_id"] is None and r.json()["accepted_org_id"] == peer.org_id
    assert call_api("GET", "/connections", as_user=fleet).json()["items"] == []


def test_a_connection_made_meanwhile_stands_and_no_second_one_is_made(mailbox):
    fleet = sign_up("fleet")
    reference = invited(mailbox, fleet, "quick@shop.example")
    vendor = joined("vendor", "quick@shop.example")
    asked = call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id})
    assert asked.status == 201, asked.body
    r = accept(vendor, reference)
    assert r.status == 200 and r.json()["connection_id"] == asked.json()["connection_id"]
    [connection] = call_api("GET", "/connections", as_user=vendor).json()["items"]
    assert connection["status"] == "pending", "theirs to answer, as any request"
