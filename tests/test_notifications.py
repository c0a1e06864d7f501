"""Notifications (#18 item 5): every event a party must know is a dashboard entry written with the change,
an unread count kept with it, mark one or all read, and emails to the users whose preferences want the
kind's category (the contact address when nobody does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.partners.logic import invite_partner
from shared.partners.models import PartnerInvite
from tests.conftest import Mailbox, call_api
from tests.factories import Caller, add_user, create_asset, create_group, sign_up
from tests.jobs_support import create_job, principal, setup

pytestmark = pytest.mark.usefixtures("dynamodb")


def notes(caller: Caller, **query: Any) -> dict[str, Any]:
    r = call_api("GET", "/notifications", as_user=caller, query={"limit": 100, **query})
    assert r.status == 200, r.body
    return dict(r.json())


def kinds(caller: Caller) -> list[str]:
    return [n["kind"] for n in notes(caller)["items"]]


def connect(fleet: Caller, vendor: Caller) -> dict[str, Any]:
    conn = call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id}).json()
    assert call_api("POST", f"/connections/{conn['connection_id']}/accept", as_user=vendor).status == 200
    return dict(conn)


# -- the list, the unread count, mark one and all ------------------------------------------------------
def test_the_unread_count_follows_new_notifications_and_marking_one_or_all_read():
    fleet, vendor = sign_up("fleet"), sign_up("vendor")
    assert notes(vendor) == {"items": [], "next_cursor": None, "unread_count": 0}
    for _ in range(3):  # request, cancel: two notifications of the vendor each time
        conn = call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id}).json()
        assert call_api("POST", f"/connections/{conn['connection_id']}/cancel", as_user=fleet).status == 200
    listed = notes(vendor)
    assert listed["unread_count"] == 6 and len(listed["items"]) == 6
    assert {n["category"] for n in listed["items"]} == {"connections"}
    assert notes(fleet)["unread_count"] == 0, "the actor's organization is not told of what it did"

    newest = listed["items"][0]["notification_id"]
    r = call_api("POST", f"/notifications/{newest}/read", as_user=add_user(vendor, "vendor"))
    assert r.status == 200 and r.json()["read_at"], r.body
    again = call_api("POST", f"/notifications/{newest}/read", as_user=vendor)
    assert again.json()["read_at"] == r.json()["read_at"], "marking again keeps the first time"
    assert notes(vendor)["unread_count"] == 5, "read state is the organization's, counted once"
    assert len(notes(vendor, unread="true")["items"]) == 5
    assert call_api("POST", f"/notifications/{newest}/read", as_user=fleet).status == 404
    assert call_api("POST", "/notifications/ntf_nope/read", as_user=vendor).status == 404

    r = call_api("POST", "/notifications/read-all", as_user=vendor)
    assert r.status == 200 and r.json() == {"marked": 5, "unread_count": 0}, r.body
    assert notes(vendor)["unread_count"] == 0 and notes(vendor, unread="true")["items"] == []
    assert call_api("POST", "/notifications/read-all", as_user=vendor).json() == {"marked": 0, "unread_count": 0}


def test_mark_all_read_crosses_transactions_of_99(monkeypatch):
    """More unread than one transaction holds (99 and the count): several transactions, the count exact."""
    from shared.notifications import logic

    monkeypatch.setattr(logic, "CHUNK", 2)  # the same path as 99, with 5 notifications instead of 200
    monkeypatch.setattr(logic, "MAX_READ_ALL", 4)
    fleet, vendor = sign_up("fleet"), sign_up("vendor")
    conn = connect(fleet, vendor)  # the vendor: requested; the fleet: accepted
    for n in range(4):
        call_api("PUT", f"/connections/{conn['connection_id']}/groups", as_user=fleet,
                 json_body={"group_ids": [], "version": n})
    assert notes(vendor)["unread_count"] == 5
    assert call_api("POST", "/notifications/read-all", as_user=vendor).json() == {"marked": 4, "unread_count": 1}
    assert call_api("POST", "/notifications/read-all", as_user=vendor).json() == {"marked": 1, "unread_count": 0}
    assert all(n["read_at"] for n in notes(vendor)["items"])


# -- email preferences ---------------------------------------------------------------------------------
def test_preferences_default_by_role_and_replace_with_the_version_read():
    fleet = sign_up("fleet")
    viewer = add_user(fleet, "customer")
    admin = call_api("GET", "/me/notification-preferences", as_user=fleet)
    assert admin.status == 200 and all(admin.json()["email"].values()) and admin.json()["chosen"] == []
    mine = call_api("GET", "/me/notification-preferences", as_user=viewer).json()
    assert {c for c, on in mine["email"].items() if on} == {"jobs"} and mine["version"] == 0

    r = call_api("PUT", "/me/notification-preferences", as_user=viewer,
                 json_body={"email": {"integration": True, "jobs": False}, "version": 0})
    assert r.status == 200, r.body
    assert {c for c, on in r.json()["email"].items() if on} == {"integration"}
    assert sorted(r.json()["chosen"]) == ["integration", "jobs"] and r.json()["version"] == 1
    assert call_api("GET", "/me/notification-preferences", as_user=viewer).json() == r.json()
    stale = call_api("PUT", "/me/notification-preferences", as_user=viewer, json_body={"email": {}, "version": 0})
    assert stale.status == 409 and "version" in stale.json()["error"]["message"]
    r = call_api("PUT", "/me/notification-preferences", as_user=viewer, json_body={"email": {}, "version": 1})
    assert r.json()["chosen"] == [] and {c for c, on in r.json()["email"].items() if on} == {"jobs"}, "defaults again"
    assert call_api("GET", "/me/notification-preferences", as_user=fleet).json()["version"] == 0, "per user"

    bodies: tuple[dict[str, Any], ...] = (
        {"email": {"weather": True}, "version": 2}, {"email": {"jobs": "often"}, "version": 2}, {"email": {}},
        {"version": 2})
    for body in bodies:
        bad = call_api("PUT", "/me/notification-preferences", as_user=viewer, json_body=body)
        assert bad.status == 422 and bad.json()["error"]["details"], (body, bad.body)


def test_the_emails_go_to_the_users_who_want_the_category_else_to_the_contact_address(mailbox: Mailbox):
    fleet, vendor = sign_up("fleet", "Harbor Freight"), sign_up("vendor", "Bay Repair")
    technician, second_admin = add_user(vendor, "vendor"), add_user(vendor, "vendor_admin")
    contact = f"ops-{vendor.user_id}@example.com"

    def told(address: str | None) -> list[str]:  # the subjects of the connection requests mailed to `address`
        assert address
        return [m["Subject"] for m in mailbox.to(address) if "wants to connect" in m["Subject"]]

    call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id})
    assert len(told(vendor.email)) == 1 and len(told(second_admin.email)) == 1, "admins: every category"
    assert told(technician.email) == [] and told(contact) == [], "a technician: jobs only; users want it"

    for user, choice in ((vendor, False), (second_admin, False), (technician, True)):
        r = call_api("PUT", "/me/notification-preferences", as_user=user,
                     json_body={"email": {"connections": choice}, "version": 0})
        assert r.status == 200, r.body
    other = sign_up("fleet", "Dock Lines")
    call_api("POST", "/connections", as_user=other, json_body={"org_id": vendor.org_id})
    [subject] = told(technician.email)
    assert "Dock Lines" in subject
    assert len(told(vendor.email)) == 1 and len(told(second_admin.email)) == 1, "opted out"

    call_api("PUT", "/me/notification-preferences", as_user=technician,
             json_body={"email": {"connections": False}, "version": 1})
    third = sign_up("fleet", "Pier Nine")
    call_api("POST", "/connections", as_user=third, json_body={"org_id": vendor.org_id})
    [fallback] = told(contact)
    assert "Pier Nine" in fallback, "nobody wants it: the organization's contact address"
    assert len(told(technician.email)) == 1
    assert notes(vendor)["unread_count"] == 3, "the dashboard has every one, whatever the emails"


# -- each event its entry ------------------------------------------------------------------------------
def test_group_access_changes_tell_the_vendor():
    fleet, vendor = sign_up("fleet", "Harbor Freight"), sign_up("vendor")
    conn = connect(fleet, vendor)
    group = create_group(fleet, "East", asset_ids=[create_asset(fleet)["asset_id"]])
    r = call_api("PUT", f"/connections/{conn['connection_id']}/groups", as_user=fleet,
                 json_body={"group_ids": [group["group_id"]], "version": 0})
    assert r.status == 200, r.body
    [note] = [n for n in notes(vendor)["items"] if n["kind"] == "connection.groups_changed"]
    assert note["data"]["group_ids"] == [group["group_id"]] and "Harbor Freight" in note["title"]
    assert "connection.groups_changed" not in kinds(fleet)


def test_partner_invitations_and_endings_tell_the_other_side():
    fleet, vendor = sign_up("fleet", "Harbor Freight"), sign_up("vendor", "Bay Installers")
    stranger = invite_partner(principal(fleet), PartnerInvite(email="nobody@nowhere.example"))
    assert stranger.created and kinds(vendor) == [], "an address nobody signs in with: the email is enough"
    invited = invite_partner(principal(fleet), PartnerInvite(email=vendor.email))
    [note] = notes(vendor)["items"]
    assert note["kind"] == "partner.invited" and note["category"] == "partners"
    assert invited.token and invited.token not in str(note), "the link goes only to the address"
    r = call_api("POST", "/partner-invitations/decline", as_user=vendor, json_body={"token": invited.token})
    assert r.status == 200, r.body
    assert kinds(fleet) == ["partner.declined"]

    s = setup()
    assert kinds(s.fleet) == ["partner.accepted"]
    assert call_api("POST", f"/partners/{s.invitation_id}/remove", as_user=s.fleet).status == 200
    assert "partner.removed" in kinds(s.vendor)
    t = setup()
    assert call_api("POST", f"/partners/fleets/{t.fleet.org_id}/leave", as_user=t.vendor).status == 200
    assert kinds(t.fleet) == ["partner.left", "partner.accepted"]


def test_a_fleet_deleting_an_assigned_job_tells_its_partner():
    s = setup()
    job = create_job(s.fleet, partner_id=s.partner_id)
    pending = create_job(s.fleet)
    r = call_api("POST", "/jobs/bulk", as_user=s.fleet,
                 json_body={"job_ids": [job["job_id"], pending["job_id"]], "action": "delete"})
    assert r.status == 200 and r.json()["done"] == 2, r.body
    assert kinds(s.vendor) == ["job_deleted", "job_assigned"]
    assert notes(s.vendor)["items"][0]["data"]["job_id"] == job["job_id"]


def test_service_connections_tell_the_fleet_of_requests_and_the_merchant_of_decisions():
    fleet, merchant = sign_up("fleet", "Harbor Freight"), sign_up("vendor", "Fuel Depot")
    service = call_api("POST", "/services", as_user=fleet, json_body={"name": "Fuel cards"}).json()
    conn = call_api("POST", "/service-connections", as_user=merchant,
                    json_body={"service_id": service["service_id"]}).json()
    assert kinds(fleet) == ["service_connection.requested"]
    for decision in ("accept", "revoke"):
        r = call_api("POST", f"/service-connections/{conn['connection_id']}/{decision}", as_user=fleet)
        assert r.status == 200, r.body
    assert kinds(merchant) == ["service_connection.revoked", "service_connection.accepted"]
    again = call_api("POST", "/service-connections", as_user=merchant,
                     json_body={"service_id": service["service_id"]}).json()
    call_api("POST", f"/service-connections/{again['connection_id']}/reject", as_user=fleet)
    assert kinds(merchant)[0] == "service_connection.rejected"
    assert {n["category"] for n in notes(merchant)["items"]} == {"services"}


def test_failing_webhook_signatures_tell_the_fleet_once_per_episode(fleetrock):
    from tests.fleetrock_support import active_integration, envelope, post_webhook

    admin = sign_up("fleet")
    integration_id, secret = active_integration(admin, fleetrock)
    for _ in range(5):
        r = post_webhook(integration_id, secret, envelope("repair_order.updated", {"id": "R1"}), signature="bad")
        assert r.status == 401
    [note] = [n for n in notes(admin)["items"] if n["category"] == "integration"]
    assert note["kind"] == "integration.webhook_signatures_failing"
    assert note["data"] == {"integration_id": integration_id}


def test_a_customer_opening_an_expired_link_tells_the_vendor_once_per_link(monkeypatch):
    from shared.portal.view import session
    from tests.portal_helpers import create_customer, create_customer_user, create_site, enable_link, open_link

    vendor = sign_up("vendor", "Bay Repair")
    customer = create_customer(vendor)
    site = create_site(vendor, customer["customer_id"])
    user = create_customer_user(vendor, customer["customer_id"], [site["site_id"]])
    link = enable_link(vendor, user["customer_user_id"])
    assert open_link(link["token"]).status == 201
    later = datetime.now(UTC) + timedelta(days=400)
    monkeypatch.setattr("shared.portal.view.auth.utc_now", lambda: later)
    monkeypatch.setattr(session, "utc_now", lambda: later)
    for _ in range(3):
        r = open_link(link["token"])
        assert r.status == 401 and "expired" in r.json()["error"]["message"], r.body
    [note] = notes(vendor)["items"]
    assert note["kind"] == "portal.link_expired" and note["data"]["customer_user_id"] == user["customer_user_id"]
