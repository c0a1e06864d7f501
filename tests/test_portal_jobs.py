"""Jobs that reach SUCCEEDED at a site become completed services there, once, through the table's stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dev.apigw import LocalContext
from dev.stream_poller import StreamPoller
from functions.stream_processor.handler import lambda_handler
from tests.conftest import TEST_ENV, call_api
from tests.factories import Caller, create_asset, sign_up
from tests.portal_helpers import (
    ALL_PERMISSIONS,
    create_customer,
    create_customer_user,
    create_site,
    enable_link,
    portal_get,
    session_for,
)

pytestmark = pytest.mark.usefixtures("dynamodb")
EVENTS = Path(__file__).resolve().parent.parent / "events"
TABLE = TEST_ENV["TABLE_NAME"]


@pytest.fixture
def stream() -> Iterator[StreamPoller]:
    """The real stream processor over the table's real stream, from this test's records on."""
    poller = StreamPoller(table_name=TABLE, endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"],
                          region=TEST_ENV["AWS_REGION"], start_position="LATEST")
    poller.poll_once()
    yield poller
    assert poller.dead_letters == []


def write_job(dynamodb: Any, job_id: str, *, fleet: str, partner: str, site_id: str | None, asset_id: str) -> None:
    """A job item as the jobs capability stores it (type `job`, the attributes of the portal's contract)."""
    item = {"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": "JOB"}, "type": {"S": "job"}, "job_id": {"S": job_id},
            "fleet_id": {"S": fleet}, "partner_org_id": {"S": partner}, "status": {"S": "RUNNING"},
            "kind": {"S": "maintenance"}, "title": {"S": "Trailer wash"}, "asset_id": {"S": asset_id},
            "created_at": {"S": "2026-03-10T08:00:00.000000+0000"}, "version": {"N": "1"}}
    if site_id:
        item["site_id"] = {"S": site_id}
    dynamodb.put_item(TableName=TABLE, Item=item)


def finish_job(dynamodb: Any, job_id: str, status: str = "SUCCEEDED") -> None:
    dynamodb.update_item(TableName=TABLE, Key={"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": "JOB"}},
                         UpdateExpression="SET #s = :s, finished_at = :f ADD version :one",
                         ExpressionAttributeNames={"#s": "status"},
                         ExpressionAttributeValues={":s": {"S": status}, ":one": {"N": "1"},
                                                    ":f": {"S": "2026-03-10T14:00:00.000000+0000"}})


def services(vendor: Caller, site_id: str) -> list[dict[str, Any]]:
    r = call_api("GET", f"/sites/{site_id}/services", as_user=vendor, query={"from": "2026-03-01", "to": "2026-03-31"})
    assert r.status == 200, r.body
    return list(r.json()["items"])


def test_succeeded_job_at_a_site_becomes_a_service_once(dynamodb, stream):
    fleet, vendor = sign_up("fleet", "Fleet"), sign_up("vendor", "Shop")
    asset = create_asset(fleet, unit_number="T-77")
    customer = create_customer(vendor, permissions=ALL_PERMISSIONS)
    site = create_site(vendor, customer["customer_id"])
    write_job(dynamodb, "job_wash_1", fleet=fleet.org_id, partner=vendor.org_id, site_id=site["site_id"],
              asset_id=asset["asset_id"])
    stream.drain()
    assert services(vendor, site["site_id"]) == []  # not finished yet
    finish_job(dynamodb, "job_wash_1")
    stream.drain()
    [service] = services(vendor, site["site_id"])
    assert service["source"] == "job" and service["service_name"] == "Trailer wash"
    assert service["completed_at"] == "2026-03-10T14:00:00Z"
    assert service["job"] == {"job_id": "job_wash_1", "title": "Trailer wash", "kind": "maintenance"}
    assert service["vehicle"] == {"unit_number": "T-77", "asset_id": asset["asset_id"], "vin": asset["vin"]}
    # an edit of the succeeded job (another MODIFY) records nothing more
    dynamodb.update_item(TableName=TABLE, Key={"pk": {"S": "JOB#job_wash_1"}, "sk": {"S": "JOB"}},
                         UpdateExpression="SET title = :t", ExpressionAttributeValues={":t": {"S": "Renamed"}})
    stream.drain()
    assert len(services(vendor, site["site_id"])) == 1
    # the customer sees it, with the job
    user = create_customer_user(vendor, customer["customer_id"], [site["site_id"]])
    session = session_for(enable_link(vendor, user["customer_user_id"])["token"])
    detail = portal_get(session, f"/portal/sites/{site['site_id']}", **{"from": "2026-03-01", "to": "2026-03-31"})
    assert detail.json()["services"][0]["job"] == {"job_id": "job_wash_1", "title": "Trailer wash",
                                                   "kind": "maintenance"}
    # without can_view_service_name, the job's title (the service's name) is absent too
    r = call_api("PATCH", f"/customers/{customer['customer_id']}", as_user=vendor, json_body={
        "version": call_api("GET", f"/customers/{customer['customer_id']}", as_user=vendor).json()["version"],
        "permissions": {**ALL_PERMISSIONS, "can_view_service_name": False}})
    assert r.status == 200, r.body
    session = session_for(enable_link(vendor, create_customer_user(
        vendor, customer["customer_id"], [site["site_id"]])["customer_user_id"])["token"])
    detail = portal_get(session, f"/portal/sites/{site['site_id']}", **{"from": "2026-03-01", "to": "2026-03-31"})
    [seen] = detail.json()["services"]
    assert "service_name" not in seen and seen["job"] == {"job_id": "job_wash_1", "kind": "maintenance"}
    assert "Trailer wash" not in detail.body


