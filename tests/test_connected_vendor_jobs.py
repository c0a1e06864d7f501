"""One network (#18 item 1, in part): a vendor whose connection a fleet accepted is its partner too, on the
vehicles of the groups the fleet granted it: no second invitation by email."""

from __future__ import annotations

import pytest

from tests.conftest import Mailbox, call_api
from tests.factories import add_user, create_asset, create_group, sign_up
from tests.jobs_support import act

pytestmark = pytest.mark.usefixtures("dynamodb")


def kinds(caller) -> list[str]:
    return [n["kind"] for n in call_api("GET", "/notifications", as_user=caller).json()["items"]
            if n["kind"].startswith("job_")]


def test_a_connected_vendor_works_a_maintenance_job_on_a_truck_of_a_granted_group(mailbox: Mailbox):
    fleet, vendor = sign_up("fleet", "Harbor Freight"), sign_up("vendor", "Bay State Truck Repair")
    technician = add_user(vendor, "vendor")
    granted_truck, other_truck = create_asset(fleet, unit_number="T-101"), create_asset(fleet, unit_number="T-102")
    east = create_group(fleet, "East", asset_ids=[granted_truck["asset_id"]])
    conn = call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id}).json()
    assert call_api("POST", f"/connections/{conn['connection_id']}/accept", as_user=vendor).status == 200
    r = call_api("PUT", f"/connections/{conn['connection_id']}/groups", as_user=fleet,
                 json_body={"group_ids": [east["group_id"]], "version": 0})
    assert r.status == 200, r.body
    partner_id = call_api("GET", f"/organizations/{vendor.org_id}", as_user=vendor).json()["partner_id"]

    job = {"kind": "maintenance", "title": "Brake inspection", "description": "Pulls left",
           "partner_id": partner_id}
    r = call_api("POST", "/jobs", as_user=fleet, json_body={**job, "asset_id": granted_truck["asset_id"]})
    assert r.status == 201, r.body
    created = r.json()
    assert (created["status"], created["partner_org_id"], created["partner_name"]) == (
        "ASSIGNED", vendor.org_id, "Bay State Truck Repair")
    r = call_api("POST", "/jobs", as_user=fleet, json_body={**job, "asset_id": other_truck["asset_id"]})
    assert r.status == 422, r.body
    [detail] = r.json()["error"]["details"]
    assert detail["field"] == "asset_id" and "T-102" in detail["message"] and other_truck["vin"] in detail["message"]

    assert kinds(vendor) == ["job_assigned"]
    assert act(technician, created["job_id"], "start").json()["status"] == "RUNNING"
    assert act(technician, created["job_id"], "succeed", note="pads replaced").json()["status"] == "SUCCEEDED"
    assert sorted(kinds(fleet)) == ["job_started", "job_succeeded"]
    r = call_api("POST", "/jobs", as_user=fleet, json_body={**job, "asset_id": granted_truck["asset_id"],
                                                            "partner_id": "ZZZZZ"})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "partner_id"


def test_without_an_accepted_connection_a_vendor_is_no_partner():
    fleet, vendor = sign_up("fleet"), sign_up("vendor", "Pending Shop")
    truck = create_asset(fleet)
    call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id})  # pending
    partner_id = call_api("GET", f"/organizations/{vendor.org_id}", as_user=vendor).json()["partner_id"]
    r = call_api("POST", "/jobs", as_user=fleet, json_body={
        "kind": "maintenance", "title": "Oil", "description": "Oil change", "asset_id": truck["asset_id"],
        "partner_id": partner_id})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "partner_id", r.body


