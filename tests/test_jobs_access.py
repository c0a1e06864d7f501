"""Time-boxed vehicle access: the partner reads the vehicle only while its job is ASSIGNED or RUNNING,
never another vehicle or another fleet's job; the override flag; vendors that are not the partner."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.conftest import TEST_ENV, call_api
from tests.factories import add_user, create_asset, sign_up
from tests.jobs_support import CONFIG, act, create_job, make_partner, setup

pytestmark = pytest.mark.usefixtures("dynamodb")


def vehicle(caller, asset: dict[str, Any]) -> int:
    return call_api("GET", f"/vehicles/{asset['asset_id']}", as_user=caller).status


def grants() -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"]).Table(TEST_ENV["TABLE_NAME"])
    return [i for i in table.scan(ConsistentRead=True)["Items"] if i["type"] == "job_access"]


@pytest.mark.parametrize("ending", ["succeed", "fail", "unassign", "delete"])
def test_vehicle_access_lasts_exactly_as_long_as_the_job(ending):
    s = setup()
    asset, other_asset = create_asset(s.fleet), create_asset(s.fleet)
    job = create_job(s.fleet, asset)
    assert vehicle(s.technician, asset) == 404  # PENDING: no access yet
    call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet, json_body={"partner_id": s.partner_id})

    r = call_api("GET", f"/vehicles/{asset['asset_id']}", as_user=s.technician)
    assert r.status == 200 and r.json()["vin"] == asset["vin"] and r.json()["asset_id"] == asset["asset_id"]
    assert vehicle(s.vendor, asset) == 200 and vehicle(s.technician, other_asset) == 404
    assert call_api("GET", f"/partner/jobs/{job['job_id']}", as_user=s.technician).json()["configuration"] == CONFIG
    assert len(grants()) == 1
    if ending in ("succeed", "fail"):
        act(s.technician, job["job_id"], "start")
        assert vehicle(s.technician, asset) == 200  # RUNNING: still
        r = act(s.technician, job["job_id"], ending, **({"reason": "antenna missing"} if ending == "fail" else {}))
    elif ending == "unassign":
        r = call_api("POST", f"/jobs/{job['job_id']}/unassign", as_user=s.fleet, json_body={})
    else:
        r = call_api("DELETE", f"/jobs/{job['job_id']}", as_user=s.fleet)
    assert r.status in (200, 204), r.body

    assert vehicle(s.technician, asset) == 404 and vehicle(s.vendor, asset) == 404
    assert grants() == []
    seen = call_api("GET", f"/partner/jobs/{job['job_id']}", as_user=s.technician)
    if ending in ("succeed", "fail"):
        assert seen.status == 200 and seen.json()["configuration"] is None  # the job stays, its configuration not
    else:
        assert seen.status == 404
    partner_audit = [e for e in call_api("GET", "/audit", as_user=s.vendor).json()["items"]
                     if e["action"].startswith("job.")]
    assert partner_audit[0]["before"]["status"] in ("ASSIGNED", "RUNNING")
    assert partner_audit[-1]["action"] == "job.assigned"


def test_access_of_one_job_ends_while_another_open_job_on_the_vehicle_keeps_it():
    s = setup()
    asset = create_asset(s.fleet)
    first = create_job(s.fleet, asset, partner_id=s.partner_id)
    second = create_job(s.fleet, asset, partner_id=s.partner_id)
    call_api("DELETE", f"/jobs/{first['job_id']}", as_user=s.fleet)
    assert vehicle(s.technician, asset) == 200
    call_api("DELETE", f"/jobs/{second['job_id']}", as_user=s.fleet)
    assert vehicle(s.technician, asset) == 404


def test_a_partner_never_sees_another_vehicle_or_another_fleets_jobs():
    s = setup()
    asset = create_asset(s.fleet)
    mine = create_job(s.fleet, asset, partner_id=s.partner_id)
    unassigned = create_job(s.fleet)
    # the same vendor is also another fleet's partner: still only its jobs there, and not this one's
    other = make_partner(sign_up("fleet", "Other Fleet"), "Bay Installers 2")
    other_asset = create_asset(other.fleet)
    theirs = create_job(other.fleet, other_asset, partner_id=other.partner_id)
    rival = make_partner(s.fleet, "Rival Installers")

    for caller in (rival.vendor, rival.technician, other.technician):
        assert call_api("GET", f"/partner/jobs/{mine['job_id']}", as_user=caller).status == 404
        assert vehicle(caller, asset) == 404
        for action, body in (("start", {}), ("succeed", {}), ("fail", {"reason": "x"})):
            assert act(caller, mine["job_id"], action, **body).status == 404
        r = call_api("PATCH", f"/partner/jobs/{mine['job_id']}", as_user=caller, json_body={"version": 1, "title": "x"})
        assert r.status == 404
    for job in (unassigned, theirs):
        assert call_api("GET", f"/partner/jobs/{job['job_id']}", as_user=s.technician).status == 404
    assert vehicle(s.technician, other_asset) == 404
    listed = call_api("GET", "/partner/jobs", as_user=s.technician).json()["items"]
    assert [j["job_id"] for j in listed] == [mine["job_id"]]
    assert [j["job_id"] for j in call_api("GET", "/partner/jobs", as_user=rival.vendor).json()["items"]] == []

    # the fleets: each sees only its own jobs; a vendor cannot use fleet routes at all
    intruder = sign_up("fleet", "Intruder")
    for path in (f"/jobs/{mine['job_id']}",):
        assert call_api("GET", path, as_user=intruder).status == 404
        assert call_api("GET", path, as_user=other.fleet).status == 404
    r = call_api("POST", f"/jobs/{mine['job_id']}/unassign", as_user=intruder, json_body={})
    assert r.status == 404
    assert call_api("DELETE", f"/jobs/{mine['job_id']}", as_user=intruder).status == 404
    assert call_api("GET", "/jobs", as_user=intruder).json()["items"] == []
    assert call_api("GET", f"/jobs/{mine['job_id']}", as_user=s.vendor).status == 403
    assert call_api("GET", f"/vehicles/{asset['asset_id']}", as_user=s.fleet).status == 403


def test_override_flag_lets_the_partner_change_its_open_job():
    s = setup(allow_override=True)
    job = create_job(s.fleet, partner_id=s.partner_id)
    r = call_api("PATCH", f"/partner/jobs/{job['job_id']}", as_user=s.technician,
                 json_body={"version": job["version"], "configuration": {"apn": "other.apn"}, "title": "Swap box"})
    assert r.status == 200, r.body
    changed = r.json()
    assert changed["configuration"] == {"apn": "other.apn"} and changed["title"] == "Swap box"
    entry = changed["history"][-1]
    assert entry["action"] == "override_edited" and entry["changes"] == ["configuration", "title"]
    assert entry["actor_org_id"] == s.vendor.org_id
    act(s.technician, job["job_id"], "start")
    r = call_api("PATCH", f"/partner/jobs/{job['job_id']}", as_user=s.technician,
                 json_body={"version": changed["version"] + 1, "due_date": "2031-01-02"})
    assert r.status == 200 and r.json()["due_date"] == "2031-01-02" and r.json()["status"] == "RUNNING"
    r = call_api("PATCH", f"/partner/jobs/{job['job_id']}", as_user=s.technician,
                 json_body={"version": 1, "title": "stale"})
    assert r.status == 409
    act(s.technician, job["job_id"], "succeed")
    r = call_api("PATCH", f"/partner/jobs/{job['job_id']}", as_user=s.technician,
                 json_body={"version": 5, "title": "x"})
    assert r.status == 409 and "is SUCCEEDED" in r.body
    actions = [e["action"] for e in call_api("GET", "/audit", as_user=s.fleet).json()["items"]]
    assert actions.count("job.override_edited") == 2


def test_without_the_override_flag_the_partner_gets_403():
    s = setup(allow_override=False)
    job = create_job(s.fleet, partner_id=s.partner_id)
    r = call_api("PATCH", f"/partner/jobs/{job['job_id']}", as_user=s.technician,
                 json_body={"version": job["version"], "configuration": {"apn": "x"}})
    assert r.status == 403 and r.error_code == "forbidden"
    # the fleet turns the flag on: now it may
    record = call_api("GET", "/partners", as_user=s.fleet).json()["items"][0]
    call_api("PATCH", f"/partners/{record['invitation_id']}", as_user=s.fleet,
             json_body={"allow_override": True, "version": record["version"]})
    r = call_api("PATCH", f"/partner/jobs/{job['job_id']}", as_user=s.technician,
                 json_body={"version": job["version"], "configuration": {"apn": "x"}})
    assert r.status == 200 and r.json()["configuration"] == {"apn": "x"}
    fleet_view = call_api("GET", f"/jobs/{job['job_id']}", as_user=add_user(s.fleet, "customer")).json()
    assert fleet_view["configuration"] == {"apn": "x"}


def test_a_partner_does_not_see_which_partner_had_the_job_before():
    s = setup()
    other = make_partner(s.fleet, "Rival Installers")
    job = create_job(s.fleet, partner_id=other.partner_id)
    assert call_api("POST", f"/jobs/{job['job_id']}/unassign", as_user=s.fleet).status == 200
    assert call_api("POST", f"/jobs/{job['job_id']}/assign", as_user=s.fleet,
                    json_body={"partner_id": s.partner_id}).status == 200
    fleet_view = call_api("GET", f"/jobs/{job['job_id']}", as_user=s.fleet).json()
    assert other.partner_id in json.dumps(fleet_view["history"])  # the fleet sees the whole history
    mine = call_api("GET", f"/partner/jobs/{job['job_id']}", as_user=s.technician).json()
    assert other.partner_id not in json.dumps(mine) and other.vendor.org_id not in json.dumps(mine)
    assert [e["action"] for e in mine["history"]] == ["assigned"] and s.partner_id in mine["history"][0]["note"]
    listed = call_api("GET", "/partner/jobs", as_user=s.technician).json()["items"]
    assert other.partner_id not in json.dumps(listed)