def test_jobs_that_do_not_qualify_record_nothing(dynamodb, stream):
    fleet, vendor, rival = sign_up("fleet", "Fleet"), sign_up("vendor", "Shop"), sign_up("vendor", "Rival")
    asset = create_asset(fleet)
    site = create_site(vendor, create_customer(vendor)["customer_id"])
    write_job(dynamodb, "job_failed", fleet=fleet.org_id, partner=vendor.org_id, site_id=site["site_id"],
              asset_id=asset["asset_id"])
    write_job(dynamodb, "job_no_site", fleet=fleet.org_id, partner=vendor.org_id, site_id=None,
              asset_id=asset["asset_id"])
    # a job of another vendor naming this vendor's site: not the rival's site, so nothing
    write_job(dynamodb, "job_rival", fleet=fleet.org_id, partner=rival.org_id, site_id=site["site_id"],
              asset_id=asset["asset_id"])
    finish_job(dynamodb, "job_failed", status="FAILED")
    finish_job(dynamodb, "job_no_site")
    finish_job(dynamodb, "job_rival")
    stream.drain()
    assert services(vendor, site["site_id"]) == []


def test_redelivered_record_is_recorded_once(dynamodb):
    event = json.loads((EVENTS / "stream_processor_job_succeeded.json").read_text())
    now = {"S": "2026-03-01T00:00:00.000000+0000"}
    dynamodb.put_item(TableName=TABLE, Item={
        "pk": {"S": "ORG#org_event_vendor"}, "sk": {"S": "SITE#site_event_yard"}, "type": {"S": "site"},
        "site_id": {"S": "site_event_yard"}, "org_id": {"S": "org_event_vendor"},
        "customer_id": {"S": "cus_event_acme"}, "name": {"S": "Yard"}, "lat": {"N": "42.3"}, "lng": {"N": "-71.0"},
        "address": {"S": json.dumps({"line1": "1 Yard Rd", "city": "Boston", "state": "MA", "zip": "02110"})},
        "geofence": {"S": json.dumps({"kind": "radius", "radius_m": 100})}, "picture_keys": {"L": []},
        "created_at": now, "updated_at": now, "version": {"N": "1"}})
    assert lambda_handler(event, LocalContext()) == {"batchItemFailures": []}
    assert lambda_handler(event, LocalContext()) == {"batchItemFailures": []}  # the stream's redelivery
    vendor = Caller(user_id="usr_event_vendor", org_id="org_event_vendor", role="vendor_admin")
    [service] = services(vendor, "site_event_yard")
    assert service["job"]["job_id"] == "job_event_wash" and service["customer_id"] == "cus_event_acme"
    assert service["vehicle"]["unit_number"] == "ast_event_truck"  # the asset is not in the table: its id
