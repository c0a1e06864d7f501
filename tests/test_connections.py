"""Connection requests: lifecycle, one live connection per pair, races, notifications and emails."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from dev.stream_poller import StreamPoller
from shared.auth.principal import Principal, Role
from shared.connections import logic
from shared.errors import Conflict
from tests.conftest import TEST_ENV, call_api
from tests.factories import Caller, add_user, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")


@pytest.fixture
def fleet():
    return sign_up("fleet", "Acme Freight")


@pytest.fixture
def vendor():
    return sign_up("vendor", "Bay Repair")


def request(caller: Caller, other: Caller, **body):
    return call_api("POST", "/connections", as_user=caller, json_body={"org_id": other.org_id, **body})


def act(caller: Caller, connection_id: str, action: str):
    return call_api("POST", f"/connections/{connection_id}/{action}", as_user=caller)


def principal(caller: Caller) -> Principal:
    return Principal(user_id=caller.user_id, org_id=caller.org_id, role=Role(caller.role))


def test_request_accept_disconnect(fleet, vendor):
    r = request(fleet, vendor, message="We run 40 trucks in MA")
    assert r.status == 201, r.body
    conn = r.json()
    assert conn["status"] == "pending" and conn["fleet_name"] == "Acme Freight" and conn["vendor_name"] == "Bay Repair"
    for side in (fleet, vendor):
        assert [c["connection_id"] for c in call_api("GET", "/connections", as_user=side).json()["items"]] == [
            conn["connection_id"]]
    assert act(fleet, conn["connection_id"], "accept").status == 403  # the requester cannot accept
    accepted = act(vendor, conn["connection_id"], "accept")
    assert accepted.status == 200 and accepted.json()["status"] == "accepted"
    assert act(vendor, conn["connection_id"], "accept").status == 409
    pending = call_api("GET", "/connections", as_user=fleet, query={"status": "pending"}).json()["items"]
    assert pending == []
    assert len(call_api("GET", "/connections", as_user=fleet, query={"status": "accepted"}).json()["items"]) == 1
    r = act(fleet, conn["connection_id"], "disconnect")
    assert r.status == 200 and r.json()["status"] == "disconnected"
    assert act(vendor, conn["connection_id"], "disconnect").status == 409
    # the pair is free again: a new request is a new connection
    again = request(vendor, fleet)
    assert again.status == 201 and again.json()["connection_id"] != conn["connection_id"]


def test_one_live_connection_per_pair_and_crossing_requests(fleet, vendor):
    first = request(fleet, vendor).json()
    dup = request(fleet, vendor)
    assert dup.status == 409 and first["connection_id"] in dup.json()["error"]["message"]
    crossing = request(vendor, fleet)
    assert crossing.status == 200 and crossing.json()["connection_id"] == first["connection_id"]
    colleague = add_user(vendor, "vendor")
    assert request(colleague, fleet).json()["connection_id"] == first["connection_id"]


def test_reject_and_cancel(fleet, vendor):
    conn = request(fleet, vendor).json()
    assert act(fleet, conn["connection_id"], "reject").status == 403
    assert act(vendor, conn["connection_id"], "cancel").status == 403  # only the requester cancels
    assert act(vendor, conn["connection_id"], "reject").json()["status"] == "rejected"
    assert act(vendor, conn["connection_id"], "disconnect").status == 409
    conn = request(fleet, vendor).json()
    assert act(fleet, conn["connection_id"], "cancel").json()["status"] == "cancelled"
    assert act(fleet, conn["connection_id"], "cancel").status == 409


def test_request_rules(fleet, vendor):
    other_fleet = sign_up("fleet", "Other Fleet")
    r = request(fleet, other_fleet)
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "org_id"
    r = call_api("POST", "/connections", as_user=fleet, json_body={"org_id": fleet.org_id})
    assert r.status == 422
    assert call_api("POST", "/connections", as_user=fleet, json_body={"org_id": "org_missing"}).status == 404


def test_other_organizations_see_nothing(fleet, vendor):
    conn = request(fleet, vendor).json()
    outsider = sign_up("vendor", "Outsider")
    for action in ("accept", "reject", "cancel", "disconnect"):
        assert act(outsider, conn["connection_id"], action).status == 404
    assert call_api("GET", f"/connections/{conn['connection_id']}", as_user=outsider).status == 404
    assert call_api("GET", "/connections", as_user=outsider).json()["items"] == []


@pytest.mark.parametrize("actions", [("accept", "reject"), ("accept", "accept"), ("reject", "cancel")])
def test_racing_transitions_one_wins(fleet, vendor, actions):
    conn = request(fleet, vendor).json()
    by = {"accept": (vendor, logic.accept), "reject": (vendor, logic.reject), "cancel": (fleet, logic.cancel)}

    def attempt(name: str) -> str:
        caller, fn = by[name]
        try:
            fn(principal(caller), conn["connection_id"])
            return "won"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(attempt, actions * 3 if actions[0] == actions[1] else actions))
    assert outcomes.count("won") == 1 and set(outcomes) == {"won", "conflict"}
    final = call_api("GET", f"/connections/{conn['connection_id']}", as_user=fleet).json()
    events = [e["action"] for e in call_api("GET", "/audit", as_user=fleet).json()["items"]]
    assert events.count(f"connection.{final['status']}") == 1


def test_recipient_is_notified_on_the_dashboard_and_by_email_once(fleet, vendor, smtp):
    poller = StreamPoller(table_name=TEST_ENV["TABLE_NAME"], endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"],
                          region=TEST_ENV["AWS_REGION"], start_position="LATEST")
    poller.poll_once()
    conn = request(fleet, vendor, message="hello").json()
    [note] = call_api("GET", "/notifications", as_user=vendor).json()["items"]
    assert note["kind"] == "connection.requested" and note["data"]["connection_id"] == conn["connection_id"]
    assert call_api("GET", "/notifications", as_user=fleet).json()["items"] == []
    poller.drain()
    poller.drain()
    [mail] = smtp.wait_for(1)
    # to the vendor's admin, whose default is every category (not the contact address: a user wants it)
    assert mail["To"] == vendor.email and "Acme Freight" in mail["Subject"]
    assert "hello" in mail.get_content()
    assert len(smtp.messages) == 1

    read = call_api("POST", f"/notifications/{note['notification_id']}/read", as_user=vendor)
    assert read.status == 200 and read.json()["read_at"]
    assert call_api("GET", "/notifications", as_user=vendor, query={"unread": "true"}).json()["items"] == []
    assert call_api("POST", f"/notifications/{note['notification_id']}/read", as_user=fleet).status == 404
    act(vendor, conn["connection_id"], "accept")
    [accepted] = call_api("GET", "/notifications", as_user=fleet).json()["items"]
    assert accepted["kind"] == "connection.accepted"


def test_transitions_are_audited_on_both_sides(fleet, vendor):
    conn = request(fleet, vendor).json()
    act(vendor, conn["connection_id"], "accept")
    vendor_admin_view = call_api("GET", "/audit", as_user=vendor).json()["items"]
    fleet_view = call_api("GET", "/audit", as_user=fleet).json()["items"]
    for events in (vendor_admin_view, fleet_view):
        assert [e["action"] for e in events[:2]] == ["connection.accepted", "connection.requested"]
        assert events[0]["before"]["status"] == "pending" and events[0]["after"]["status"] == "accepted"
