"""Job templates: create, edit, delete, duplicate, list; jobs from a template; save as template."""

from __future__ import annotations

import pytest

from tests.conftest import call_api
from tests.factories import add_user, create_asset, sign_up
from tests.jobs_support import CONFIG, setup
from tests.portal_helpers import create_customer, create_site

pytestmark = pytest.mark.usefixtures("dynamodb")


def create_template(fleet, **fields):
    r = call_api("POST", "/job-templates", as_user=fleet, json_body={"name": "Box v2", "title": "Install box v2",
                                                                     "configuration": CONFIG, **fields})
    assert r.status == 201, r.body
    return r.json()


def test_template_lifecycle():
    fleet = sign_up("fleet")
    template = create_template(fleet)
    assert template["kind"] == "installation" and template["configuration"] == CONFIG
    r = call_api("POST", "/job-templates", as_user=fleet, json_body={"name": "box V2"})
    assert r.status == 409 and r.json()["error"]["details"][0]["field"] == "name"
    r = call_api("PATCH", f"/job-templates/{template['template_id']}", as_user=fleet,
                 json_body={"version": template["version"], "name": "Box v3", "description": "newer firmware"})
    assert r.status == 200 and r.json()["name"] == "Box v3"
    assert call_api("POST", "/job-templates", as_user=fleet, json_body={"name": "Box v2"}).status == 201  # freed
    stale = call_api("PATCH", f"/job-templates/{template['template_id']}", as_user=fleet,
                     json_body={"version": template["version"], "name": "x"})
    assert stale.status == 409
    r = call_api("POST", f"/job-templates/{template['template_id']}/duplicate", as_user=fleet, json_body={})
    assert r.status == 201
    copy = r.json()
    assert copy["name"] == "Box v3 (copy)" and copy["configuration"] == CONFIG and copy["template_id"] != \
        template["template_id"]
    r = call_api("POST", f"/job-templates/{template['template_id']}/duplicate", as_user=fleet, json_body={})
    assert r.status == 409
    longest = create_template(fleet, name="L" * 120)
    r = call_api("POST", f"/job-templates/{longest['template_id']}/duplicate", as_user=fleet, json_body={})
    assert r.status == 201 and len(r.json()["name"]) == 120 and r.json()["name"].endswith(" (copy)")
    call_api("DELETE", f"/job-templates/{r.json()['template_id']}", as_user=fleet)
    call_api("DELETE", f"/job-templates/{longest['template_id']}", as_user=fleet)
    reader = add_user(fleet, "customer")
    names = [t["name"] for t in call_api("GET", "/job-templates", as_user=reader).json()["items"]]
    assert names == ["Box v3 (copy)", "Box v2", "Box v3"]
    assert call_api("DELETE", f"/job-templates/{template['template_id']}", as_user=fleet).status == 204
    assert call_api("GET", f"/job-templates/{template['template_id']}", as_user=reader).status == 404
    assert call_api("POST", "/job-templates", as_user=fleet, json_body={"name": "box v3"}).status == 201
    other = sign_up("fleet", "Other")
    assert call_api("GET", f"/job-templates/{copy['template_id']}", as_user=other).status == 404
    assert call_api("GET", "/job-templates", as_user=other).json()["items"] == []
    r = call_api("POST", "/job-templates", as_user=fleet, json_body={"name": "M", "kind": "maintenance",
                                                                     "configuration": {}})
    assert r.status == 422


