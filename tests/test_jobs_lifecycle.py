"""Jobs through the API: kinds, the status machine, Save & Assign, edits, deletes, history, audit, races."""

from __future__ import annotations

import threading

import pytest

from shared.errors import Conflict
from shared.jobs import partner as partner_logic
from shared.jobs.bodies import VersionBody
from tests.conftest import call_api
from tests.factories import add_user, create_asset, sign_up
from tests.jobs_support import CONFIG, act, create_job, job_body, make_partner, principal, setup
from tests.portal_helpers import create_customer, create_site

pytestmark = pytest.mark.usefixtures("dynamodb")


def audit_actions(caller) -> list[str]:
    return [e["action"] for e in call_api("GET", "/audit", as_user=caller).json()["items"]
            if e["action"].startswith("job.")]


def test_installation_job_through_its_whole_life():
    s = setup()
    asset = create_asset(s.fleet)
    site_id = create_site(s.vendor, create_customer(s.vendor)["customer_id"])["site_id"]  # the partner's site
    job = create_job(s.fleet, asset, due_date="2031-05-01", site_id=site_id)
    assert (job["status"], job["kind"], job["configuration"], job["vin"]) == ("PENDING", "installation", CONFIG,
                                                                                asset["vin"])
    assert job["partner_org_id"] is None and job["due_date"] == "2031-05-01" and job["site_id"] == site_id

    r = call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet,
                 json_body={"partner_id": s.partner_id.lower(), "version": job["version"]})
    assert r.status == 200, r.body
    assigned = r.json()
    assert (assigned["status"], assigned["partner_id"], assigned["partner_org_id"], assigned["partner_name"]) == (
        "ASSIGNED", s.partner_id, s.vendor.org_id, "Bay Installers")

    assert act(s.technician, job["job_id"], "start").json()["status"] == "RUNNING"
    r = act(s.technician, job["job_id"], "succeed", note="box installed, LED green")
    assert r.status == 200, r.body
    done = r.json()
    assert done["status"] == "SUCCEEDED" and done["finished_at"] is not None and done["version"] == 4

    history = call_api("GET", f"/jobs/{job['job_id']}", as_user=add_user(s.fleet, "customer")).json()["history"]
    assert [(h["action"], h.get("from_status"), h["to_status"]) for h in history] == [
        ("created", None, "PENDING"), ("assigned", "PENDING", "ASSIGNED"), ("started", "ASSIGNED", "RUNNING"),
        ("succeeded", "RUNNING", "SUCCEEDED")]
    assert history[2]["actor_id"] == s.technician.user_id and history[3]["note"] == "box installed, LED green"
    assert audit_actions(s.fleet)[:4] == ["job.succeeded", "job.started", "job.assigned", "job.created"]
    assert audit_actions(s.vendor)[:3] == ["job.succeeded", "job.started", "job.assigned"]


def test_maintenance_job_needs_a_description_and_fails_with_a_reason():
    s = setup()
    asset = create_asset(s.fleet)
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={"kind": "maintenance", "vin": asset["vin"],
                                                               "title": "Brake inspection"})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "description"
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={"kind": "maintenance", "vin": asset["vin"].lower(),
                                                               "title": "Brake inspection", "configuration": {}})
    assert r.status == 422 and "description" in r.body and "only installation jobs" in r.body
    job = create_job(s.fleet, asset, kind="maintenance", configuration=None, description="Check pads and drums",
                     partner_id=s.partner_id)
    assert job["status"] == "ASSIGNED" and job["asset_id"] == asset["asset_id"]  # Save & Assign
    assert audit_actions(s.fleet)[:2] == ["job.assigned", "job.created"]  # in both trails, as a separate assign
    assert audit_actions(s.vendor)[:1] == ["job.assigned"]
    act(s.technician, job["job_id"], "start")

    for body in ({}, {"reason": "   "}, {"reason": None}):
        r = call_api("POST", f"/partner/jobs/{job['job_id']}/fail", as_user=s.technician, json_body=body)
        assert r.status == 422, r.body
        assert r.json()["error"]["details"][0]["field"] == "reason"
    assert act(s.technician, job["job_id"], "fail").status == 422  # no body at all
    r = act(s.technician, job["job_id"], "fail", reason="drums seized, needs a shop")
    assert r.status == 200 and r.json()["failure_reason"] == "drums seized, needs a shop"
    assert r.json()["status"] == "FAILED" and r.json()["finished_at"]


