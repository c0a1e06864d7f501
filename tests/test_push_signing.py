"""Our signature as subscribers verify it (the receiver helper, the README example); backoff; paging."""

from __future__ import annotations

import json
import random
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dev.apigw import LocalContext
from functions.push_retry.handler import lambda_handler as push_retry
from shared.maintenance.public import AssetState
from shared.push import signing
from shared.push.attempts import BASE_DELAY, MAX_DELAY, backoff
from shared.push.snapshots import PAGE_ASSETS, content_hash, pages
from tests.push_receiver import BadSignature, verify

ROOT = Path(__file__).resolve().parent.parent
BODY = b'{"fleet_id":"org_1","assets":[]}'


def signed(secrets: list[str], delivery_id: str = "dlv_1", at: int | None = None) -> dict[str, str]:
    return signing.headers(secrets, int(time.time()) if at is None else at, delivery_id, BODY)


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


def test_the_readme_example_verifies_our_deliveries():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Receiving pushes"):]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    assert len(code.group(1).strip().splitlines()) <= 11
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)  # our own README's example
    readme_verify = namespace["verify"]
    assert readme_verify(signed(["whsec_new", "whsec_old"]), BODY, "whsec_old") == "dlv_1"
    with pytest.raises(ValueError):
        readme_verify(signed(["whsec_new"]), BODY, "whsec_other")
    with pytest.raises(ValueError):
        readme_verify(signed(["whsec_new"], at=int(time.time()) - 600), BODY, "whsec_new")


def test_secrets_are_random_and_recognizable():
    a, b = signing.new_secret(), signing.new_secret()
    assert a != b and a.startswith("whsec_") and len(a) > 40


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
