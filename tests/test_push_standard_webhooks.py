"""Deliveries made through the real path, verified by the official Standard Webhooks client (not ours).

A subscription is created through the API; the stream sends its verification delivery (and later
snapshots) to a local receiver, which keeps the headers and body as they arrived.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from shared.maintenance.public import AssetState
from shared.push.dal import subscriptions as subscriptions_dal
from shared.push.models import PushSubscriptionItem
from shared.push.snapshots import push_snapshot
from shared.secrets.cipher import get_cipher
from shared.secrets.purposes import PUSH_SUBSCRIPTION_SECRET
from tests.conftest import call_api
from tests.factories import Caller, sign_up
from tests.push_receiver import PushReceiver, Received, receiver_fixture, stream_fixture, verify  # noqa: F401

pytestmark = pytest.mark.usefixtures("dynamodb")
WEBHOOK_HEADERS = {"webhook-id", "webhook-timestamp", "webhook-signature"}


def subscribe(admin: Caller, receiver: PushReceiver) -> dict[str, Any]:
    r = call_api("POST", "/subscriptions", as_user=admin, json_body={"url": receiver.url})
    assert r.status == 201, r.body
    return dict(r.json())


def lowered(received: Received) -> dict[str, str]:
    return {k.lower(): v for k, v in received.headers.items()}


def push_one_asset(admin: Caller) -> str:
    asset = AssetState(asset_id="ast_1", unit_number="T1", vin="1FUJGLDR0CL000001", kind="truck",
                       asset_status="active", maintenance_status=None, statuses=[])
    [delivery_id] = push_snapshot(admin.org_id, [asset], datetime.now(UTC))
    return delivery_id


def rotate(admin: Caller, subscription_id: str) -> str:
    r = call_api("POST", f"/subscriptions/{subscription_id}/rotate-secret", as_user=admin)
    assert r.status == 200, r.body
    return str(r.json()["secret"])


def test_a_delivery_verifies_with_the_official_client_and_not_once_tampered(receiver, stream):
    admin = sign_up("fleet")
    created = subscribe(admin, receiver)
    receiver.secrets = [created["secret"]]
    stream.drain()
    [received] = receiver.requests
    headers = lowered(received)
    assert Webhook(created["secret"]).verify(received.body, received.headers) == {
        "type": "verification", "fleet_id": admin.org_id, "subscription_id": created["subscription_id"],
        "generated_at": received.json()["generated_at"]}
    assert headers["webhook-id"] == headers["x-fleetbridge-delivery"] == received.delivery_id
    assert headers["x-fleetbridge-signature"].startswith(f"t={headers['webhook-timestamp']},")
    assert headers["webhook-signature"].startswith("v1,") and " " not in headers["webhook-signature"]
    tampered = [(received.body.replace(b"verification", b"snapshot"), received.headers),
                (received.body, {**headers, "webhook-id": "dlv_other"}),  # replayed under another id
                (received.body, {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 1)})]
    for body, sent in tampered:
        with pytest.raises(WebhookVerificationError):
            Webhook(created["secret"]).verify(body, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(rotate(admin, created["subscription_id"])).verify(received.body, received.headers)  # another secret


def test_during_the_rotation_overlap_the_new_and_the_previous_secret_verify(receiver, stream):
    admin = sign_up("fleet")
    created = subscribe(admin, receiver)
    receiver.secrets = [created["secret"]]
    stream.drain()
    new_secret = rotate(admin, created["subscription_id"])
    delivery_id = push_one_asset(admin)
    stream.drain()
    received = receiver.accepted[delivery_id]
    assert len(lowered(received)["webhook-signature"].split(" ")) == 2, "the new secret's, then the previous one's"
    for secret in (new_secret, created["secret"]):
        assert Webhook(secret).verify(received.body, received.headers)["assets"][0]["asset_id"] == "ast_1"


def test_a_legacy_secret_gets_our_headers_only_until_the_subscriber_rotates_it(receiver, stream):
    admin = sign_up("fleet")
    created = subscribe(admin, receiver)
    sub_id = created["subscription_id"]
    legacy = "whsec_" + secrets.token_urlsafe(32)  # as secrets were made before Standard Webhooks
    item = subscriptions_dal.get_item(admin.org_id, sub_id)
    assert item is not None
    item.update(actions=[PushSubscriptionItem.secret.set(
        get_cipher().encrypt(legacy, purpose=PUSH_SUBSCRIPTION_SECRET, owner=sub_id))])  # stored before the change
    receiver.secrets = [legacy]
    stream.drain()
    [verification] = receiver.accepted.values()  # our header verified with the legacy secret
    assert not WEBHOOK_HEADERS & set(lowered(verification))

    new_secret = rotate(admin, sub_id)  # the subscriber opts in
    delivery_id = push_one_asset(admin)
    stream.drain()
    received = receiver.accepted[delivery_id]  # the legacy secret still verifies our header during the overlap
    assert len(lowered(received)["webhook-signature"].split(" ")) == 1, "only the standard secret signs webhook-*"
    assert Webhook(new_secret).verify(received.body, received.headers)["type"] == "snapshot"
    assert verify(received.headers, received.body, [new_secret]) == delivery_id, "and our header too"
