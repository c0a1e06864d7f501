"""Fleet services, merchants' service connections (pending -> accepted | rejected; accepted -> revoked), orders."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import call_api
from tests.factories import Caller, add_user, create_asset, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")
SERVICE_ID = re.compile(r"^SVC-[ABCDEFGHJKLMNPRSTUVWXYZ2-9]{5}$")






def contact_of(caller: Caller) -> str:
    """sign_up's contact address; notifications mail the users who want them instead (the admin by default:
    Caller.email), this address only when nobody does."""
    return f"ops-{caller.user_id}@example.com"


@pytest.fixture
def fleet() -> Caller:
    return sign_up("fleet", "Harbor Freight")


@pytest.fixture
def merchant() -> Caller:
    return sign_up("vendor", "Fuel Depot")


def create_service(fleet: Caller, name: str = "Fuel cards") -> dict[str, Any]:
    r = call_api("POST", "/services", as_user=fleet, json_body={"name": name, "description": "Diesel on account"})
    assert r.status == 201, r.body
    return r.json()


def request(merchant: Caller, service_id: str) -> Any:
    return call_api("POST", "/service-connections", as_user=merchant, json_body={"service_id": service_id})


def decide(fleet: Caller, connection_id: str, decision: str) -> Any:
    return call_api("POST", f"/service-connections/{connection_id}/{decision}", as_user=fleet)


def connected(fleet: Caller, merchant: Caller, service: dict[str, Any]) -> dict[str, Any]:
    conn = request(merchant, service["service_id"]).json()
    r = decide(fleet, conn["connection_id"], "accept")
    assert r.status == 200, r.body
    return r.json()


def order(merchant: Caller, service_id: str, **fields: Any) -> Any:
    return call_api("POST", f"/services/{service_id}/orders", as_user=merchant,
                    json_body={"description": "200 gal diesel", "amount": "412.50", **fields})


def audit_actions(caller: Caller) -> list[str]:
    return [e["action"] for e in call_api("GET", "/audit", as_user=caller).json()["items"]]


# -- services --------------------------------------------------------------------------------
def test_fleet_creates_services_with_short_unique_ids(fleet):
    manager = add_user(fleet, "manager")
    customer = add_user(fleet, "customer")
    created = [create_service(u, f"Service {n}") for n, u in enumerate((fleet, manager, customer))]
    ids = {s["service_id"] for s in created}
    assert len(ids) == 3 and all(SERVICE_ID.match(i) for i in ids)
    listed = call_api("GET", "/services", as_user=customer).json()
    assert {s["service_id"] for s in listed["items"]} == ids
    assert {s["name"] for s in listed["items"]} == {"Service 0", "Service 1", "Service 2"}
    other = sign_up("fleet", "Other")
    assert call_api("GET", "/services", as_user=other).json()["items"] == []


def test_vendors_have_no_services_and_bad_bodies_are_422(fleet, merchant):
    assert call_api("POST", "/services", as_user=merchant, json_body={"name": "x"}).status == 403
    assert call_api("GET", "/services", as_user=merchant).status == 403
    for body in ({}, {"name": ""}, {"name": "x", "id": "SVC-AAAAA"}, {"name": "x" * 121}):
        assert call_api("POST", "/services", as_user=fleet, json_body=body).status == 422, body


# -- requests and decisions ------------------------------------------------------------------
def test_merchant_requests_by_service_id_and_the_fleet_is_emailed(fleet, merchant, mailbox):
    service = create_service(fleet)
    typed = service["service_id"].removeprefix("SVC-").lower()  # as a person may type it
    r = request(merchant, f"  {typed} ")
    assert r.status == 201, r.body
    conn = r.json()
    assert conn["status"] == "pending" and conn["service_id"] == service["service_id"]
    assert (conn["fleet_id"], conn["merchant_id"]) == (fleet.org_id, merchant.org_id)
    assert (conn["fleet_name"], conn["merchant_name"], conn["service_name"]) == ("Harbor Freight", "Fuel Depot",
                                                                                 "Fuel cards")
    [message] = mailbox.to(fleet.email)
    assert "Fuel Depot" in message["Subject"] and service["service_id"] in message.get_content()
    again = request(merchant, service["service_id"])
    assert again.status == 200 and again.json()["connection_id"] == conn["connection_id"]
    assert len(mailbox.to(fleet.email)) == 1
    for caller in (fleet, merchant):
        got = call_api("GET", f"/service-connections/{conn['connection_id']}", as_user=caller)
        assert got.status == 200 and got.json() == conn


def test_unknown_or_malformed_service_ids(merchant):
    r = request(merchant, "SVC-ZZZZZ")
    assert r.status == 404 and r.json()["error"]["details"][0]["field"] == "service_id"
    for bad in ("SVC-12", "SVC-ABC!D", "", "SVC-ABCDEF"):
        assert request(merchant, bad).status == 422, bad


def test_accept_reject_revoke_rules_emails_and_audit(fleet, merchant, mailbox):
    service = create_service(fleet)
    conn = request(merchant, service["service_id"]).json()
    cid = conn["connection_id"]
    r = decide(fleet, cid, "revoke")
    assert r.status == 409 and "only an accepted one can be revoked" in r.json()["error"]["message"], r.body
    accepted = decide(fleet, cid, "accept")
    assert accepted.status == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["version"] == conn["version"] + 1
    for decision in ("accept", "reject"):
        r = decide(fleet, cid, decision)
        assert r.status == 409 and "accepted" in r.json()["error"]["message"]
    assert request(merchant, service["service_id"]).status == 409  # connected already
    revoked = decide(fleet, cid, "revoke")
    assert revoked.status == 200 and revoked.json()["status"] == "revoked"
    for decision in ("accept", "reject", "revoke"):
        assert decide(fleet, cid, decision).status == 409
    subjects = [m["Subject"] for m in mailbox.to(merchant.email)]
    assert subjects == ["Harbor Freight accepted your request", "Harbor Freight ended your connection"]
    for org in (fleet, merchant):
        actions = audit_actions(org)
        assert actions[:2] == ["service_connection.revoked", "service_connection.accepted"], actions
    event = call_api("GET", "/audit", as_user=merchant).json()["items"][0]
    assert event["before"]["status"] == "accepted" and event["after"]["status"] == "revoked"
    assert event["actor_id"] == fleet.user_id and event["target_id"] == cid
    # after a revocation the merchant may ask again: a new request
    again = request(merchant, service["service_id"])
    assert again.status == 201 and again.json()["connection_id"] != cid


def test_rejected_request_frees_the_pair(fleet, merchant, mailbox):
    service = create_service(fleet)
    cid = request(merchant, service["service_id"]).json()["connection_id"]
    r = decide(fleet, cid, "reject")
    assert r.status == 200 and r.json()["status"] == "rejected"
    assert [m["Subject"] for m in mailbox.to(merchant.email)] == ["Harbor Freight declined your request"]
    assert "service_connection.rejected" in audit_actions(merchant)
    r = order(merchant, service["service_id"])
    assert r.status == 403 and "was rejected on " in r.json()["error"]["message"], r.body
    assert request(merchant, service["service_id"]).status == 201


def test_roles_and_other_tenants(fleet, merchant):
    service = create_service(fleet)
    cid = request(merchant, service["service_id"]).json()["connection_id"]
    # merchants do not decide, fleets do not request
    assert decide(merchant, cid, "accept").status == 403
    assert request(fleet, service["service_id"]).status == 403
    other_fleet, other_vendor = sign_up("fleet", "Other Fleet"), sign_up("vendor", "Other Shop")
    for decision in ("accept", "reject", "revoke"):
        r = decide(other_fleet, cid, decision)
        assert r.status == 404 and "Harbor" not in r.body
    for caller in (other_fleet, other_vendor):
        assert call_api("GET", f"/service-connections/{cid}", as_user=caller).status == 404
        assert call_api("GET", "/service-connections", as_user=caller).json()["items"] == []
    assert call_api("GET", f"/services/{service['service_id']}/orders", as_user=other_fleet).status == 404
    assert decide(fleet, "scn_unknown", "accept").status == 404
    assert call_api("GET", f"/service-connections/{cid}", as_user=fleet).json()["status"] == "pending"


def test_both_sides_list_their_service_connections_by_status(fleet, merchant):
    second_merchant = sign_up("vendor", "Tire Shop")
    fuel, tires = create_service(fleet, "Fuel"), create_service(fleet, "Tires")
    a = request(merchant, fuel["service_id"]).json()
    b = request(merchant, tires["service_id"]).json()
    c = request(second_merchant, tires["service_id"]).json()
    decide(fleet, a["connection_id"], "accept")

    def ids(caller: Caller, **query: Any) -> list[str]:
        r = call_api("GET", "/service-connections", as_user=caller, query=query)
        assert r.status == 200, r.body
        return [i["connection_id"] for i in r.json()["items"]]

    assert set(ids(fleet)) == {a["connection_id"], b["connection_id"], c["connection_id"]}
    assert ids(fleet, status="pending") == [c["connection_id"], b["connection_id"]]  # newest first
    assert ids(fleet, status="accepted") == [a["connection_id"]]
    assert ids(fleet, status="pending", service_id=tires["service_id"].lower()) == [c["connection_id"],
                                                                                  b["connection_id"]]
    assert set(ids(merchant)) == {a["connection_id"], b["connection_id"]}
    assert ids(merchant, status="accepted") == [a["connection_id"]]
    assert ids(second_merchant) == [c["connection_id"]]
    assert ids(merchant, status="revoked") == []
    page = call_api("GET", "/service-connections", as_user=fleet, query={"limit": 2}).json()
    rest = call_api("GET", "/service-connections", as_user=fleet,
                    query={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert len(page["items"]) == 2 and len(rest["items"]) == 1
    assert call_api("GET", "/service-connections", as_user=fleet, query={"status": "open"}).status == 422


# -- orders --------------------------------------------------------------------------------
def test_accepted_merchant_records_orders_that_both_sides_list(fleet, merchant):
    service = create_service(fleet)
    sid = service["service_id"]
    other_merchant = sign_up("vendor", "Other Depot")
    assert order(merchant, sid).status == 403  # no connection yet
    cid = request(merchant, sid).json()["connection_id"]
    r = order(merchant, sid)
    assert r.status == 403 and "pending" in r.json()["error"]["message"]
    decide(fleet, cid, "accept")
    connected(fleet, other_merchant, service)
    truck = create_asset(fleet)
    first = order(merchant, sid, asset_id=truck["asset_id"], amount=412.5)
    assert first.status == 201, first.body
    placed = first.json()
    assert placed["amount"] == "412.50" and placed["asset_id"] == truck["asset_id"]
    assert (placed["fleet_id"], placed["merchant_id"], placed["connection_id"]) == (fleet.org_id, merchant.org_id, cid)
    second = order(merchant, sid.lower(), description="Oil change", amount="0")
    assert second.status == 201 and second.json()["amount"] == "0.00" and second.json()["asset_id"] is None
    theirs = order(other_merchant, sid, amount="19.99").json()

    def listed(caller: Caller) -> list[str]:
        r = call_api("GET", f"/services/{sid}/orders", as_user=caller)
        assert r.status == 200, r.body
        return [o["order_id"] for o in r.json()["items"]]

    assert listed(fleet) == [theirs["order_id"], second.json()["order_id"], placed["order_id"]]
    assert listed(merchant) == [second.json()["order_id"], placed["order_id"]]
    assert listed(other_merchant) == [theirs["order_id"]]
    assert listed(sign_up("vendor", "Stranger")) == []  # its own orders: none


def test_order_validation(fleet, merchant):
    service = create_service(fleet)
    sid = service["service_id"]
    connected(fleet, merchant, service)
    foreign_asset = create_asset(sign_up("fleet", "Other Fleet"))
    r = order(merchant, sid, asset_id=foreign_asset["asset_id"])
    assert r.status == 422 and r.json()["error"]["details"] == [
        {"field": "asset_id", "message": f"no asset {foreign_asset['asset_id']} in this service's fleet"}]
    for bad in ({"amount": "-1.00"}, {"amount": "1.005"}, {"amount": "abc"}, {"description": ""},
                {"amount": "1", "currency": "EUR"}):
        r = order(merchant, sid, **bad)
        assert r.status == 422, (bad, r.body)
    r = call_api("POST", f"/services/{sid}/orders", as_user=merchant, json_body={"description": "no amount"})
    assert r.status == 422
    assert order(merchant, "SVC-ZZZZZ").status == 404
    assert call_api("GET", "/services/SVC-ZZZZZ/orders", as_user=merchant).status == 404
    assert order(fleet, sid).status == 403  # fleets do not place orders


def test_revoked_merchant_cannot_order_but_sees_its_past_orders(fleet, merchant):
    service = create_service(fleet)
    sid = service["service_id"]
    conn = connected(fleet, merchant, service)
    placed = order(merchant, sid).json()
    decide(fleet, conn["connection_id"], "revoke")
    r = order(merchant, sid)
    assert r.status == 403 and r.error_code == "forbidden"
    assert f"service {sid} was revoked on " in r.json()["error"]["message"], r.body  # not "does not exist"
    orders = call_api("GET", f"/services/{sid}/orders", as_user=merchant).json()["items"]
    assert [o["order_id"] for o in orders] == [placed["order_id"]]


def test_an_order_racing_with_a_revocation_is_refused(fleet, merchant, monkeypatch):
    """The status read before the write is stale: the transaction's own check refuses the order."""
    from shared.auth.principal import Principal, Role
    from shared.errors import Forbidden
    from shared.services import dal, logic
    from shared.services.models import OrderCreate

    service = create_service(fleet)
    conn = connected(fleet, merchant, service)
    stale = dal.get_connection_item(conn["connection_id"])
    decide(fleet, conn["connection_id"], "revoke")
    monkeypatch.setattr(dal, "live_connection_item", lambda service_id, merchant_id: stale)
    caller = Principal(user_id=merchant.user_id, org_id=merchant.org_id, role=Role(merchant.role))
    with pytest.raises(Forbidden, match="ended meanwhile"):
        logic.place_order(caller, service["service_id"], OrderCreate(description="late", amount="1.00"))
    assert call_api("GET", f"/services/{service['service_id']}/orders", as_user=fleet).json()["items"] == []