def test_installation_needs_a_configuration_and_a_real_vehicle():
    fleet, other = sign_up("fleet"), sign_up("fleet", "Other")
    asset = create_asset(fleet)
    r = call_api("POST", "/jobs", as_user=fleet, json_body=job_body(asset, configuration=None))
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "configuration"
    r = call_api("POST", "/jobs", as_user=fleet, json_body=job_body(create_asset(other)))
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "asset_id"
    r = call_api("POST", "/jobs", as_user=fleet, json_body={**job_body(asset), "asset_id": None})
    assert r.status == 422
    call_api("DELETE", f"/assets/{asset['asset_id']}", as_user=fleet)
    r = call_api("POST", "/jobs", as_user=fleet, json_body=job_body(asset))
    assert r.status == 422 and "inactive" in r.body
    r = call_api("POST", "/jobs", as_user=fleet, json_body={**job_body(create_asset(fleet)), "site_id": "no spaces!"})
    assert r.status == 422


@pytest.mark.parametrize("path,body,current", [
    ("start", {}, "PENDING"),
    ("succeed", {}, "PENDING"),
    ("fail", {"reason": "x"}, "PENDING"),
])
def test_illegal_transitions_are_409_naming_the_current_status(path, body, current):
    s = setup()
    job = create_job(s.fleet, partner_id=s.partner_id)
    call_api("POST", f"/jobs/{job['job_id']}/unassign", as_user=s.fleet, json_body={})
    # unassigned: the partner no longer sees the job at all
    assert act(s.technician, job["job_id"], path, **body).status == 404
    r = call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet, json_body={"partner_id": s.partner_id})
    assert r.status == 200
    if path != "start":
        r = act(s.technician, job["job_id"], path, **body)
        assert r.status == 409 and "is ASSIGNED" in r.json()["error"]["message"]
    act(s.technician, job["job_id"], "start")
    act(s.technician, job["job_id"], "succeed")
    for action, action_body in (("start", {}), ("succeed", {}), ("fail", {"reason": "x"})):
        r = act(s.technician, job["job_id"], action, **action_body)
        assert r.status == 409 and r.error_code == "conflict"
        assert "is SUCCEEDED" in r.json()["error"]["message"]
    for route, route_body in (("assign", {"partner_id": s.partner_id}), ("unassign", {})):
        r = call_api("POST", f"/jobs/{job['job_id']}/{route}", as_user=s.fleet, json_body=route_body)
        assert r.status == 409 and "is SUCCEEDED" in r.json()["error"]["message"], r.body
    r = call_api("PATCH", f"/jobs/{job['job_id']}", as_user=s.fleet, json_body={"version": 6, "title": "x"})
    assert r.status == 409 and "is SUCCEEDED" in r.body
    r = call_api("DELETE", f"/jobs/{job['job_id']}", as_user=s.fleet)
    assert r.status == 409 and "is SUCCEEDED" in r.body
    assert current == "PENDING"


def test_only_accepted_partners_can_be_assigned():
    s = setup()
    stranger = sign_up("vendor", "Not A Partner")
    stranger_pid = call_api("GET", "/me", as_user=stranger).json()["organization"]["partner_id"]
    job = create_job(s.fleet)
    for pid in (stranger_pid, "ZZZZZ"):
        r = call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet, json_body={"partner_id": pid})
        assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "partner_id"
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body=job_body(create_asset(s.fleet), partner_id=stranger_pid))
    assert r.status == 422
    # another fleet's partner is not this fleet's partner
    other = make_partner(sign_up("fleet", "Other Fleet"), "Other Installers")
    r = call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet, json_body={"partner_id": other.partner_id})
    assert r.status == 422
    assert call_api("GET", f"/jobs/{job['job_id']}", as_user=s.fleet).json()["status"] == "PENDING"