def test_job_from_a_template_with_overrides_and_save_as_template():
    s = setup()
    asset = create_asset(s.fleet)
    site_id = create_site(s.vendor, create_customer(s.vendor)["customer_id"])["site_id"]
    template = create_template(s.fleet, site_id=site_id)
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={
        "template_id": template["template_id"], "vin": asset["vin"], "title": "Install box v2 on T-1",
        "partner_id": s.partner_id})
    assert r.status == 201, r.body
    job = r.json()
    assert (job["kind"], job["configuration"], job["title"], job["site_id"], job["template_id"], job["status"]) == (
        "installation", CONFIG, "Install box v2 on T-1", site_id, template["template_id"], "ASSIGNED")
    # an explicit null clears what the template gives: a maintenance job from an installation template
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={
        "template_id": template["template_id"], "asset_id": asset["asset_id"], "kind": "maintenance",
        "configuration": None, "site_id": None, "description": "Brakes"})
    assert r.status == 201, r.body
    assert (r.json()["kind"], r.json()["configuration"], r.json()["site_id"]) == ("maintenance", None, None)
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={
        "template_id": template["template_id"], "asset_id": asset["asset_id"], "title": None})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "title"
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={"template_id": "jtp_nope", "asset_id": asset["asset_id"]})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "template_id"

    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={
        "kind": "maintenance", "asset_id": asset["asset_id"], "title": "Oil change", "description": "15W-40",
        "save_as_template": "Oil change"})
    assert r.status == 201, r.body
    saved = [t for t in call_api("GET", "/job-templates", as_user=s.fleet).json()["items"] if t["name"] == "Oil change"]
    assert len(saved) == 1 and saved[0]["kind"] == "maintenance" and saved[0]["description"] == "15W-40"
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={
        "kind": "maintenance", "asset_id": asset["asset_id"], "title": "Oil", "description": "x",
        "save_as_template": "oil change"})
    assert r.status == 409 and r.json()["error"]["details"][0]["field"] == "save_as_template"
    assert len(call_api("GET", "/jobs", as_user=s.fleet).json()["items"]) == 3  # the job was not created either


def test_a_template_holds_a_due_date_too():
    """'a template has a name and any job data': the due date as well, kept by save-as-template and CSV."""
    s = setup()
    asset = create_asset(s.fleet)
    template = create_template(s.fleet, name="Spring check", due_date="2031-04-01")
    assert template["due_date"] == "2031-04-01"
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={"template_id": template["template_id"],
                                                               "asset_id": asset["asset_id"]})
    assert r.status == 201 and r.json()["due_date"] == "2031-04-01"
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={"template_id": template["template_id"],
                                                               "asset_id": asset["asset_id"], "due_date": "2031-05-02",
                                                               "save_as_template": "Spring check, later"})
    assert r.status == 201 and r.json()["due_date"] == "2031-05-02"
    saved = [t for t in call_api("GET", "/job-templates", as_user=s.fleet).json()["items"]
             if t["name"] == "Spring check, later"]
    assert saved[0]["due_date"] == "2031-05-02"
    body = f"template,vin\nSpring check,{asset['vin']}\n"
    r = call_api("POST", "/jobs/import", as_user=s.fleet, raw_body=body, headers={"content-type": "text/csv"})
    assert r.status == 201, r.body
    imported = call_api("GET", f"/jobs/{r.json()['job_ids'][0]}", as_user=s.fleet).json()
    assert imported["due_date"] == "2031-04-01"
    r = call_api("PATCH", f"/job-templates/{template['template_id']}", as_user=s.fleet,
                 json_body={"version": template["version"], "due_date": None})
    assert r.status == 200 and r.json()["due_date"] is None


def test_a_jobs_configuration_is_merged_into_its_templates_key_by_key():
    """Found by a newcomer: a job's `configuration` replaced the template's whole configuration. Now the
    template's keys stay and the request's keys win; an explicit null still clears it all."""
    s = setup()
    asset = create_asset(s.fleet)
    template = create_template(s.fleet)
    r = call_api("POST", "/jobs", as_user=s.fleet, json_body={
        "template_id": template["template_id"], "asset_id": asset["asset_id"],
        "configuration": {"apn": "private.iot", "firmware": "2.0"}})
    assert r.status == 201, r.body
    assert r.json()["configuration"] == {**CONFIG, "apn": "private.iot", "firmware": "2.0"}
