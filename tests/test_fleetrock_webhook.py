"""`POST /webhooks/fleetrock/{id}`: the rejections, every signature form and body shape of the contract,
once-only storage, late deliveries, test events, and signed bodies we cannot read (kept, 202)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dev.apigw import LocalContext
from dev.fleetrock_standin import sign
from functions.fleetrock_webhook.handler import lambda_handler
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration.credentials import encrypt_webhook_secret
from shared.fleetrock.integration.models import IntegrationItem
from tests.conftest import call_api
from tests.factories import create_asset, sign_up
from tests.fleetrock_support import active_integration, configure, dispatch, envelope, post_webhook, send

pytestmark = pytest.mark.usefixtures("dynamodb")
EVENTS = Path(__file__).resolve().parent.parent / "events"
SAMPLE_INTEGRATION_ID = "int_01SAMPLE0000000000000000000"
SAMPLE_SECRET = "frwh_sample-secret-for-events-only"  # events/fleetrock_webhook_*.json are signed with it


def test_accepted_once_and_a_redelivery_is_acknowledged(fleetrock):
    integration_id, secret = active_integration(sign_up("fleet"), fleetrock)
    body = envelope("repair_order.updated", {"id": "RO-1", "status": "Waiting"}, event_id="evt-1")
    first = post_webhook(integration_id, secret, body)
    assert first.status == 202 and first.json() == {"event_id": "evt-1", "status": "accepted"}
    again = post_webhook(integration_id, secret, body)
    assert again.status == 202 and again.json()["status"] == "duplicate"


def test_rejections_in_the_order_of_the_spec(fleetrock):
    admin = sign_up("fleet")
    integration_id, secret = active_integration(admin, fleetrock)
    body = envelope("test", {})
    assert post_webhook("int_nope", secret, body).status == 404
    assert post_webhook(integration_id, secret, body, signature="").status == 401
    assert post_webhook(integration_id, secret, body, signature=sign("other-secret", body)).status == 401
    good = sign(secret, body)
    flipped = good[:-1] + ("1" if good[-1] == "0" else "0")
    assert post_webhook(integration_id, secret, body, signature=flipped).status == 401
    assert post_webhook(integration_id, secret, body + b" ", signature=sign(secret, body)).status == 401
    assert post_webhook(integration_id, secret, body, signature="sha256=" + "0" * 64).status == 401
    big = envelope("test", {"pad": "x" * (1024 * 1024)})
    assert post_webhook(integration_id, secret, big).status == 413
    configured = sign_up("fleet", "Other")
    created = configure(configured, fleetrock)
    assert post_webhook(created["integration_id"], created["webhook_secret"], body).status == 410
    # a signature check happens before the 410: an unsigned request learns nothing
    assert post_webhook(created["integration_id"], "wrong", body).status == 401


@pytest.mark.parametrize(("header", "encoding", "prefixed"), [
    ("X-Fleetrock-Signature", "hex", True), ("X-Fleetrock-Signature", "hex", False),
    ("X-Signature", "base64", False), ("X-Hub-Signature-256", "base64", True), ("Signature", "hex", False),
])
def test_every_signature_form_of_the_contract_is_accepted_and_recorded(fleetrock, header, encoding, prefixed):
    admin = sign_up("fleet")
    integration_id, secret = active_integration(admin, fleetrock)
    body = envelope("repair_order.updated", {"id": "RO-1"})
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    value = digest.hex().upper() if encoding == "hex" else base64.b64encode(digest).decode()
    r = post_webhook(integration_id, secret, body, signature="", headers={
        header.lower(): ("sha256=" if prefixed else "") + value})
    assert r.status == 202, r.body
    shown = call_api("GET", f"/integrations/{integration_id}", as_user=admin).json()
    assert shown["signature_form"] == f"{header}: {encoding}" + (" with sha256=" if prefixed else "")


def test_a_bare_form_body_naming_the_order_is_a_hint_and_every_repeat_is_kept(fleetrock, stream):
    admin = sign_up("fleet")
    truck = create_asset(admin)
    integration_id, secret = active_integration(admin, fleetrock)
    body = b"ro_id=RO-77"
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    form = {"content-type": "application/x-www-form-urlencoded", "X-Signature": signature}
    fleetrock.put_repair_order({"id": "RO-77", "vin": truck["vin"], "status": "In Progress"})
    first = post_webhook(integration_id, secret, body, signature="", headers=form)
    assert first.status == 202 and first.json()["status"] == "accepted"
    stream.drain()
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] == "in_shop"
    fleetrock.put_repair_order({"id": "RO-77", "status": "Finished"})
    again = post_webhook(integration_id, secret, body, signature="", headers=form)  # the same bytes, at once
    assert again.status == 202 and again.json()["status"] == "accepted"  # a new change of RO-77: never dropped
    stream.drain()
    assert dispatch(admin)[truck["asset_id"]]["maintenance_status"] is None
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    assert [(e["ro_id"], e["event_type"], e["status"]) for e in events] == [
        ("RO-77", "repair_order.hint", "applied")] * 2


@pytest.mark.parametrize(("body", "ro_id"), [
    (b'{"repair_order": {"id": "RO-5", "status": "Finished"}}', "RO-5"),
    (b'{"type": "ro.changed", "data": {"repair_order_id": 12345}}', "12345"),
    (b'{"data": {"repair_order": {"id": "RO-6"}}}', "RO-6"),
    (b"repair_order_id=RO-8&event=updated", "RO-8"),
    (b'payload={"ro_id": "RO-9"}', "RO-9"),
])
def test_the_repair_order_id_is_found_where_the_contract_looks(fleetrock, body, ro_id):
    admin = sign_up("fleet")
    integration_id, secret = active_integration(admin, fleetrock)
    r = post_webhook(integration_id, secret, body)
    assert r.status == 202 and r.json()["status"] == "accepted", r.body
    [event] = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    assert (event["ro_id"], event["status"]) == (ro_id, "pending")


def test_late_deliveries_are_accepted_and_event_ids_dedupe(fleetrock):
    integration_id, secret = active_integration(sign_up("fleet"), fleetrock)
    old = (datetime.now(UTC) - timedelta(hours=6)).isoformat()
    r = send(integration_id, secret, "repair_order.updated", {"id": "RO-9"}, sent_at=old, event_id="evt-late")
    assert r.status == 202 and r.json()["status"] == "accepted"  # applying re-reads Fleetrock: no harm
    r = send(integration_id, secret, "repair_order.updated", {"id": "RO-9"}, event_id="evt-late")
    assert r.status == 202 and r.json()["status"] == "duplicate"


@pytest.mark.parametrize("body", [b"<xml/>", b'{"hello": "world"}', b"\xff\xfe", b"[1, 2]", b"{not json",
                                  b"a=" + b"[" * 5000])
def test_a_signed_body_we_cannot_read_is_kept_as_unrecognized_with_202(fleetrock, stream, body):
    admin = sign_up("fleet")
    integration_id, secret = active_integration(admin, fleetrock)
    r = post_webhook(integration_id, secret, body, headers={"content-type": "application/octet-stream"})
    assert r.status == 202 and r.json()["status"] == "unrecognized", r.body
    [event] = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    assert event["status"] == "unrecognized"
    stream.drain()  # the count and the sample are the stream's work, off the webhook's answer
    [sample] = call_api("GET", f"/integrations/{integration_id}/webhook-samples", as_user=admin).json()["items"]
    assert sample["outcome"] == "unrecognized" and sample["size"] == len(body)
    shown = call_api("GET", f"/integrations/{integration_id}", as_user=admin).json()
    assert shown["unrecognized_webhooks"] == 1 and shown["last_unrecognized_at"]


def test_test_event_answers_200_and_is_recorded_unknown_types_with_an_id_are_hints(fleetrock):
    admin = sign_up("fleet")
    integration_id, secret = active_integration(admin, fleetrock)
    r = send(integration_id, secret, "test", {"message": "hello"}, event_id="evt-test")
    assert r.status == 200 and r.json()["status"] == "test_received"
    r = send(integration_id, secret, "inspection.completed", {"id": "I-1"}, event_id="evt-unknown")
    assert r.status == 202
    r = send(integration_id, secret, "inspection.completed", {"name": "no id"}, event_id="evt-unread")
    assert r.status == 202 and r.json()["status"] == "unrecognized"
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    assert {e["event_id"]: e["status"] for e in events} == {
        "evt-test": "test", "evt-unknown": "pending", "evt-unread": "unrecognized"}


def test_webhook_needs_no_user_token_and_ignores_one(fleetrock):
    admin = sign_up("fleet")
    integration_id, _ = active_integration(admin, fleetrock)
    body = envelope("test", {})
    r = call_api("POST", f"/webhooks/fleetrock/{integration_id}", as_user=admin, raw_body=body.decode(),
                 headers={"X-Fleetrock-Signature": "sha256=00"})
    assert r.status == 401  # a user token is no signature


def test_through_the_dev_server_over_http(fleetrock, dev_server):
    integration_id, secret = active_integration(sign_up("fleet"), fleetrock)
    url = f"{dev_server.url}/webhooks/fleetrock/{integration_id}"
    assert fleetrock.send_webhook(url, secret, "test", {})[0] == 200
    status, body = fleetrock.send_webhook(url, secret, "repair_order.updated", {"id": "R", "status": "Waiting"})
    assert status == 202, body
    assert fleetrock.post_webhook(url, "wrong", b"{}")[0] == 401
    big = fleetrock.webhook_body("test", {"pad": "x" * (1024 * 1024)})
    assert fleetrock.post_webhook(url, secret, big)[0] == 413
    assert fleetrock.post_webhook(url, secret, b"<xml/>", content_type="application/xml")[0] == 202
    fleetrock.add_webhook_target(url, secret, envelope="bare")
    fleetrock.put_repair_order({"id": "R2", "status": "Waiting"})
    [(status, body)] = fleetrock.notify("repair_order.updated", {"id": "R2"})
    assert status == 202 and json.loads(body)["status"] == "accepted"


@pytest.mark.parametrize("path", sorted(EVENTS.glob("fleetrock_webhook_*.json")), ids=lambda p: p.name)
def test_sample_events_are_signed_with_the_sample_secret_and_accepted(path, fleetrock):
    event = json.loads(path.read_text())
    raw = event["body"].encode()
    digest = hmac.new(SAMPLE_SECRET.encode(), raw, hashlib.sha256).digest()
    assert event["headers"].get("X-Fleetrock-Signature", sign(SAMPLE_SECRET, raw)) == sign(SAMPLE_SECRET, raw)
    assert event["headers"].get("X-Signature", base64.b64encode(digest).decode()) == base64.b64encode(digest).decode()
    # the sample integration, with the sample secret (late deliveries are accepted: no re-signing needed)
    admin = sign_up("fleet")
    created = configure(admin, fleetrock)
    item = integration_dal.get_integration_item(created["integration_id"])
    assert item is not None
    keep = {k: v for k, v in item.attribute_values.items() if k not in ("pk", "sk", "version", "type")}
    sample = IntegrationItem(integration_dal.integration_pk(SAMPLE_INTEGRATION_ID), integration_dal.SK,
                             **{**keep, "integration_id": SAMPLE_INTEGRATION_ID, "status": "active",
                                "webhook_secret_ciphertext": encrypt_webhook_secret(SAMPLE_SECRET,
                                                                                    SAMPLE_INTEGRATION_ID)})
    sample.save()
    result = lambda_handler(event, LocalContext())  # type: ignore[arg-type]
    is_test = '"event":"test"' in event["body"]
    assert result["statusCode"] == (200 if is_test else 202), result["body"]
    assert json.loads(result["body"])["status"] in ("test_received", "accepted", "duplicate")
    sample.delete()


def test_every_answer_is_counted_for_the_4xx_and_5xx_rate_alarms(fleetrock, monkeypatch):
    """The spec's 'webhook 4xx/5xx rate' alarms (infra) divide these counts: every answer, and the errors."""
    from shared import observability

    counted: list[str] = []
    monkeypatch.setattr(observability.metrics, "add_metric", lambda name, unit, value: counted.append(name))
    integration_id, secret = active_integration(sign_up("fleet"), fleetrock)
    body = envelope("repair_order.updated", {"id": "RO-1", "status": "Waiting"})
    assert post_webhook(integration_id, secret, body).status == 202
    assert post_webhook(integration_id, secret, body, signature="sha256=00").status == 401
    big = envelope("test", {"pad": "x" * (1024 * 1024)})
    assert post_webhook(integration_id, secret, big).status == 413  # answered before any route runs
    answers = [n for n in counted if n.startswith("FleetrockWebhook") and n.endswith(("Answered", "4xx", "5xx"))]
    assert answers == ["FleetrockWebhookAnswered", "FleetrockWebhookAnswered", "FleetrockWebhook4xx",
                       "FleetrockWebhookAnswered", "FleetrockWebhook4xx"]


