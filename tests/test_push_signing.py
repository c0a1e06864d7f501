"""Our signatures as subscribers verify them (Standard Webhooks' package, the receiver helper, the README's
examples); backoff; paging."""

from __future__ import annotations

import base64
import json
import random
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from dev.apigw import LocalContext
from functions.push_retry.handler import lambda_handler as push_retry
from shared.maintenance.public import AssetState
from shared.push import signing
from shared.push.attempts import BASE_DELAY, MAX_DELAY, backoff
from shared.push.snapshots import PAGE_ASSETS, content_hash, pages
from tests.push_receiver import BadSignature, verify

ROOT = Path(__file__).resolve().parent.parent
BODY = b'{"fleet_id":"org_1","assets":[]}'


def signed(signing_secrets: list[str], delivery_id: str = "dlv_1", at: int | None = None) -> dict[str, str]:
    return signing.headers(signing_secrets, int(time.time()) if at is None else at, delivery_id, BODY)


def test_a_subscriber_accepts_our_signature_with_its_secret_only():
    headers = signed(["whsec_a"])
    assert headers["X-Fleetbridge-Delivery"] == "dlv_1"
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", headers["X-Fleetbridge-Signature"])
    assert verify(headers, BODY, ["whsec_a"]) == "dlv_1"
    with pytest.raises(BadSignature):
        verify(headers, BODY, ["whsec_b"])
    with pytest.raises(BadSignature):
        verify(headers, BODY + b" ", ["whsec_a"])  # body changed
    with pytest.raises(BadSignature):
        verify({**headers, "X-Fleetbridge-Delivery": "dlv_2"}, BODY, ["whsec_a"])  # replayed under another id


def test_during_a_rotation_either_secret_verifies():
    headers = signed(["whsec_new", "whsec_old"])
    assert headers["X-Fleetbridge-Signature"].count(",v1=") == 2
    assert verify(headers, BODY, ["whsec_new"]) == verify(headers, BODY, ["whsec_old"]) == "dlv_1"


def test_the_replay_window_is_five_minutes():
    now = int(time.time())
    assert verify(signed(["s"], at=now - 299), BODY, ["s"], now=now) == "dlv_1"
    for at in (now - 301, now + 301):
        with pytest.raises(BadSignature, match="window"):
            verify(signed(["s"], at=at), BODY, ["s"], now=now)


def readme_examples() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Receiving pushes"):]
    return re.findall(r"```python\n(.*?)```", section[:section.index("\n## ", 1)], re.S)


class Subscriber:
    """The functions the README's example leaves to the subscriber: a store of what it applied."""

    def __init__(self) -> None:
        self.handled: set[str] = set()
        self.sequences: dict[str, int] = {}
        self.applied: list[tuple[Any, ...]] = []

    def already_handled(self, delivery_id: str) -> bool:
        seen = delivery_id in self.handled
        self.handled.add(delivery_id)
        return seen

    def save_page(self, *page: Any) -> None:
        self.applied.append(("page", *page[2:4]))

    def last_sequence(self, asset_id: str) -> int:
        return self.sequences.get(asset_id, 0)

    def save_status(self, asset_id: str, sequence: int, previous: str, current: str, cause: str) -> None:
        self.sequences[asset_id] = sequence
        self.applied.append(("status", asset_id, sequence, current))


def readme_receiver(subscriber: Subscriber) -> Any:
    code = readme_examples()[0]
    assert len(code.strip().splitlines()) <= 16
    namespace: dict[str, Any] = {name: getattr(subscriber, name) for name in
                                 ("already_handled", "save_page", "last_sequence", "save_status")}
    exec(code, namespace)  # our own README's example
    return namespace["receive"]


def status_changed(sequence: int) -> bytes:
    return json.dumps({"type": "status_changed", "asset_id": "ast_1", "sequence": sequence, "previous": "Upcoming",
                       "current": "Overdue", "cause": "date"}).encode()


def test_the_readme_example_verifies_our_deliveries_and_dispatches_on_their_type():
    new, old = signing.new_secret(), signing.new_secret()
    subscriber = Subscriber()
    receive = readme_receiver(subscriber)
    now = int(time.time())
    snapshot_page = json.dumps({"type": "snapshot", "fleet_id": "org_1", "generated_at": "2026-12-01T10:00:00Z",
                                "page": 1, "pages": 2, "assets": []}).encode()
    deliveries = [("dlv_1", snapshot_page), ("dlv_2", status_changed(2)), ("dlv_3", status_changed(1)),
                  ("dlv_2", status_changed(2)), ("dlv_4", b'{"type":"verification"}'), ("dlv_5", b'{"type":"test"}')]
    for delivery_id, body in deliveries:
        receive(signing.headers([new, old], now, delivery_id, body), body, old)  # not switched yet: the old secret
    assert subscriber.applied == [("page", 1, 2), ("status", "ast_1", 2, "Overdue")], \
        "a lower sequence is dropped, a redelivered id skipped"
    with pytest.raises(WebhookVerificationError):
        receive(signing.headers([new], now, "dlv_6", BODY), BODY + b" ", new)  # body changed
    with pytest.raises(WebhookVerificationError):
        receive(signing.headers([new], now, "dlv_7", BODY), BODY, signing.new_secret())
    with pytest.raises(WebhookVerificationError):
        receive(signing.headers([new], now - 600, "dlv_8", BODY), BODY, new)  # signed 10 minutes ago


