"""One record per fleet-vendor pair (#18 item 1): however a vendor came to work with a fleet (an accepted
connection, an accepted partner invitation), both sides see one record, with its counters, through the API."""

from __future__ import annotations

import pytest

from shared.partners.logic import invite_partner
from shared.partners.models import PartnerInvite
from tests.conftest import Mailbox, call_api
from tests.factories import add_user, create_asset, create_group, sign_up
from tests.jobs_support import act, principal
from tests.test_jobs_import import install_row, send, to_csv

pytestmark = pytest.mark.usefixtures("dynamodb")


def connect(fleet, vendor) -> str:
    conn = call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id}).json()
    assert call_api("POST", f"/connections/{conn['connection_id']}/accept", as_user=vendor).status == 200
    return str(conn["connection_id"])


def grant(fleet, connection_id: str, *group_ids: str) -> None:
    version = call_api("GET", f"/connections/{connection_id}/groups", as_user=fleet).json()["version"]
    r = call_api("PUT", f"/connections/{connection_id}/groups", as_user=fleet,
                 json_body={"group_ids": list(group_ids), "version": version})
    assert r.status == 200, r.body


def invite(fleet, vendor) -> str:
    invited = invite_partner(principal(fleet), PartnerInvite(email=f"{vendor.user_id}@installs.example"))
    r = call_api("POST", "/partner-invitations/accept", as_user=vendor, json_body={"token": invited.token})
    assert r.status == 200, r.body
    return str(r.json()["invitation_id"])


def fleets_of(vendor) -> list[dict]:
    r = call_api("GET", "/vendor/fleets", as_user=vendor)
    assert r.status == 200, r.body
    return list(r.json()["items"])


def vendors_of(fleet) -> list[dict]:
    r = call_api("GET", "/fleet/vendors", as_user=fleet)
    assert r.status == 200, r.body
    return list(r.json()["items"])


def new_job(fleet, asset, partner_id: str) -> dict:
    r = call_api("POST", "/jobs", as_user=fleet, json_body={
        "kind": "maintenance", "title": f"Service {asset['unit_number']}", "description": "PM",
        "asset_id": asset["asset_id"], "partner_id": partner_id})
    assert r.status == 201, r.body
    return dict(r.json())


