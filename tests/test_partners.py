"""Installation partners: invitation by email, token acceptance by a vendor admin, the override flag."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import timedelta
from typing import Any

import boto3
import pytest

from shared.auth.principal import Principal, Role
from shared.errors import Gone
from shared.ids import utc_now
from shared.partners import logic
from shared.partners.dal import accepted_partner
from shared.partners.models import PartnerAccept, PartnerInvite, PartnerStatus
from tests.conftest import TEST_ENV, Mailbox, call_api
from tests.factories import Caller, add_user, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")
TOKEN_IN_LINK = re.compile(r"/partner-invitations/accept\?token=([A-Za-z0-9_\-]+)")


def tokens(mailbox: Mailbox, address: str) -> list[str]:
    """The invite tokens in the links of the emails sent to `address`."""
    found = [TOKEN_IN_LINK.search(m.get_content()) for m in mailbox.to(address)]
    return [m.group(1) for m in found if m]






def table() -> Any:
    return boto3.resource("dynamodb", endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"]).Table(TEST_ENV["TABLE_NAME"])


def all_items() -> list[dict[str, Any]]:
    return list(table().scan(ConsistentRead=True)["Items"])  # a test's table is small: one page


def principal(caller: Caller) -> Principal:
    return Principal(user_id=caller.user_id, email=caller.email, org_id=caller.org_id, role=Role(caller.role))


def partner_id_of(vendor: Caller) -> str:
    return str(call_api("GET", "/me", as_user=vendor).json()["organization"]["partner_id"])


def invite(fleet: Caller, email: str, **fields: Any) -> Any:
    return call_api("POST", "/partners/invitations", as_user=fleet, json_body={"email": email, **fields})


def accept(vendor: Caller, token: str) -> Any:
    return call_api("POST", "/partner-invitations/accept", as_user=vendor, json_body={"token": token})


def audit(caller: Caller) -> list[dict[str, Any]]:
    return list(call_api("GET", "/audit", as_user=caller).json()["items"])


@pytest.fixture
def fleet() -> Caller:
    return sign_up("fleet", "Harbor Freight")


@pytest.fixture
def vendor() -> Caller:
    return sign_up("vendor", "Bay Installers")


def test_partner_acceptance_end_to_end(fleet, vendor, mailbox):
    r = invite(fleet, "Installs@Bay.example")
    assert r.status == 201, r.body
    invitation = r.json()
    assert invitation["status"] == "PENDING" and invitation["allow_override"] is False
    assert invitation["email"] == "installs@bay.example" and invitation["partner_id"] is None
    [message] = mailbox.to("installs@bay.example")
    assert "Harbor Freight" in message["Subject"]
    [token] = tokens(mailbox, "installs@bay.example")
    assert message.get_content().count("http://localhost:3000/partner-invitations/accept?token=") == 1

    r = accept(vendor, token)
    assert r.status == 200, r.body
    record = r.json()
    assert record["status"] == "ACCEPTED" and record["invitation_id"] == invitation["invitation_id"]
    assert (record["partner_org_id"], record["partner_id"], record["partner_name"]) == (
        vendor.org_id, partner_id_of(vendor), "Bay Installers")
    assert record["version"] == invitation["version"] + 1 and record["token_expires_at"] is None

    listed = call_api("GET", "/partners", as_user=add_user(fleet, "customer")).json()["items"]
    assert listed == [record]
    found = accepted_partner(fleet.org_id, partner_id_of(vendor))
    assert found is not None and found.model_dump(mode="json") == record
    assert accepted_partner(fleet.org_id, partner_id_of(vendor).lower()) == found
    assert accepted_partner(sign_up("fleet", "Other").org_id, partner_id_of(vendor)) is None

    [notice] = mailbox.to(fleet.email)  # the fleet's admin (notifications: admins get every category by default)
    assert "Bay Installers" in notice["Subject"] and partner_id_of(vendor) in notice.get_content()
    for org in (fleet, vendor):
        event = next(e for e in audit(org) if e["action"] == "partner.accepted")
        assert event["before"]["status"] == "PENDING" and event["after"]["status"] == "ACCEPTED"
        assert event["actor_id"] == vendor.user_id

    # the same organization accepting again changes nothing; anyone else: the link is used up
    assert accept(vendor, token).json() == record
    r = accept(sign_up("vendor", "Latecomer"), token)
    assert r.status == 410 and r.error_code == "gone" and "accepted already" in r.json()["error"]["message"]


def test_the_raw_token_is_stored_only_as_its_hash(fleet, mailbox):
    invite(fleet, "hash@example.com")
    [token] = tokens(mailbox, "hash@example.com")
    digest = hashlib.sha256(token.encode()).hexdigest()
    items = all_items()
    # the outbox message is the email itself (see the next test); no other item holds the token
    stored = json.dumps([i for i in items if i["type"] != "outbox"], default=str)
    assert token not in stored
    assert f"PARTNERTOKEN#{digest}" in stored
    [invitation] = [i for i in items if i["type"] == "partner_invitation"]
    assert invitation["token_hash"] == digest


def test_no_item_holds_the_raw_token_once_the_email_is_sent(fleet, mailbox):
    invite(fleet, "sent@example.com")
    [token] = tokens(mailbox, "sent@example.com")
    assert token not in json.dumps(all_items(), default=str)


def test_inviting_again_returns_the_invitation_without_a_new_email(fleet, vendor, mailbox):
    first = invite(fleet, "again@example.com", allow_override=True).json()
    again = invite(fleet, "AGAIN@example.com")
    assert again.status == 200 and again.json() == first and first["allow_override"] is True
    assert len(mailbox.to("again@example.com")) == 1
    # accepted: still the same record
    [token] = tokens(mailbox, "again@example.com")
    accepted = accept(vendor, token).json()
    r = invite(fleet, "again@example.com")
    assert r.status == 200 and r.json() == accepted
    assert len(mailbox.to("again@example.com")) == 1


def test_racing_invitations_make_one_invitation_and_one_email(fleet, mailbox):
    caller = principal(fleet)
    barrier = threading.Barrier(6)
    results: list[logic.InviteResult] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(logic.invite_partner(caller, PartnerInvite(email="race@example.com")))
        except Exception as exc:  # noqa: BLE001 (collected and asserted on below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(results) == 6
    assert sum(r.created for r in results) == 1
    assert len({r.record.invitation_id for r in results}) == 1
    assert len(mailbox.to("race@example.com")) == 1


def test_bad_expired_and_replaced_tokens(fleet, vendor, mailbox):
    r = accept(vendor, "x" * 43)
    assert r.status == 404 and "ask the fleet to invite you again" in r.json()["error"]["message"]
    assert accept(vendor, "short").status == 422
    assert call_api("POST", "/partner-invitations/accept", as_user=vendor, json_body={}).status == 422

    invite(fleet, "late@example.com")
    [old_token] = tokens(mailbox, "late@example.com")
    pk = f"PARTNERTOKEN#{hashlib.sha256(old_token.encode()).hexdigest()}"
    expired = int((utc_now() - timedelta(seconds=1)).timestamp())
    table().update_item(Key={"pk": pk, "sk": "TOKEN"}, UpdateExpression="SET expires_at_epoch = :e",
                        ExpressionAttributeValues={":e": expired}, ConditionExpression="attribute_exists(pk)")
    r = accept(vendor, old_token)
    assert r.status == 410 and "expired" in r.json()["error"]["message"] and "Harbor Freight" in r.body

    # past its expiry, inviting again sends a new link; the old one no longer works
    renewed = logic.invite_partner(principal(fleet), PartnerInvite(email="late@example.com"),
                                   now=utc_now() + timedelta(days=15))
    assert not renewed.created and renewed.token
    assert tokens(mailbox, "late@example.com") == [old_token, renewed.token]
    assert accept(vendor, old_token).status == 404
    r = accept(vendor, renewed.token)
    assert r.status == 200 and r.json()["status"] == "ACCEPTED"


def test_a_link_expires_after_14_days(fleet, vendor, mailbox):
    result = logic.invite_partner(principal(fleet), PartnerInvite(email="days@example.com"))
    assert result.token
    with pytest.raises(Gone):
        logic.accept_invitation(principal(vendor), PartnerAccept(token=result.token),
                                now=utc_now() + timedelta(days=14, minutes=1))
    record = logic.accept_invitation(principal(vendor), PartnerAccept(token=result.token),
                                     now=utc_now() + timedelta(days=13))
    assert record.status is PartnerStatus.ACCEPTED


def test_only_vendor_admins_accept_and_only_fleets_invite(fleet, vendor, mailbox):
    invite(fleet, "roles@example.com")
    [token] = tokens(mailbox, "roles@example.com")
    for caller in (fleet, add_user(fleet, "manager"), add_user(vendor, "vendor")):
        r = accept(caller, token)
        assert r.status == 403 and r.error_code == "forbidden", caller.role
    for caller in (vendor, add_user(vendor, "vendor")):
        assert invite(caller, "x@example.com").status == 403
        assert call_api("GET", "/partners", as_user=caller).status == 403
        assert call_api("PATCH", "/partners/pin_x", as_user=caller,
                        json_body={"allow_override": True, "version": 1}).status == 403
    assert invite(add_user(fleet, "customer"), "by-customer@example.com").status == 201
    assert accept(vendor, token).status == 200


def test_one_record_per_fleet_and_partner_organization(fleet, vendor, mailbox):
    invite(fleet, "first@bay.example")
    invite(fleet, "second@bay.example")
    [first] = tokens(mailbox, "first@bay.example")
    [second] = tokens(mailbox, "second@bay.example")
    assert accept(vendor, first).status == 200
    r = accept(vendor, second)
    assert r.status == 409 and "partner of Harbor Freight already" in r.json()["error"]["message"]
    statuses = sorted(p["status"] for p in call_api("GET", "/partners", as_user=fleet).json()["items"])
    assert statuses == ["ACCEPTED", "PENDING"]
    # another fleet may have the same partner
    other = sign_up("fleet", "Other Fleet")
    invite(other, "first@bay.example")
    [third] = tokens(mailbox, "first@bay.example")[1:]
    assert accept(vendor, third).status == 200
    assert accepted_partner(other.org_id, partner_id_of(vendor)) is not None


def test_override_flag_changes_are_versioned_and_audited(fleet, vendor, mailbox):
    pending = invite(fleet, "flag@example.com").json()
    path = f"/partners/{pending['invitation_id']}"
    r = call_api("PATCH", path, as_user=fleet, json_body={"allow_override": True, "version": pending["version"]})
    assert r.status == 200 and r.json()["allow_override"] is True and r.json()["version"] == pending["version"] + 1
    stale = call_api("PATCH", path, as_user=fleet, json_body={"allow_override": False, "version": pending["version"]})
    assert stale.status == 409
    [token] = tokens(mailbox, "flag@example.com")
    accepted = accept(vendor, token).json()
    assert accepted["allow_override"] is True  # the flag set while pending carries over
    r = call_api("PATCH", path, as_user=add_user(fleet, "manager"),
                 json_body={"allow_override": False, "version": accepted["version"]})
    assert r.status == 200 and r.json()["allow_override"] is False
    found = accepted_partner(fleet.org_id, accepted["partner_id"])
    assert found is not None and found.allow_override is False
    fleet_events = [e for e in audit(fleet) if e["action"] == "partner.override_changed"]
    assert [(e["before"]["allow_override"], e["after"]["allow_override"]) for e in fleet_events] == [
        (True, False), (False, True)]
    vendor_events = [e for e in audit(vendor) if e["action"] == "partner.override_changed"]
    assert len(vendor_events) == 1  # once it is the vendor's partnership, its trail shows the change too
    # the same value again: nothing to change, no event
    same = call_api("PATCH", path, as_user=fleet, json_body={"allow_override": False, "version": r.json()["version"]})
    assert same.status == 200 and same.json() == r.json()
    for body in ({"allow_override": True}, {"version": 1}, {"allow_override": "maybe", "version": 1},
                 {"allow_override": True, "version": 1, "email": "x@example.com"}):
        assert call_api("PATCH", path, as_user=fleet, json_body=body).status == 422, body


def test_other_fleets_see_and_change_nothing(fleet, vendor):
    pending = invite(fleet, "mine@example.com").json()
    other = sign_up("fleet", "Other Fleet")
    r = call_api("PATCH", f"/partners/{pending['invitation_id']}", as_user=other,
                 json_body={"allow_override": True, "version": pending["version"]})
    assert r.status == 404 and "mine@example.com" not in r.body
    assert call_api("GET", "/partners", as_user=other).json()["items"] == []
    # the other fleet inviting the same email gets its own invitation
    theirs = invite(other, "mine@example.com")
    assert theirs.status == 201 and theirs.json()["invitation_id"] != pending["invitation_id"]
    assert call_api("GET", "/partners", as_user=fleet).json()["items"] == [pending]


def test_pending_partners_are_not_accepted_partners(fleet, vendor):
    invite(fleet, "wait@example.com")
    assert accepted_partner(fleet.org_id, partner_id_of(vendor)) is None
    assert accepted_partner(fleet.org_id, "ZZZZZ") is None


def test_invitation_body_validation(fleet):
    for body in ({}, {"email": "nope"}, {"email": "a@example.com", "allow_override": "yes please"},
                 {"email": "a@example.com", "partner_id": "VEZ9A"}):
        assert call_api("POST", "/partners/invitations", as_user=fleet, json_body=body).status == 422, body


def test_a_vendor_declines_an_invitation_and_may_be_invited_again(mailbox):
    """#18: partners accept, decline or leave fleets (INVERS)."""
    fleet, vendor = sign_up("fleet", "Harbor Freight"), sign_up("vendor", "Bay Installers")
    email = f"{vendor.user_id}@installs.example"
    invited = logic.invite_partner(principal(fleet), PartnerInvite(email=email))
    r = call_api("POST", "/partner-invitations/decline", as_user=vendor, json_body={"token": invited.token})
    assert r.status == 200 and r.json()["status"] == "DECLINED", r.body
    [told] = [m for m in mailbox.to(fleet.email) if "declined" in m["Subject"]]
    assert told["Subject"] == "Bay Installers declined your installation partner invitation"
    r = call_api("POST", "/partner-invitations/accept", as_user=vendor, json_body={"token": invited.token})
    assert r.status == 410 and "declined" in r.json()["error"]["message"], r.body
    assert call_api("POST", "/partner-invitations/decline", as_user=vendor,
                    json_body={"token": invited.token}).status == 404
    again = logic.invite_partner(principal(fleet), PartnerInvite(email=email))
    assert again.token and again.record.status == "PENDING"
    r = call_api("POST", "/partner-invitations/accept", as_user=vendor, json_body={"token": again.token})
    assert r.status == 200 and r.json()["status"] == "ACCEPTED", r.body
    actions = [e["action"] for e in call_api("GET", "/audit", as_user=fleet).json()["items"]]
    assert "partner.declined" in actions
