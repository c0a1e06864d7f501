"""The dev stack's push subscriber (dev/push_subscriber.py) over HTTP: which signature it checks, what it keeps."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from dev.dynamodb_local import free_port
from dev.push_subscriber import PushSubscriber, stored_deliveries, stored_headers
from shared.push import signing

BODY = json.dumps({"type": "snapshot", "fleet_id": "org_1", "page": 1, "pages": 1, "assets": []}).encode()


@pytest.fixture
def subscriber(tmp_path: Path) -> Iterator[PushSubscriber]:
    server = PushSubscriber(tmp_path / "push", port=free_port()).start()
    yield server
    server.stop()


def post(subscriber: PushSubscriber, headers: dict[str, str], body: bytes = BODY) -> int:
    return httpx.post(subscriber.url, content=body, headers=headers).status_code


def test_a_delivery_is_kept_with_the_headers_we_sent_and_verifies_again(subscriber):
    secret = signing.new_secret()
    subscriber.secrets.append(secret)
    sent = signing.headers([secret], int(time.time()), "dlv_1", BODY)
    assert post(subscriber, sent) == 200
    assert post(subscriber, sent) == 200, "a redelivery is acknowledged"
    [kept] = stored_deliveries(subscriber.out_dir)
    assert kept["delivery_id"] == "dlv_1" and kept["payload"] == json.loads(BODY)
    headers = stored_headers(subscriber.out_dir, "dlv_1")
    assert {k.lower() for k in headers} == {"content-type", "user-agent", "webhook-id", "webhook-timestamp",
                                            "webhook-signature", "x-fleetbridge-delivery", "x-fleetbridge-signature"}
    assert Webhook(secret).verify(kept["body"], headers) == json.loads(BODY)


def test_with_a_standard_secret_the_webhook_signature_decides(subscriber):
    secret = signing.new_secret()
    subscriber.secrets.append(secret)
    sent = signing.headers([secret], int(time.time()), "dlv_1", BODY)
    webhook_only = {k: v for k, v in sent.items() if not k.startswith("X-Fleetbridge")}
    assert post(subscriber, webhook_only) == 200
    forged = {**sent, "webhook-id": "dlv_2", "X-Fleetbridge-Delivery": "dlv_2"}
    forged["X-Fleetbridge-Signature"] = signing.signature_header([secret], int(time.time()), "dlv_2", BODY)
    assert post(subscriber, forged) == 400, "our header is right, webhook-signature is not: refused"
    assert post(subscriber, sent, BODY + b" ") == 400
    assert [d["delivery_id"] for d in stored_deliveries(subscriber.out_dir)] == ["dlv_1"]


def test_a_subscriber_holding_a_legacy_secret_checks_our_header(subscriber):
    legacy = "whsec_" + secrets.token_urlsafe(32)  # as secrets were made before Standard Webhooks
    subscriber.secrets.append(legacy)
    rotated = signing.headers([signing.new_secret(), legacy], int(time.time()), "dlv_1", BODY)  # not switched yet
    assert "webhook-signature" in rotated
    assert post(subscriber, rotated, BODY + b" ") == 400
    assert post(subscriber, rotated) == 200
    assert post(subscriber, signing.headers([legacy], int(time.time()), "dlv_2", BODY)) == 200
    assert sorted(d["delivery_id"] for d in stored_deliveries(subscriber.out_dir)) == ["dlv_1", "dlv_2"]


def test_the_subscriber_rejects_a_bad_signature(subscriber):
    subscriber.secrets.append("whsec_right")
    r = httpx.post(subscriber.url, content=b"{}", headers={"X-Fleetbridge-Delivery": "dlv_1",
                                                           "X-Fleetbridge-Signature": "t=1,v1=00"})
    assert r.status_code == 400
    assert list(subscriber.out_dir.glob("*.json")) == []