def test_disconnecting_takes_the_vendors_open_jobs_back_with_their_vehicle_access(mailbox: Mailbox):
    fleet, vendor = sign_up("fleet", "Harbor Freight"), sign_up("vendor", "Bay State Truck Repair")
    technician = add_user(vendor, "vendor")
    trucks = [create_asset(fleet, unit_number=f"T-{n}") for n in (1, 2, 3)]
    group = create_group(fleet, "All", asset_ids=[t["asset_id"] for t in trucks])
    conn = call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id}).json()
    call_api("POST", f"/connections/{conn['connection_id']}/accept", as_user=vendor)
    call_api("PUT", f"/connections/{conn['connection_id']}/groups", as_user=fleet,
             json_body={"group_ids": [group["group_id"]], "version": 0})
    partner_id = call_api("GET", f"/organizations/{vendor.org_id}", as_user=vendor).json()["partner_id"]
    jobs = [call_api("POST", "/jobs", as_user=fleet, json_body={
        "kind": "maintenance", "title": f"Service {t['unit_number']}", "description": "PM", "asset_id": t["asset_id"],
        "partner_id": partner_id}).json() for t in trucks]
    act(technician, jobs[1]["job_id"], "start")
    act(technician, jobs[2]["job_id"], "start")
    act(technician, jobs[2]["job_id"], "succeed")
    mailbox.poller.drain()
    vehicle = f"/vehicles/{trucks[0]['asset_id']}"
    assert call_api("GET", vehicle, as_user=technician).status == 200, "its job's vehicle, while the job is open"

    r = call_api("POST", f"/connections/{conn['connection_id']}/disconnect", as_user=vendor)  # the vendor leaves
    assert r.status == 200, r.body
    mailbox.poller.drain()
    statuses = [call_api("GET", f"/jobs/{j['job_id']}", as_user=fleet).json() for j in jobs]
    assert [s["status"] for s in statuses] == ["PENDING", "PENDING", "SUCCEEDED"], "open ones back; done stays"
    assert all(s["partner_id"] is None for s in statuses[:2])
    assert statuses[1]["history"][-1]["note"] == f"from partner {partner_id}: the connection ended"
    for job in jobs[:2]:
        assert call_api("GET", f"/partner/jobs/{job['job_id']}", as_user=technician).status == 404
    assert call_api("GET", vehicle, as_user=technician).status in (403, 404), "its vehicle access ended"
    assert kinds(vendor).count("job_unassigned") == 2
    mailbox.poller.drain()
    assert [call_api("GET", f"/jobs/{j['job_id']}", as_user=fleet).json()["version"] for j in jobs[:2]] == [
        s["version"] for s in statuses[:2]], "a redelivered record changes nothing"


@pytest.mark.parametrize("who", ["fleet removes", "partner leaves"])
def test_an_invited_partner_removed_or_leaving_gives_its_open_jobs_back(mailbox: Mailbox, who):
    from tests.jobs_support import create_job, setup

    s = setup()
    assigned = create_job(s.fleet, partner_id=s.partner_id)
    running = create_job(s.fleet, partner_id=s.partner_id)
    act(s.technician, running["job_id"], "start")
    if who == "fleet removes":
        r = call_api("POST", f"/partners/{s.invitation_id}/remove", as_user=s.fleet)
        status, told = "REMOVED", str(s.vendor.email)  # its admin: every category by default
    else:
        r = call_api("POST", f"/partners/fleets/{s.fleet.org_id}/leave", as_user=s.vendor)
        status, told = "LEFT", str(s.fleet.email)
    assert r.status == 200 and r.json()["status"] == status, r.body
    mailbox.poller.drain()
    jobs = [call_api("GET", f"/jobs/{j['job_id']}", as_user=s.fleet).json() for j in (assigned, running)]
    assert [(j["status"], j["partner_id"]) for j in jobs] == [("PENDING", None), ("PENDING", None)]
    assert any("Bay Installers" in m["Subject"] or "Harbor Freight" in m["Subject"] for m in mailbox.to(told))
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={
        "kind": "installation", "title": "Box", "configuration": {"apn": "x"}, "asset_id": jobs[0]["asset_id"],
        "partner_id": s.partner_id})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "partner_id", "its partner ID ended too"
    assert call_api("POST", f"/partners/{s.invitation_id}/remove", as_user=s.fleet).status == 409
