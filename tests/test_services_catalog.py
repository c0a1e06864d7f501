"""A fleet's services over their life: the first one at sign-up, rename, deactivate, the merchant guide."""

from __future__ import annotations

import pytest

from tests.conftest import Mailbox, call_api
from tests.factories import sign_up
from tests.test_services import connected, contact_of, create_service, order, request

pytestmark = pytest.mark.usefixtures("dynamodb")


def services_of(fleet) -> list[dict]:
    return list(call_api("GET", "/services", as_user=fleet).json()["items"])


def test_every_new_fleet_gets_one_service_id_and_only_one(mailbox: Mailbox):
    fleet, vendor = sign_up("fleet", "Harbor Freight"), sign_up("vendor", "Fuel Depot")
    mailbox.poller.drain()  # the organizations' records: the fleet's gets its first service
    [first] = services_of(fleet)
    assert first["name"] == "Main service" and first["service_id"].startswith("SVC-")
    assert call_api("GET", "/services", as_user=vendor).status == 403  # vendors have none
    mailbox.poller.drain()
    assert len(services_of(fleet)) == 1, "a record seen again gives no second one"
    audit = call_api("GET", "/audit", as_user=fleet).json()["items"]
    assert [e["action"] for e in audit if e["action"].startswith("service.")] == ["service.created"]


def test_rename_deactivate_and_reactivate(mailbox: Mailbox):
    fleet, merchant, newcomer = sign_up("fleet"), sign_up("vendor", "Fuel Depot"), sign_up("vendor", "Late Co")
    service = create_service(fleet)
    sid = service["service_id"]
    connected(fleet, merchant, service)
    r = call_api("PATCH", f"/services/{sid}", as_user=fleet, json_body={"version": service["version"],
                                                                        "name": "Diesel on account"})
    assert r.status == 200 and r.json()["name"] == "Diesel on account", r.body
    stale = call_api("PATCH", f"/services/{sid}", as_user=fleet, json_body={"version": service["version"], "name": "x"})
    assert stale.status == 409
    r = call_api("POST", f"/services/{sid}/deactivate", as_user=fleet)
    assert r.status == 200 and r.json()["deactivated_at"], r.body
    refused = request(newcomer, sid)
    assert refused.status == 409 and "takes no new requests" in refused.json()["error"]["message"]
    assert order(merchant, sid).status == 201, "an accepted merchant keeps ordering until revoked"
    assert call_api("GET", f"/services/{sid}/guide", as_user=fleet).json()["accepting_requests"] is False
    r = call_api("POST", f"/services/{sid}/reactivate", as_user=fleet)
    assert r.status == 200 and r.json()["deactivated_at"] is None
    assert request(newcomer, sid).status == 201
    actions = [e["action"] for e in call_api("GET", "/audit", as_user=fleet).json()["items"]]
    assert {"service.updated", "service.deactivated", "service.reactivated"} <= set(actions)
    assert call_api("POST", f"/services/{sid}/deactivate", as_user=sign_up("fleet")).status == 404


def test_the_guide_names_the_id_and_steps_and_goes_to_a_merchant_by_email(mailbox: Mailbox):
    fleet = sign_up("fleet", "Harbor Freight")
    sid = create_service(fleet, "Fuel cards")["service_id"]
    r = call_api("GET", f"/services/{sid}/guide", as_user=fleet)
    assert r.status == 200, r.body
    guide = r.json()
    assert (guide["service_id"], guide["service_name"], guide["fleet_name"]) == (sid, "Fuel cards", "Harbor Freight")
    assert any(sid in step for step in guide["steps"]) and len(guide["steps"]) >= 3
    r = call_api("POST", f"/services/{sid}/guide/send", as_user=fleet,
                 json_body={"email": "orders@fueldepot.example", "note": "See you Monday"})
    assert r.status == 202, r.body
    [mail] = mailbox.to("orders@fueldepot.example")
    text = mail.get_content() if hasattr(mail, "get_content") else str(mail)
    assert mail["Subject"] == "Harbor Freight invites you to connect to Fuel cards"
    assert sid in text and "See you Monday" in text
    bad = call_api("POST", f"/services/{sid}/guide/send", as_user=fleet, json_body={"email": "not-an-address"})
    assert bad.status == 422
    assert contact_of(fleet) not in [m["To"] for m in mailbox.smtp.messages]
