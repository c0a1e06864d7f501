"""Job lists: the fleet's by kind, status and partner; the partner's by status; newest first, paginated."""

from __future__ import annotations

import pytest

from tests.conftest import call_api
from tests.factories import add_user, create_asset, sign_up
from tests.jobs_support import act, create_job, make_partner, setup

pytestmark = pytest.mark.usefixtures("dynamodb")


def ids(caller, path: str, **query) -> list[str]:
    """Every page of the list, following the cursors."""
    found, cursor = [], None
    while True:
        r = call_api("GET", path, as_user=caller, query={**query, "limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status == 200, r.body
        page = r.json()
        found += [j["job_id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def test_fleet_and_partner_lists_with_filters():
    s = setup()
    b = make_partner(s.fleet, "Second Installers")
    asset = create_asset(s.fleet)
    pending = create_job(s.fleet, asset)
    maintenance = create_job(s.fleet, asset, kind="maintenance", configuration=None, description="Oil")
    a1 = create_job(s.fleet, asset, partner_id=s.partner_id)
    a2 = create_job(s.fleet, asset, partner_id=s.partner_id)
    b1 = create_job(s.fleet, asset, partner_id=b.partner_id)
    act(s.technician, a1["job_id"], "start")
    act(s.technician, a1["job_id"], "succeed")
    other = make_partner(sign_up("fleet", "Other Fleet"), "Third")
    create_job(other.fleet, partner_id=other.partner_id)

    reader = add_user(s.fleet, "customer")
    newest_first = [b1, a2, a1, maintenance, pending]
    assert ids(reader, "/jobs") == [j["job_id"] for j in newest_first]
    assert ids(reader, "/jobs", kind="maintenance") == [maintenance["job_id"]]
    assert ids(reader, "/jobs", status="ASSIGNED") == [b1["job_id"], a2["job_id"]]
    assert ids(reader, "/jobs", status="SUCCEEDED") == [a1["job_id"]]
    assert ids(reader, "/jobs", partner=s.partner_id) == [a2["job_id"], a1["job_id"]]
    assert ids(reader, "/jobs", partner=s.partner_id.lower(), status="ASSIGNED") == [a2["job_id"]]
    assert ids(reader, "/jobs", partner=s.partner_id, kind="maintenance") == []
    assert ids(s.technician, "/partner/jobs") == [a2["job_id"], a1["job_id"]]
    assert ids(s.vendor, "/partner/jobs", status="SUCCEEDED") == [a1["job_id"]]
    assert ids(b.technician, "/partner/jobs") == [b1["job_id"]]
    assert call_api("GET", "/jobs", as_user=reader, query={"status": "DONE"}).status == 422


def test_a_cursor_of_another_list_is_refused():
    s = setup()
    for _ in range(3):
        create_job(s.fleet)
    cursor = call_api("GET", "/jobs", as_user=s.fleet, query={"limit": 1}).json()["next_cursor"]
    intruder = sign_up("fleet", "Intruder")
    r = call_api("GET", "/jobs", as_user=intruder, query={"limit": 1, "cursor": cursor})
    assert r.status == 422
    r = call_api("GET", "/jobs", as_user=s.fleet, query={"limit": 1, "cursor": cursor, "status": "PENDING"})
    assert r.status == 422


def test_the_dev_seed_shows_jobs_in_every_stage():
    from dev.seed import seed_demo
    from shared.auth.principal import Role

    users = seed_demo()
    manager = next(u for u in users if u.role is Role.MANAGER)
    technician = next(u for u in users if u.role is Role.VENDOR)
    jobs = call_api("GET", "/jobs", as_user=manager).json()["items"]
    assert sorted(j["status"] for j in jobs) == ["ASSIGNED", "PENDING", "RUNNING", "SUCCEEDED"]
    assert [t["name"] for t in call_api("GET", "/job-templates", as_user=manager).json()["items"]] == [
        "Telematics box v2"]
    assert len(call_api("GET", "/partner/jobs", as_user=technician).json()["items"]) == 3