def test_fleet_edits_only_pending_jobs_with_the_version_it_read():
    s = setup()
    job = create_job(s.fleet)
    r = call_api("PATCH", f"/jobs/{job['job_id']}", as_user=s.fleet,
                 json_body={"version": job["version"], "title": "Reinstall box", "configuration": {"apn": "x"}})
    assert r.status == 200 and r.json()["title"] == "Reinstall box" and r.json()["configuration"] == {"apn": "x"}
    stale = call_api("PATCH", f"/jobs/{job['job_id']}", as_user=s.fleet, json_body={"version": job["version"],
                                                                                      "title": "Lost update"})
    assert stale.status == 409 and "version" in stale.body
    r = call_api("PATCH", f"/jobs/{job['job_id']}", as_user=s.fleet, json_body={"version": 2, "configuration": None})
    assert r.status == 422
    call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet, json_body={"partner_id": s.partner_id})
    r = call_api("PATCH", f"/jobs/{job['job_id']}", as_user=s.fleet, json_body={"version": 3, "title": "x"})
    assert r.status == 409 and "is ASSIGNED" in r.body
    r = call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet, json_body={"partner_id": s.partner_id})
    assert r.status == 409 and "is ASSIGNED" in r.body


def test_delete_pending_or_assigned_only():
    s = setup()
    pending, assigned, running = (create_job(s.fleet), create_job(s.fleet, partner_id=s.partner_id),
                                  create_job(s.fleet, partner_id=s.partner_id))
    act(s.technician, running["job_id"], "start")
    assert call_api("DELETE", f"/jobs/{pending['job_id']}", as_user=s.fleet, query={"version": 9}).status == 409
    for job in (pending, assigned):
        assert call_api("DELETE", f"/jobs/{job['job_id']}", as_user=s.fleet).status == 204
        assert call_api("GET", f"/jobs/{job['job_id']}", as_user=s.fleet).status == 404
    r = call_api("DELETE", f"/jobs/{running['job_id']}", as_user=s.fleet)
    assert r.status == 409 and "is RUNNING" in r.body
    assert "job.deleted" in audit_actions(s.vendor)  # the assigned job's partner lost its access


def test_two_technicians_racing_to_start_one_job_one_wins():
    """Real concurrency: threads against DynamoDB Local, each through the logic the route calls."""
    s = setup()
    second = add_user(s.vendor, "vendor")
    for _ in range(5):
        job = create_job(s.fleet, partner_id=s.partner_id)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def start(tech, job_id=job["job_id"], barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                partner_logic.start_job(principal(tech), job_id, VersionBody())
                outcomes.append("won")
            except Conflict:
                outcomes.append("409")

        threads = [threading.Thread(target=start, args=(t,)) for t in (s.technician, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["409", "won"]
        stored = call_api("GET", f"/jobs/{job['job_id']}", as_user=s.fleet).json()
        assert stored["status"] == "RUNNING" and stored["version"] == 2  # created assigned (1), started (2)
        assert [h["action"] for h in stored["history"]].count("started") == 1


def test_racing_version_in_the_body_is_a_409():
    s = setup()
    job = create_job(s.fleet, partner_id=s.partner_id)
    r = act(s.technician, job["job_id"], "start", version=job["version"] - 1)
    assert r.status == 409 and "version" in r.body
    assert act(s.technician, job["job_id"], "start", version=job["version"]).status == 200


def test_a_job_at_a_site_goes_only_to_the_partner_whose_site_it_is():
    """Found by a newcomer: an unknown site, or another vendor's, was accepted and its completed service
    then dropped with a log line. The site is checked when the job is assigned."""
    s = setup()
    other = make_partner(s.fleet, "Other Installers")
    theirs = create_site(other.vendor, create_customer(other.vendor)["customer_id"])["site_id"]
    for site_id in (theirs, "site_unknown"):
        job = create_job(s.fleet, site_id=site_id)  # unassigned: no partner to check it against yet
        r = call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet,
                     json_body={"partner_id": s.partner_id, "version": job["version"]})
        assert r.status == 422, r.body
        [detail] = r.json()["error"]["details"]
        assert detail["field"] == "site_id" and site_id in detail["message"] and s.partner_id in detail["message"]
        r = call_api("POST", "/jobs", as_user=s.fleet,
                     json_body=job_body(create_asset(s.fleet), site_id=site_id, partner_id=s.partner_id))
        assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "site_id", r.body
    job = create_job(s.fleet, site_id=theirs)
    r = call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet,
                 json_body={"partner_id": other.partner_id, "version": job["version"]})
    assert r.status == 200 and r.json()["site_id"] == theirs, r.body


def test_a_job_with_several_wrong_fields_names_them_all_in_one_422():
    """Found by a newcomer: POST /jobs answered one problem at a time."""
    s = setup()
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={
        "kind": "installation", "asset_id": "ast_missing", "partner_id": "ZZZZZ", "configuration": {}})
    assert r.status == 422, r.body
    fields = [d["field"] for d in r.json()["error"]["details"]]
    assert {"title", "asset_id", "partner_id"} <= set(fields), fields


