"""Push subscriptions through the API: lifecycle, verification, secrets shown once and never logged."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from dev.apigw import LocalContext
from functions.push_retry.handler import lambda_handler as push_retry
from shared.errors import Unprocessable
from shared.maintenance.public import AssetState
from shared.observability import logger as app_logger
from shared.push.snapshots import push_snapshot
from shared.push.urls import check_push_url
from tests.conftest import call_api
from tests.factories import Caller, add_user, sign_up
from tests.push_receiver import receiver_fixture, stream_fixture, verify  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("dynamodb")


def subscribe(admin: Caller, url: str) -> dict[str, Any]:
    r = call_api("POST", "/subscriptions", as_user=admin, json_body={"url": url, "description": "dispatch"})
    assert r.status == 201, r.body
    return dict(r.json())


def get_sub(admin: Caller, subscription_id: str) -> dict[str, Any]:
    r = call_api("GET", f"/subscriptions/{subscription_id}", as_user=admin)
    assert r.status == 200, r.body
    return dict(r.json())


def deliveries(admin: Caller, subscription_id: str) -> list[dict[str, Any]]:
    r = call_api("GET", f"/subscriptions/{subscription_id}/deliveries", as_user=admin)
    assert r.status == 200, r.body
    return list(r.json()["items"])


def test_subscription_is_pending_until_its_verification_delivery_succeeds(receiver, stream):
    admin = sign_up("fleet")
    created = subscribe(admin, receiver.url)
    assert created["status"] == "pending" and created["secret"].startswith("whsec_")
    receiver.secrets = [created["secret"]]
    receiver.fail_next = 1
    stream.drain()  # the verification delivery's first attempt: answered 500
    assert get_sub(admin, created["subscription_id"])["status"] == "pending"
    [verification] = deliveries(admin, created["subscription_id"])
    assert verification["kind"] == "verification" and verification["status"] == "retrying"
    assert verification["last_status_code"] == 500 and verification["attempts"] == 1

    r = call_api("POST", f"/subscriptions/{created['subscription_id']}/deliveries/{verification['delivery_id']}"
                 "/redeliver", as_user=admin)
    assert r.status == 409, "a delivery in flight is not redelivered"
    push_retry({"time": verification["next_attempt_at"]}, LocalContext())
    sub = get_sub(admin, created["subscription_id"])
    assert sub["status"] == "active" and sub["verified_at"] and sub["failing_since"] is None
    [received] = receiver.accepted.values()
    assert received.json()["type"] == "verification"
    assert received.json()["subscription_id"] == created["subscription_id"]


def test_secret_is_shown_once_never_listed_and_never_logged(receiver, stream, caplog):
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(json.dumps(record.__dict__, default=str) + record.getMessage())

    handler = Capture(level=logging.DEBUG)
    ours = logging.getLogger(app_logger.name)  # Powertools' logger is this standard one
    level = ours.level
    ours.addHandler(handler)
    ours.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        admin = sign_up("fleet")
        created = subscribe(admin, receiver.url)
        receiver.secrets = [created["secret"]]
        stream.drain()
        rotated = call_api("POST", f"/subscriptions/{created['subscription_id']}/rotate-secret", as_user=admin)
        assert rotated.status == 200
        bodies = [call_api("GET", p, as_user=admin).body for p in (
            "/subscriptions", f"/subscriptions/{created['subscription_id']}",
            f"/subscriptions/{created['subscription_id']}/deliveries", "/audit")]
    finally:
        ours.removeHandler(handler)
        ours.setLevel(level)
    secrets = [created["secret"], rotated.json()["secret"]]
    assert secrets[0] != secrets[1]
    assert get_sub(admin, created["subscription_id"])["status"] == "active"
    logged = "\n".join(records + [r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records])
    assert "delivery accepted" in logged, "the capture saw our log lines"
    for secret in secrets:
        assert secret not in logged
        assert all(secret not in body for body in bodies)
        assert not {"secret", "previous_secret"} & set(json.loads(bodies[1])), "no secret outside create/rotate"


def test_rotation_signs_with_both_secrets_for_24_hours(receiver, stream):
    admin = sign_up("fleet")
    created = subscribe(admin, receiver.url)
    receiver.secrets = [created["secret"]]
    stream.drain()
    r = call_api("POST", f"/subscriptions/{created['subscription_id']}/rotate-secret", as_user=admin)
    assert r.status == 200, r.body
    new_secret = r.json()["secret"]
    assert r.json()["previous_secret_expires_at"]
    # a subscriber that has not switched yet, and one that has, both accept the next delivery
    asset = AssetState(asset_id="ast_1", unit_number="T1", vin="1FUJGLDR0CL000001", kind="truck",
                       asset_status="active", maintenance_status=None, statuses=[])
    [delivery_id] = push_snapshot(admin.org_id, [asset], datetime.now(UTC))
    stream.drain()
    header = receiver.accepted[delivery_id].headers["X-Fleetbridge-Signature"]
    assert header.count("v1=") == 2
    received = receiver.accepted[delivery_id]
    assert verify(received.headers, received.body, [new_secret]) == delivery_id
    assert verify(received.headers, received.body, [created["secret"]]) == delivery_id


def test_pause_resume_delete_and_the_audit_trail(receiver, stream):
    admin = sign_up("fleet")
    manager = add_user(admin, "manager")
    created = subscribe(admin, receiver.url)
    sub_id = created["subscription_id"]
    receiver.secrets = [created["secret"]]
    stream.drain()
    r = call_api("POST", f"/subscriptions/{sub_id}/pause", as_user=manager)
    assert r.status == 200 and r.json()["status"] == "paused" and r.json()["paused_reason"] == "manual"
    assert call_api("POST", f"/subscriptions/{sub_id}/pause", as_user=manager).json()["status"] == "paused"
    r = call_api("POST", f"/subscriptions/{sub_id}/resume", as_user=admin)
    assert r.status == 200 and r.json()["status"] == "pending"
    assert call_api("POST", f"/subscriptions/{sub_id}/resume", as_user=admin).status == 409
    stream.drain()  # a new verification delivery
    assert get_sub(admin, sub_id)["status"] == "active"
    assert [d["kind"] for d in deliveries(admin, sub_id)] == ["verification", "verification"]
    assert call_api("DELETE", f"/subscriptions/{sub_id}", as_user=admin).status == 204
    assert call_api("GET", f"/subscriptions/{sub_id}", as_user=admin).status == 404
    assert call_api("GET", f"/subscriptions/{sub_id}/deliveries", as_user=admin).status == 404
    assert call_api("GET", "/subscriptions", as_user=admin).json()["items"] == []
    actions = [e["action"] for e in call_api("GET", "/audit", as_user=admin).json()["items"]]
    for action in ("created", "verified", "paused", "resumed", "deleted"):
        assert f"push_subscription.{action}" in actions


def test_deliveries_of_a_deleted_subscription_fail_instead_of_going_out(receiver, stream):
    admin = sign_up("fleet")
    created = subscribe(admin, receiver.url)
    call_api("DELETE", f"/subscriptions/{created['subscription_id']}", as_user=admin)
    stream.drain()
    assert receiver.requests == []


def test_only_fleet_admins_manage_subscriptions_and_other_fleets_see_404():
    admin = sign_up("fleet")
    created = subscribe(admin, "https://hooks.example.com/fleetbridge")
    customer = add_user(admin, "customer")
    vendor = sign_up("vendor", "Shop")
    other = sign_up("fleet", "Other Fleet")
    assert call_api("GET", "/subscriptions", as_user=customer).status == 403
    assert call_api("POST", "/subscriptions", as_user=vendor, json_body={"url": "https://x.example"}).status == 403
    sub_id = created["subscription_id"]
    for method, path in (("GET", ""), ("POST", "/pause"), ("POST", "/resume"), ("POST", "/rotate-secret"),
                         ("DELETE", ""), ("GET", "/deliveries")):
        r = call_api(method, f"/subscriptions/{sub_id}{path}", as_user=other)
        assert r.status == 404, (method, path, r.body)
    assert call_api("GET", "/subscriptions", as_user=other).json()["items"] == []
    assert get_sub(admin, sub_id)["status"] == "pending"


@pytest.mark.parametrize("url, problem", [
    ("http://hooks.example.com/x", "https"),
    ("ftp://hooks.example.com/x", "https"),
    ("https://user:pw@hooks.example.com/x", "credentials"),
    ("/relative/path", "absolute"),
    ("https://hooks.example.com:99999/x", "valid URL"),
    ("https://hooks.example.com/hook\x7f", "control characters"),
    ("https://hooks.example.com/a hook", "spaces"),
    ("https://xn--zz.example.com/hook", "valid URL"),  # no valid IDNA name: httpx could never send to it
])
def test_bad_urls_are_422(url, problem):
    admin = sign_up("fleet")
    r = call_api("POST", "/subscriptions", as_user=admin, json_body={"url": url})
    assert r.status == 422, r.body
    assert problem in r.json()["error"]["message"]


def test_in_aws_only_https_to_public_hosts():
    assert check_push_url("https://hooks.example.com/x", allow_loopback_http=False)
    for url in ("http://127.0.0.1:8080/x", "https://127.0.0.1/x", "https://localhost/x", "https://10.0.0.7/x",
                "https://169.254.169.254/latest", "https://[::1]/x", "http://hooks.example.com/x"):
        with pytest.raises(Unprocessable):
            check_push_url(url, allow_loopback_http=False)
    assert check_push_url("http://127.0.0.1:8080/x", allow_loopback_http=True)
    assert check_push_url("http://localhost:8080/x", allow_loopback_http=True)


@pytest.mark.parametrize("url,address", [
    ("https://127.1/x", "127.0.0.1"),  # short numeric forms the resolver reads as addresses
    ("https://2130706433/x", "127.0.0.1"),
    ("https://0x7f000001/x", "127.0.0.1"),
    ("https://10.1/hooks", "10.0.0.1"),
])
def test_in_aws_a_host_that_resolves_to_a_private_address_is_refused(url, address):
    with pytest.raises(Unprocessable) as refused:
        check_push_url(url, allow_loopback_http=False)
    assert f"resolves to {address}" in refused.value.message