def test_a_change_made_by_another_process_reaches_the_webhook_within_its_cache_seconds(fleetrock, monkeypatch):
    """The webhook reads its integration at most every CACHE_SECONDS per process. A change written elsewhere
    (another Lambda: here straight into the table, so this process's `forget` never runs): a new secret is
    accepted at once, the old one and a deactivation hold for at most CACHE_SECONDS."""
    monkeypatch.setattr(integration_dal, "CACHE_SECONDS", 0.5)
    integration_id, old_secret = active_integration(sign_up("fleet"), fleetrock)
    body = envelope("test", {})
    assert post_webhook(integration_id, old_secret, body).status == 200  # now cached
    item = integration_dal.get_integration_item(integration_id)
    assert item is not None
    new_secret = "frwh_rotated-by-another-process"
    item.webhook_secret_ciphertext = encrypt_webhook_secret(new_secret, integration_id)
    item.save()
    assert post_webhook(integration_id, new_secret, body).status == 200  # a stale copy never refuses it
    time.sleep(0.6)
    assert post_webhook(integration_id, old_secret, body).status == 401
    item = integration_dal.get_integration_item(integration_id)
    assert item is not None
    item.status = "inactive"
    item.save()
    time.sleep(0.6)
    assert post_webhook(integration_id, new_secret, body).status == 410


def test_a_burst_prints_no_metrics_when_metrics_are_disabled(fleetrock, capsys):
    """Powertools keeps unpublished metrics when they are disabled (tests, make dev) and printed them every
    100 (a JSON line per 50 webhooks, hundreds of KB in a load test); ours forgets them at each flush."""
    integration_id, secret = active_integration(sign_up("fleet"), fleetrock)
    capsys.readouterr()
    for n in range(120):
        r = send(integration_id, secret, "test", {}, event_id=f"evt-metrics-{n}")
        assert r.status in (200, 202), r.body
    assert "CloudWatchMetrics" not in capsys.readouterr().out