def test_duplicate_makes_a_new_pending_job_with_the_same_fields_not_its_life():
    s = setup()
    site_id = create_site(s.vendor, create_customer(s.vendor)["customer_id"])["site_id"]
    job = create_job(s.fleet, due_date="2031-05-01", site_id=site_id, partner_id=s.partner_id,
                     description="Box behind the cab")
    act(s.technician, job["job_id"], "start")
    r = call_api("POST", f"/jobs/{job['job_id']}/duplicate", as_user=s.fleet)
    assert r.status == 201, r.body
    copy = r.json()
    assert copy["job_id"] != job["job_id"] and copy["status"] == "PENDING" and copy["version"] == 1
    same = ("kind", "asset_id", "vin", "title", "description", "configuration", "due_date", "site_id")
    assert {k: copy[k] for k in same} == {k: job[k] for k in same}
    assert copy["partner_id"] is None and copy["partner_org_id"] is None and copy["started_at"] is None
    assert [(h["action"], h["note"]) for h in copy["history"]] == [("created", f"a duplicate of job {job['job_id']}")]
    assert call_api("POST", f"/jobs/{job['job_id']}/duplicate", as_user=sign_up("fleet")).status == 404
    assert call_api("POST", f"/jobs/{job['job_id']}/duplicate", as_user=s.technician).status == 403
    assert call_api("DELETE", f"/assets/{job['asset_id']}", as_user=s.fleet).status == 204
    r = call_api("POST", f"/jobs/{copy['job_id']}/duplicate", as_user=s.fleet)
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "asset_id", r.body


def test_each_party_is_told_what_concerns_it(mailbox):
    """Found by a newcomer: nobody was told that a job was assigned to them, or that it failed."""
    s = setup()
    job = create_job(s.fleet, title="Install box on T-7")
    call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet,
             json_body={"partner_id": s.partner_id, "version": job["version"]})
    act(s.technician, job["job_id"], "start")
    act(s.technician, job["job_id"], "fail", reason="no CAN bus connector")

    def kinds(caller) -> list[str]:
        items = call_api("GET", "/notifications", as_user=caller).json()["items"]
        return [n["kind"] for n in items if n["kind"].startswith("job_")]

    assert kinds(s.vendor) == ["job_assigned"], "the partner: what concerns its work"
    assert sorted(kinds(s.fleet)) == ["job_failed", "job_started"], "the fleet: the outcome"
    [failed] = [m for m in mailbox.to(str(s.fleet.email)) if "could not finish" in m["Subject"]]  # its admin
    subject = " ".join(failed["Subject"].split())  # a long subject is folded on the wire
    assert subject == "Bay Installers could not finish Install box on T-7 (" + job["vin"] + ")"
    assert "no CAN bus connector" in failed.get_content()
