"""`POST /webhooks/fleetrock/{id}`: every rejection of the spec, once-only storage, test and unknown events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dev.apigw import LocalContext
from dev.fleetrock_standin import sign
from functions.fleetrock_webhook.handler import lambda_handler
from shared.fleetrock import integration_dal
from shared.fleetrock.credentials import encrypt_webhook_secret
from shared.fleetrock.models import IntegrationItem
from tests.conftest import call_api
from tests.factories import sign_up
from tests.fleetrock_support import active_integration, configure, envelope, post_webhook, send

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
    assert post_webhook(integration_id, secret, body, signature=good.removeprefix("sha256=")).status == 401
    assert post_webhook(integration_id, secret, body + b" ", signature=sign(secret, body)).status == 401
    not_json = b"event=test"
    r = post_webhook(integration_id, secret, not_json, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status == 400
    assert post_webhook(integration_id, secret, b"{not json").status == 400
    r = post_webhook(integration_id, secret, json.dumps({"event": "test"}).encode())
    assert r.status == 422  # JSON, but no event_id / sent_at
    big = envelope("test", {"pad": "x" * (1024 * 1024)})
    assert post_webhook(integration_id, secret, big).status == 413
    configured = sign_up("fleet", "Other")
    created = configure(configured, fleetrock)
    assert post_webhook(created["integration_id"], created["webhook_secret"], body).status == 410
    # a signature check happens before the 410: an unsigned request learns nothing
    assert post_webhook(created["integration_id"], "wrong", body).status == 401


def test_sent_at_more_than_five_minutes_off_is_refused_unless_accepted_before(fleetrock):
    integration_id, secret = active_integration(sign_up("fleet"), fleetrock)
    old = (datetime.now(UTC) - timedelta(minutes=6)).isoformat()
    r = send(integration_id, secret, "repair_order.updated", {"id": "RO-9", "status": "Waiting"}, sent_at=old)
    assert r.status == 400 and r.error_code == "stale_event"
    future = (datetime.now(UTC) + timedelta(minutes=6)).isoformat()
    assert send(integration_id, secret, "test", {}, sent_at=future).status == 400
    assert send(integration_id, secret, "repair_order.updated", {"id": "RO-9", "status": "Waiting"},
                event_id="evt-late").status == 202
    r = send(integration_id, secret, "repair_order.updated", {"id": "RO-9", "status": "Waiting"}, event_id="evt-late",
             sent_at=old)
    assert r.status == 202 and r.json()["status"] == "duplicate"


def test_test_event_answers_200_and_is_recorded_unknown_types_are_stored(fleetrock):
    admin = sign_up("fleet")
    integration_id, secret = active_integration(admin, fleetrock)
    r = send(integration_id, secret, "test", {"message": "hello"}, event_id="evt-test")
    assert r.status == 200 and r.json()["status"] == "test_received"
    r = send(integration_id, secret, "inspection.completed", {"id": "I-1"}, event_id="evt-unknown")
    assert r.status == 202
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    assert {e["event_id"]: e["status"] for e in events} == {"evt-test": "test", "evt-unknown": "unknown_type"}


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
    assert fleetrock.post_webhook(url, secret, b"<xml/>", content_type="application/xml")[0] == 400


@pytest.mark.parametrize("path", sorted(EVENTS.glob("fleetrock_webhook_*.json")), ids=lambda p: p.name)
def test_sample_events_are_signed_with_the_sample_secret_and_accepted(path, fleetrock):
    event = json.loads(path.read_text())
    assert event["headers"]["X-Fleetrock-Signature"] == sign(SAMPLE_SECRET, event["body"].encode())
    # the sample integration, with the sample secret; sent_at refreshed (and re-signed) to be within 5 minutes
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
    body = json.loads(event["body"])
    body["sent_at"] = datetime.now(UTC).isoformat()
    event["body"] = json.dumps(body)
    event["headers"]["X-Fleetrock-Signature"] = sign(SAMPLE_SECRET, event["body"].encode())
    result = lambda_handler(event, LocalContext())  # type: ignore[arg-type]
    assert result["statusCode"] == (200 if body["event"] == "test" else 202), result["body"]


def test_every_answer_is_counted_for_the_4xx_and_5xx_rate_alarms(fleetrock, monkeypatch):
    """The spec's 'webhook 4xx/5xx rate' alarms (infra) divide these counts: every answer, and the errors."""
    from shared.api import resolver

    counted: list[str] = []
    monkeypatch.setattr(resolver.metrics, "add_metric", lambda name, unit, value: counted.append(name))
    integration_id, secret = active_integration(sign_up("fleet"), fleetrock)
    body = envelope("repair_order.updated", {"id": "RO-1", "status": "Waiting"})
    assert post_webhook(integration_id, secret, body).status == 202
    assert post_webhook(integration_id, secret, body, signature="sha256=00").status == 401
    big = envelope("test", {"pad": "x" * (1024 * 1024)})
    assert post_webhook(integration_id, secret, big).status == 413  # answered before any route runs
    answers = [n for n in counted if n.startswith("FleetrockWebhook") and n.endswith(("Answered", "4xx", "5xx"))]
    assert answers == ["FleetrockWebhookAnswered", "FleetrockWebhookAnswered", "FleetrockWebhook4xx",
                       "FleetrockWebhookAnswered", "FleetrockWebhook4xx"]