def test_the_readme_legacy_recipe_verifies_our_deliveries():
    namespace: dict[str, Any] = {}
    exec(readme_examples()[1], namespace)  # our own README's example
    verify_legacy = namespace["verify_legacy"]
    assert verify_legacy(signed(["whsec_new", "whsec_old"]), BODY, "whsec_old") == "dlv_1"
    with pytest.raises(ValueError):
        verify_legacy(signed(["whsec_new"]), BODY, "whsec_other")
    with pytest.raises(ValueError):
        verify_legacy(signed(["whsec_new"], at=int(time.time()) - 600), BODY, "whsec_new")


def test_secrets_are_random_standard_webhooks_secrets():
    a, b = signing.new_secret(), signing.new_secret()
    assert a != b
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", a), "standard base64 of 32 bytes, padded"
    assert signing.standard_key(a) == base64.b64decode(a.removeprefix("whsec_"))
    legacy = "whsec_" + secrets.token_urlsafe(32)  # as secrets were made before Standard Webhooks
    assert signing.standard_key(legacy) is None


def test_only_standard_secrets_sign_the_webhook_headers():
    standard, legacy = signing.new_secret(), "whsec_" + secrets.token_urlsafe(32)
    now = int(time.time())
    both = signing.headers([standard, legacy], now, "dlv_1", BODY)
    assert both["webhook-id"] == "dlv_1" and both["webhook-timestamp"] == str(now)
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", both["webhook-signature"]), "one signature: the standard secret's"
    assert both["X-Fleetbridge-Signature"].count(",v1=") == 2, "both sign our header"
    assert Webhook(standard).verify(BODY, both) == json.loads(BODY)
    assert not {"webhook-id", "webhook-timestamp", "webhook-signature"} & set(signed([legacy]))


def test_backoff_grows_exponentially_with_jitter_up_to_an_hour():
    rng = random.Random(7)
    for attempt in range(1, 30):
        step = min(BASE_DELAY * 2 ** (attempt - 1), MAX_DELAY)
        assert step / 2 <= backoff(attempt, rng) <= step
    assert len({backoff(3, rng) for _ in range(20)}) > 1, "jittered"
    assert backoff(40) <= MAX_DELAY and backoff(1) >= timedelta(seconds=30)


def snapshot(i: int, detail: str = "") -> AssetState:
    statuses = [{"status": "overdue", "source": "scheduled_maintenance", "source_id": f"sm_{i}", "detail": detail,
                 "since": "2026-12-01T10:00:00Z"}]
    return AssetState.model_validate({"asset_id": f"ast_{i:05d}", "unit_number": f"T{i}", "vin": "1FUJGLDR0CL000001",
                                      "kind": "trailer", "asset_status": "in_shop",
                                      "maintenance_status": "overdue", "statuses": statuses})


def test_pages_hold_at_most_500_assets_and_about_a_megabyte():
    assert pages([]) == [[]]
    assert [len(p) for p in pages([snapshot(i) for i in range(PAGE_ASSETS * 2 + 3)])] == [PAGE_ASSETS] * 2 + [3]
    big = pages([snapshot(i, "x" * 10_000) for i in range(300)])
    assert len(big) > 1 and all(len(json.dumps(p)) < 1_100_000 for p in big)


def test_the_content_hash_ignores_order_but_not_content():
    items = [snapshot(i) for i in range(3)]
    assert content_hash(items) == content_hash(list(reversed(items)))
    assert content_hash(items) != content_hash([*items[:2], snapshot(2, "changed")])


@pytest.mark.usefixtures("dynamodb")
@pytest.mark.parametrize("path", sorted((ROOT / "events").glob("push_retry_*.json")), ids=lambda p: p.name)
def test_push_retry_sample_events_run_through_the_handler(path):
    assert push_retry(json.loads(path.read_text()), LocalContext()) == {"changes": {}, "outcomes": {}}


@pytest.mark.usefixtures("dynamodb")
def test_the_dev_stack_runs_push_retry_as_the_scheduler_would():
    from dev.push_retry_timer import PushRetryTimer

    assert PushRetryTimer().run_once() == {"changes": {}, "outcomes": {}}
