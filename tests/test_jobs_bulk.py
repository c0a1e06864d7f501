"""Bulk actions: each job checked on its own; the answer says per job what happened."""

from __future__ import annotations

import pytest

from tests.conftest import call_api
from tests.factories import create_asset, sign_up
from tests.jobs_support import act, create_job, setup

pytestmark = pytest.mark.usefixtures("dynamodb")


def test_bulk_edit_and_delete_report_per_job():
    s = setup()
    asset = create_asset(s.fleet)
    pending = [create_job(s.fleet, asset) for _ in range(3)]
    assigned = create_job(s.fleet, asset, partner_id=s.partner_id)
    running = create_job(s.fleet, asset, partner_id=s.partner_id)
    act(s.technician, running["job_id"], "start")
    foreign = create_job(sign_up("fleet", "Other"))
    ids = [j["job_id"] for j in (*pending, assigned, running, foreign)] + ["job_missing"]

    r = call_api("POST", "/jobs/bulk", as_user=s.fleet,
                 json_body={"job_ids": ids, "action": "edit", "set": {"due_date": "2031-09-09", "title": "Q3"}})
    assert r.status == 200, r.body
    result = r.json()
    assert (result["done"], result["failed"]) == (3, 4)
    by_id = {o["job_id"]: o for o in result["results"]}
    assert [o["job_id"] for o in result["results"]] == ids
    assert all(by_id[j["job_id"]]["code"] == "done" for j in pending)
    assert by_id[assigned["job_id"]]["code"] == "conflict" and "is ASSIGNED" in by_id[assigned["job_id"]]["message"]
    assert by_id[running["job_id"]]["status"] == "RUNNING"
    assert by_id[foreign["job_id"]]["code"] == "not_found" and by_id["job_missing"]["code"] == "not_found"
    job = call_api("GET", f"/jobs/{pending[0]['job_id']}", as_user=s.fleet).json()
    assert (job["title"], job["due_date"], job["version"]) == ("Q3", "2031-09-09", 2)

    r = call_api("POST", "/jobs/bulk", as_user=s.fleet,
                 json_body={"job_ids": ids[:1], "action": "edit", "set": {"configuration": None}})
    assert r.json()["results"][0]["code"] == "invalid"

    r = call_api("POST", "/jobs/bulk", as_user=s.fleet, json_body={"job_ids": ids, "action": "delete"})
    result = r.json()
    assert (result["done"], result["failed"]) == (4, 3)
    assert call_api("GET", f"/vehicles/{asset['asset_id']}", as_user=s.technician).status == 200  # RUNNING job's
    assert [j["job_id"] for j in call_api("GET", "/jobs", as_user=s.fleet).json()["items"]] == [running["job_id"]]
    assert call_api("GET", f"/jobs/{foreign['job_id']}", as_user=sign_up("fleet", "x")).status == 404


@pytest.mark.parametrize("body", [
    {"job_ids": [], "action": "delete"},
    {"job_ids": ["a"] * 2, "action": "delete"},
    {"job_ids": ["x" * 3000], "action": "delete"},  # no such id: a 422, not a key DynamoDB refuses (500)
    {"job_ids": ["a"], "action": "edit", "set": {"title": None}},  # a title cannot be cleared
    {"job_ids": [f"job_{n}" for n in range(1001)], "action": "delete"},
    {"job_ids": ["a"], "action": "edit"},
    {"job_ids": ["a"], "action": "edit", "set": {}},
    {"job_ids": ["a"], "action": "delete", "set": {"title": "x"}},
    {"job_ids": ["a"], "action": "edit", "set": {"status": "SUCCEEDED"}},
    {"job_ids": ["a"], "action": "archive"},
])
def test_bulk_requests_are_validated(body):
    s = setup()
    assert call_api("POST", "/jobs/bulk", as_user=s.fleet, json_body=body).status == 422