def test_a_connection_then_an_invitation_of_the_same_vendor_is_one_record_with_its_counts(mailbox: Mailbox):
    fleet, vendor = sign_up("fleet", "Harbor Freight"), sign_up("vendor", "Bay State Truck Repair")
    technician = add_user(vendor, "vendor")
    trucks = [create_asset(fleet, unit_number=f"T-{n}") for n in range(1, 5)]
    east = create_group(fleet, "East", asset_ids=[t["asset_id"] for t in trucks[:3]])
    assert fleets_of(vendor) == [] and vendors_of(fleet) == []
    connection_id = connect(fleet, vendor)
    grant(fleet, connection_id, east["group_id"])
    partner_id = call_api("GET", f"/organizations/{vendor.org_id}", as_user=vendor).json()["partner_id"]

    [pair] = fleets_of(vendor)
    assert (pair["fleet_id"], pair["fleet_name"], pair["partner_id"], pair["origin"], pair["ways"]) == (
        fleet.org_id, "Harbor Freight", partner_id, "connection", ["connection"])
    assert (pair["granted_group_ids"], pair["granted_asset_count"], pair["open_jobs"], pair["pending_requests"]) == (
        [east["group_id"]], 3, 0, 0)

    jobs = [new_job(fleet, t, partner_id) for t in trucks[:2]]
    act(technician, jobs[0]["job_id"], "start")
    assert fleets_of(vendor)[0]["open_jobs"] == 2, "ASSIGNED and RUNNING count"
    act(technician, jobs[0]["job_id"], "succeed")
    assert fleets_of(vendor)[0]["open_jobs"] == 1
    assert call_api("POST", "/jobs", as_user=fleet, json_body={
        "kind": "maintenance", "title": "Outside", "description": "x", "asset_id": trucks[3]["asset_id"],
        "partner_id": partner_id}).status == 422, "a connection alone: its granted groups only"

    invitation_id = invite(fleet, vendor)  # the fleet invites the same company as an installation partner
    [pair] = fleets_of(vendor)
    assert (pair["origin"], pair["ways"], pair["invitation_id"], pair["connection_id"]) == (
        "connection", ["invitation", "connection"], invitation_id, connection_id), "one record, two ways"
    [seen] = vendors_of(fleet)
    assert (seen["vendor_id"], seen["status"], seen["open_jobs"]) == (vendor.org_id, "active", 1)
    outside = new_job(fleet, trucks[3], partner_id)  # the invitation: any of the fleet's vehicles
    assert fleets_of(vendor)[0]["open_jobs"] == 2

    r = call_api("POST", f"/connections/{connection_id}/disconnect", as_user=fleet)
    assert r.status == 200, r.body
    mailbox.poller.drain()
    [pair] = fleets_of(vendor)
    assert (pair["ways"], pair["granted_group_ids"], pair["granted_asset_count"]) == (["invitation"], None, 0)
    assert call_api("GET", f"/jobs/{jobs[1]['job_id']}", as_user=fleet).json()["status"] == "PENDING", \
        "the job that came through the connection went back"
    assert call_api("GET", f"/jobs/{outside['job_id']}", as_user=fleet).json()["status"] == "ASSIGNED"
    assert pair["open_jobs"] == 1

    r = call_api("POST", f"/partners/{invitation_id}/remove", as_user=fleet)
    assert r.status == 200, r.body
    mailbox.poller.drain()
    assert fleets_of(vendor) == [], "no way left: the vendor no longer works with the fleet"
    [seen] = vendors_of(fleet)
    assert (seen["status"], seen["ways"], seen["open_jobs"]) == ("ended", [], 0)


def test_requests_awaiting_an_answer_are_counted_on_the_pair():
    fleet, vendor = sign_up("fleet"), sign_up("vendor", "Pending Shop")
    invite(fleet, vendor)
    conn = call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id}).json()
    assert fleets_of(vendor)[0]["pending_requests"] == 1
    service = call_api("POST", "/services", as_user=fleet, json_body={"name": "Fuel"}).json()
    asked = call_api("POST", "/service-connections", as_user=vendor, json_body={"service_id": service["service_id"]})
    assert asked.status == 201, asked.body
    assert fleets_of(vendor)[0]["pending_requests"] == 2, "a connection request and a service request"
    assert call_api("POST", f"/connections/{conn['connection_id']}/reject", as_user=vendor).status == 200
    r = call_api("POST", f"/service-connections/{asked.json()['connection_id']}/accept", as_user=fleet)
    assert r.status == 200, r.body
    assert fleets_of(vendor)[0]["pending_requests"] == 0


def test_an_import_and_a_deleted_job_keep_the_open_count():
    fleet, vendor = sign_up("fleet"), sign_up("vendor", "Import Shop")
    invite(fleet, vendor)
    partner_id = call_api("GET", f"/organizations/{vendor.org_id}", as_user=vendor).json()["partner_id"]
    trucks = [create_asset(fleet, unit_number=f"I-{n}") for n in range(4)]
    r = send(fleet, to_csv([install_row(t, partner_id if n < 3 else "") for n, t in enumerate(trucks)]))
    assert r.status in (200, 201), r.body
    assert fleets_of(vendor)[0]["open_jobs"] == 3
    job = next(j for j in call_api("GET", "/jobs", as_user=fleet).json()["items"] if j["status"] == "ASSIGNED")
    assert call_api("DELETE", f"/jobs/{job['job_id']}", as_user=fleet).status == 204
    assert fleets_of(vendor)[0]["open_jobs"] == 2


