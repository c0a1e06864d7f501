"""Webhook samples (`GET /integrations/{id}/webhook-samples`) and the unrecognized-webhook count:
the newest 20 kept under concurrent webhooks, signatures never kept, odd and large bodies, 30 days,
tenant isolation, and recording that never fails a webhook."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared import observability
from shared.fleetrock.inbox import samples, samples_dal
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration.models import IntegrationItem
from shared.fleetrock.remote.contract import SIGNATURE_HEADERS
from tests.conftest import TEST_ENV, call_api
from tests.factories import Caller, add_user, sign_up
from tests.fleetrock_support import active_integration, configure, envelope, post_webhook

pytestmark = pytest.mark.usefixtures("dynamodb")
SECRET_VALUE = "sha256=" + "ab" * 32


def _integration(admin: Caller, standin: Any) -> IntegrationItem:
    item = integration_dal.get_integration_item(configure(admin, standin)["integration_id"])
    assert item is not None
    return item


def _record(item: IntegrationItem, body: bytes = b'{"id": "RO-1"}', *, at: datetime | None = None,
            headers: dict[str, str] | None = None, outcome: str = "accepted", event_id: str | None = "evt") -> None:
    samples.record_sample(item, headers={"content-type": "application/json", **(headers or {})}, body=body,
                          received_at=at or datetime.now(UTC), outcome=outcome, event_id=event_id)


def _samples(admin: Caller, integration_id: str) -> list[dict[str, Any]]:
    r = call_api("GET", f"/integrations/{integration_id}/webhook-samples", as_user=admin)
    assert r.status == 200, r.body
    assert r.json()["next_cursor"] is None
    return list(r.json()["items"])


def test_of_25_samples_the_newest_20_are_listed_newest_first(fleetrock):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    start = datetime.now(UTC) - timedelta(minutes=30)
    for n in range(25):
        _record(item, json.dumps({"ro_id": f"RO-{n}"}).encode(), at=start + timedelta(seconds=n),
                event_id=f"evt-{n}", outcome="test" if n == 24 else "accepted")
    listed = _samples(admin, item.integration_id)
    assert [s["event_id"] for s in listed] == [f"evt-{n}" for n in range(24, 4, -1)]
    newest = listed[0]
    assert newest["outcome"] == "test" and newest["content_type"] == "application/json"
    assert newest["body"] == '{"ro_id": "RO-24"}' and newest["body_base64"] is False
    assert newest["size"] == len(newest["body"]) and newest["truncated"] is False
    assert datetime.fromisoformat(newest["received_at"]) == start + timedelta(seconds=24)
    assert len(list(samples_dal.newest_samples(item.integration_id))) == 20  # the older 5 were deleted


def test_concurrent_webhooks_keep_exactly_the_newest_20(fleetrock):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    start = datetime.now(UTC) - timedelta(minutes=5)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: _record(item, at=start + timedelta(milliseconds=n), event_id=f"evt-{n}"), range(60)))
    assert [s["event_id"] for s in _samples(admin, item.integration_id)] == [f"evt-{n}" for n in range(59, 39, -1)]
    assert len(list(samples_dal.newest_samples(item.integration_id))) == 20  # each trim deleted only older ones


def test_a_redelivered_record_is_the_same_sample_and_an_old_one_is_trimmed_again(fleetrock):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    start = datetime.now(UTC) - timedelta(minutes=5)
    for n in range(21):
        _record(item, at=start + timedelta(seconds=n), event_id=f"evt-{n}")
    _record(item, at=start + timedelta(seconds=20), event_id="evt-20")  # the stream delivers a record again
    _record(item, at=start, event_id="evt-0")  # ... one whose sample 20 newer ones pushed out
    listed = [s["event_id"] for s in _samples(admin, item.integration_id)]
    assert listed == [f"evt-{n}" for n in range(20, 0, -1)]
    assert len(list(samples_dal.newest_samples(item.integration_id))) == 20


def test_signature_headers_and_credentials_are_never_stored_or_shown(fleetrock, dynamodb):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    sent = {**{h.upper() if i % 2 else h: f"{SECRET_VALUE}-{i}" for i, h in enumerate(SIGNATURE_HEADERS)},
            "Authorization": "Bearer secret-jwt", "Cookie": "session=secret-cookie", "X-Api-Key": "secret-key",
            "X-Fleetrock-Token": "secret-token", "User-Agent": "Fleetrock-Webhooks/1.0", "X-Request-Id": "r-1"}
    _record(item, headers=sent)
    [shown] = _samples(admin, item.integration_id)
    assert shown["headers"] == {"content-type": "application/json", "user-agent": "Fleetrock-Webhooks/1.0",
                                "x-request-id": "r-1", "x-fleetrock-token": "[redacted]"}
    stored = dynamodb.query(TableName=TEST_ENV["TABLE_NAME"], KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": {"S": samples_dal.samples_pk(item.integration_id)}})
    text = json.dumps(stored["Items"], default=str)
    for secret in (SECRET_VALUE, "secret-jwt", "secret-cookie", "secret-key", "secret-token"):
        assert secret not in text
    assert not {h.lower() for h in SIGNATURE_HEADERS} & {k.lower() for k in shown["headers"]}


def test_a_body_that_is_not_utf8_text_comes_base64_encoded(fleetrock):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    binary = b"\xff\xfe\x00\x01 not text \x80"
    _record(item, binary, headers={"content-type": "application/octet-stream"}, event_id="bin")
    _record(item, b"a\x00b=c", event_id="nul")  # UTF-8, but with a control character: base64 too
    nul, shown = _samples(admin, item.integration_id)
    assert shown["body_base64"] is True and base64.b64decode(shown["body"]) == binary
    assert shown["size"] == len(binary) and shown["content_type"] == "application/octet-stream"
    assert nul["body_base64"] is True and base64.b64decode(nul["body"]) == b"a\x00b=c"


def test_a_too_large_body_is_kept_truncated_on_a_character_boundary(fleetrock):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    big = b'{"pad": "' + "é".encode() * 200_000 + b'"}'  # 400 KB of two-byte characters
    _record(item, big, event_id="big")
    _record(item, b"x" * samples.BODY_KEPT_BYTES, event_id="exact")
    exact, shown = _samples(admin, item.integration_id)
    assert shown["truncated"] is True and shown["size"] == len(big) and shown["body_base64"] is False
    kept = shown["body"].encode()
    assert big.startswith(kept) and samples.BODY_KEPT_BYTES - 2 < len(kept) <= samples.BODY_KEPT_BYTES
    assert exact["truncated"] is False and len(exact["body"]) == samples.BODY_KEPT_BYTES
    [stored] = [s for s in samples_dal.newest_samples(item.integration_id) if s.event_id == "big"]
    assert len(stored.body_zlib) < 10_000  # compressed: far from the 400 KB item limit


def test_samples_expire_30_days_on_and_an_expired_one_is_not_listed(fleetrock):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    now = datetime.now(UTC)
    _record(item, at=now - timedelta(days=31), event_id="old")  # TTL deletes lazily: still in the table
    _record(item, at=now, event_id="new")
    by_id = {s.event_id: s for s in samples_dal.newest_samples(item.integration_id)}
    assert abs(int(by_id["new"].expires_at_epoch) - (now + timedelta(days=30)).timestamp()) < 2
    assert "old" in by_id
    assert [s["event_id"] for s in _samples(admin, item.integration_id)] == ["new"]


def test_another_fleets_integration_is_404_and_roles_without_integration_manage_are_403(fleetrock):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    _record(item)
    path = f"/integrations/{item.integration_id}/webhook-samples"
    other = sign_up("fleet", "Other Freight")
    r = call_api("GET", path, as_user=other)
    assert r.status == 404 and "evt" not in r.body
    assert call_api("GET", "/integrations/int_nope/webhook-samples", as_user=admin).status == 404
    assert call_api("GET", path, as_user=add_user(admin, "customer")).status == 403
    assert call_api("GET", path, as_user=sign_up("vendor", "Shop")).status == 403
    assert call_api("GET", path, as_user=add_user(admin, "manager")).status == 200


def test_an_integration_without_webhooks_has_no_samples(fleetrock):
    admin = sign_up("fleet")
    assert _samples(admin, _integration(admin, fleetrock).integration_id) == []


def test_unrecognized_webhooks_are_counted_on_the_integration_without_touching_its_version(fleetrock):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    path = f"/integrations/{item.integration_id}"
    before = call_api("GET", path, as_user=admin).json()
    assert (before["unrecognized_webhooks"], before["last_unrecognized_at"]) == (0, None)
    first, second = datetime.now(UTC) - timedelta(minutes=5), datetime.now(UTC)
    samples.note_unrecognized(item.integration_id, first)
    samples.note_unrecognized(item.integration_id, second)
    shown = call_api("GET", path, as_user=admin).json()
    assert shown["unrecognized_webhooks"] == 2 and datetime.fromisoformat(shown["last_unrecognized_at"]) == second
    assert shown["version"] == before["version"]
    # an admin's edit of the version read before the webhooks lands, and keeps the count
    r = call_api("PATCH", path, as_user=admin, json_body={"version": before["version"], "default_group": "Yard"})
    assert r.status == 200, r.body
    assert r.json()["unrecognized_webhooks"] == 2


def test_a_count_an_admins_stale_save_wrote_back_is_set_right_by_the_next_unrecognized_webhook(fleetrock):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    stale = integration_dal.get_integration_item(item.integration_id)  # an admin's request reads ...
    assert stale is not None
    samples.note_unrecognized(item.integration_id, datetime.now(UTC))  # ... a webhook is counted ...
    stale.save()  # ... and the admin's versioned Put writes what it read: the count is gone
    gone = integration_dal.get_integration_item(item.integration_id)
    assert gone is not None and gone.unrecognized_webhooks is None
    samples.note_unrecognized(item.integration_id, datetime.now(UTC))
    shown = call_api("GET", f"/integrations/{item.integration_id}", as_user=admin).json()
    assert shown["unrecognized_webhooks"] == 2  # the true count, kept on the samples' head


def test_concurrent_unrecognized_webhooks_are_all_counted_and_a_redelivery_once(fleetrock):
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: samples.note_unrecognized(item.integration_id, datetime.now(UTC),
                                                          event_id=f"evt-{n % 30}"), range(45)))
    shown = call_api("GET", f"/integrations/{item.integration_id}", as_user=admin).json()
    assert shown["unrecognized_webhooks"] == 30  # 15 of the 45 were redeliveries of a counted event


def test_counting_an_unknown_integration_creates_nothing():
    samples.note_unrecognized("int_gone", datetime.now(UTC))
    assert integration_dal.get_integration_item("int_gone") is None


def test_a_database_error_while_recording_is_logged_and_counted_never_raised(fleetrock, monkeypatch):
    """A real DynamoDB refusal (a partition key over 2,048 bytes), not a stand-in for the table."""
    admin = sign_up("fleet")
    item = _integration(admin, fleetrock)
    counted: list[str] = []
    monkeypatch.setattr(observability.metrics, "add_metric", lambda name, unit, value: counted.append(name))
    monkeypatch.setattr(samples_dal, "samples_pk", lambda integration_id: "X" * 3000)
    _record(item)
    samples.note_unrecognized(item.integration_id, datetime.now(UTC))
    assert counted == ["FleetrockWebhookSampleFailed", "FleetrockWebhookSampleFailed"]
    monkeypatch.undo()
    assert _samples(admin, item.integration_id) == []


def test_posted_webhooks_show_up_as_samples_with_their_outcome(fleetrock, stream):
    admin = sign_up("fleet")
    integration_id, secret = active_integration(admin, fleetrock)
    test_body = envelope("test", {}, event_id="evt-test")
    assert post_webhook(integration_id, secret, test_body, headers={"User-Agent": "Fleetrock"}).status == 200
    fleetrock.put_repair_order({"id": "RO-1", "status": "Waiting"})
    order = envelope("repair_order.updated", {"id": "RO-1"}, event_id="evt-ro")
    assert post_webhook(integration_id, secret, order).status == 202
    assert post_webhook(integration_id, secret, order).json()["status"] == "duplicate"  # stored once: one sample
    odd = b"<xml>what is this</xml>"
    r = post_webhook(integration_id, secret, odd, headers={"content-type": "application/xml",
                                                           "Authorization": "Bearer not-kept"})
    assert r.status == 202 and r.json()["status"] == "unrecognized"
    stream.drain()  # samples are the stream's work, off the webhook's answer
    listed = _samples(admin, integration_id)
    assert [(s["outcome"], s["event_id"]) for s in listed] == [
        ("unrecognized", r.json()["event_id"]), ("accepted", "evt-ro"), ("test", "evt-test")]
    assert listed[0]["body"] == odd.decode() and listed[0]["content_type"] == "application/xml"
    assert listed[-1]["body"] == test_body.decode() and listed[-1]["headers"]["user-agent"] == "Fleetrock"
    for sample in listed:
        assert not {"x-fleetrock-signature", "authorization"} & set(sample["headers"])
        assert not any(v.startswith("sha256=") or "not-kept" in v for v in sample["headers"].values())
    shown = call_api("GET", f"/integrations/{integration_id}", as_user=admin).json()
    assert shown["unrecognized_webhooks"] == 1 and shown["last_unrecognized_at"]
