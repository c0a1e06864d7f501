"""A fleet's internal teams (#18 item 2): its own shop, created by a fleet admin, with vendor users,
assigned jobs exactly like a partner; never in vendor search, no connections, vehicles only while a job runs."""

from __future__ import annotations

import pytest

from tests.conftest import Mailbox, call_api
from tests.factories import Caller, add_user, create_asset, sign_up
from tests.jobs_support import act

pytestmark = pytest.mark.usefixtures("dynamodb")


def create_team(fleet: Caller, name: str = "Yard Shop") -> dict:
    r = call_api("POST", "/teams", as_user=fleet, json_body={"name": name})
    assert r.status == 201, r.body
    return dict(r.json())


def team_user(fleet: Caller, team: dict, role: str = "vendor", email: str = "tech@shop.example") -> Caller:
    r = call_api("POST", f"/teams/{team['team_id']}/users", as_user=fleet,
                 json_body={"email": email, "name": "Terry Tech", "role": role})
    assert r.status == 201, r.body
    return Caller(user_id=r.json()["user_id"], org_id=team["team_id"], role=role, email=email)


def maintenance(fleet: Caller, truck: dict, partner_id: str):
    return call_api("POST", "/jobs", as_user=fleet, json_body={
        "kind": "maintenance", "title": f"PM {truck['unit_number']}", "description": "Oil and filters",
        "asset_id": truck["asset_id"], "partner_id": partner_id})


def test_a_fleets_own_team_works_a_job_like_a_partner_without_any_connection(mailbox: Mailbox):
    fleet = sign_up("fleet", "Harbor Freight")
    team = create_team(fleet)
    assert (team["fleet_id"], team["name"], team["status"], len(team["partner_id"])) == (
        fleet.org_id, "Yard Shop", "active", 5)
    assert [t["team_id"] for t in call_api("GET", "/teams", as_user=fleet).json()["items"]] == [team["team_id"]]
    technician = team_user(fleet, team)
    truck = create_asset(fleet, unit_number="T-9")

    r = maintenance(fleet, truck, team["partner_id"])
    assert r.status == 201, r.body
    job = r.json()
    assert (job["status"], job["partner_org_id"], job["partner_name"]) == ("ASSIGNED", team["team_id"], "Yard Shop")
    assert [j["job_id"] for j in call_api("GET", "/partner/jobs", as_user=technician).json()["items"]] == [
        job["job_id"]]
    assert call_api("GET", f"/vehicles/{truck['asset_id']}", as_user=technician).status == 200, "while it runs"
    assert act(technician, job["job_id"], "start").json()["status"] == "RUNNING"
    assert call_api("GET", "/teams/" + team["team_id"], as_user=fleet).json()["open_jobs"] == 1
    assert act(technician, job["job_id"], "succeed").json()["status"] == "SUCCEEDED"
    assert call_api("GET", f"/vehicles/{truck['asset_id']}", as_user=technician).status in (403, 404), "job done"
    kinds = [n["kind"] for n in call_api("GET", "/notifications", as_user=fleet).json()["items"]]
    assert "job_started" in kinds and "job_succeeded" in kinds
    assert [m for m in mailbox.to("tech@shop.example") if "Yard Shop" in m["Subject"]], "the welcome email"


def test_a_team_is_never_in_vendor_search_and_has_no_connections_or_invitations():
    fleet, other_fleet = sign_up("fleet", "Harbor Freight"), sign_up("fleet", "Other Freight")
    team = create_team(fleet, "Hidden Shop")
    admin = team_user(fleet, team, role="vendor_admin", email="boss@shop.example")
    real_vendor = sign_up("vendor", "Street Shop")  # at the same address as the fleet (and so its team)
    found = call_api("GET", "/vendors/search", as_user=other_fleet, query={"zip": "02110", "radius_miles": "50"})
    assert found.status == 200, found.body
    ids = [v["org_id"] for v in found.json()["items"]]
    assert real_vendor.org_id in ids and team["team_id"] not in ids
    r = call_api("POST", "/connections", as_user=other_fleet, json_body={"org_id": team["team_id"]})
    assert r.status == 422 and "internal team" in r.body, r.body
    r = call_api("POST", "/connections", as_user=admin, json_body={"org_id": other_fleet.org_id})
    assert r.status == 422, r.body
    from shared.partners.logic import invite_partner
    from shared.partners.models import PartnerInvite
    from tests.jobs_support import principal

    invited = invite_partner(principal(other_fleet), PartnerInvite(email="boss@shop.example"))
    r = call_api("POST", "/partner-invitations/accept", as_user=admin, json_body={"token": invited.token})
    assert r.status == 409 and "internal team" in r.body, r.body


def test_team_users_have_vendor_roles_and_only_fleet_admins_manage_teams():
    fleet = sign_up("fleet")
    team = create_team(fleet)
    r = call_api("POST", f"/teams/{team['team_id']}/users", as_user=fleet,
                 json_body={"email": "m@shop.example", "name": "M", "role": "manager"})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "role", r.body
    viewer = add_user(fleet, "customer")
    assert call_api("POST", "/teams", as_user=viewer, json_body={"name": "Nope"}).status == 403
    other = sign_up("fleet")
    assert call_api("GET", f"/teams/{team['team_id']}", as_user=other).status == 404
    assert call_api("POST", f"/teams/{team['team_id']}/users", as_user=other, json_body={
        "email": "x@shop.example", "name": "X", "role": "vendor"}).status == 404


def test_removing_a_team_gives_its_open_jobs_back_and_it_takes_no_more(mailbox: Mailbox):
    fleet = sign_up("fleet")
    team = create_team(fleet)
    technician = team_user(fleet, team)
    trucks = [create_asset(fleet) for _ in range(2)]
    jobs = [maintenance(fleet, t, team["partner_id"]).json() for t in trucks]
    act(technician, jobs[1]["job_id"], "start")
    r = call_api("POST", f"/teams/{team['team_id']}/remove", as_user=fleet)
    assert r.status == 200 and r.json()["status"] == "ended", r.body
    mailbox.poller.drain()
    statuses = [call_api("GET", f"/jobs/{j['job_id']}", as_user=fleet).json() for j in jobs]
    assert [(s["status"], s["partner_id"]) for s in statuses] == [("PENDING", None), ("PENDING", None)]
    assert statuses[1]["history"][-1]["note"].endswith("the team was removed")
    assert call_api("GET", f"/vehicles/{trucks[1]['asset_id']}", as_user=technician).status in (403, 404)
    r = maintenance(fleet, trucks[0], team["partner_id"])
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "partner_id", r.body
    assert call_api("GET", "/teams/" + team["team_id"], as_user=fleet).json()["open_jobs"] == 0