def test_a_group_counts_its_assets_as_they_come_and_go():
    fleet = sign_up("fleet")
    a, b, c = (create_asset(fleet) for _ in range(3))
    group = create_group(fleet, "Yard", asset_ids=[a["asset_id"]])
    assert group["asset_count"] == 1
    assert call_api("PUT", f"/groups/{group['group_id']}/assets/{b['asset_id']}", as_user=fleet).status in (200, 204)
    r = call_api("PATCH", f"/assets/{c['asset_id']}", as_user=fleet,
                 json_body={"group_ids": [group["group_id"]], "version": c["version"]})
    assert r.status == 200, r.body
    assert call_api("GET", f"/groups/{group['group_id']}", as_user=fleet).json()["asset_count"] == 3
    assert call_api("DELETE", f"/groups/{group['group_id']}/assets/{a['asset_id']}", as_user=fleet).status in (200, 204)
    b_now = call_api("GET", f"/assets/{b['asset_id']}", as_user=fleet).json()
    r = call_api("PATCH", f"/assets/{b['asset_id']}", as_user=fleet, json_body={"group_ids": [],
                                                                              "version": b_now["version"]})
    assert r.status == 200, r.body
    assert call_api("GET", f"/groups/{group['group_id']}", as_user=fleet).json()["asset_count"] == 1


def test_the_lists_are_for_their_side():
    fleet, vendor = sign_up("fleet"), sign_up("vendor")
    assert call_api("GET", "/vendor/fleets", as_user=fleet).status == 403
    assert call_api("GET", "/fleet/vendors", as_user=vendor).status == 403


def test_pairs_and_groups_from_before_the_record_are_migrated_in_place(mailbox: Mailbox):
    from dev.migrate_relationships import migrate
    from shared.assets.public import GroupItem, group_sk
    from shared.connections.relationships import RelationshipItem, relationship_sk
    from shared.db.keys import org_pk

    fleet, vendor = sign_up("fleet", "Old Freight"), sign_up("vendor", "Old Shop")
    trucks = [create_asset(fleet, unit_number=f"O-{n}") for n in range(3)]
    group = create_group(fleet, "Old", asset_ids=[t["asset_id"] for t in trucks[:2]])
    connection_id = connect(fleet, vendor)
    grant(fleet, connection_id, group["group_id"])
    invitation_id = invite(fleet, vendor)
    partner_id = call_api("GET", f"/organizations/{vendor.org_id}", as_user=vendor).json()["partner_id"]
    new_job(fleet, trucks[0], partner_id)
    new_job(fleet, trucks[2], partner_id)
    expected = fleets_of(vendor)
    # as the data was before the record: no pair record, groups without a count
    RelationshipItem(org_pk(fleet.org_id), relationship_sk(vendor.org_id)).delete()
    stored = GroupItem.find(org_pk(fleet.org_id), group_sk(group["group_id"]), consistent_read=True)
    assert stored is not None
    stored.update(actions=[GroupItem.asset_count.remove()], add_version_condition=False)
    assert fleets_of(vendor) == []
    r = call_api("POST", "/jobs", as_user=fleet, json_body={
        "kind": "maintenance", "title": "Still works", "description": "x", "asset_id": trucks[1]["asset_id"],
        "partner_id": partner_id})
    assert r.status == 201 and r.json()["status"] == "ASSIGNED", "read both: the invitation is found the old way"

    assert migrate()["pairs"] >= 1
    [pair] = fleets_of(vendor)
    assert (pair["ways"], pair["invitation_id"], pair["connection_id"], pair["open_jobs"]) == (
        ["invitation", "connection"], invitation_id, connection_id, 3)
    assert (pair["granted_group_ids"], pair["granted_asset_count"]) == ([group["group_id"]], 2)
    assert {k: pair[k] for k in ("partner_id", "origin", "fleet_name")} == {
        k: expected[0][k] for k in ("partner_id", "origin", "fleet_name")} | {"origin": "invitation"}
    migrate()
    assert fleets_of(vendor)[0]["open_jobs"] == 3, "run again: the same counts"
