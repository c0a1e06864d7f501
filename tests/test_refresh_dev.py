"""`make refresh` (dev/refresh.py) with the dev stack's parts: a background stream poller, the local subscriber."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from dev import push_seed, refresh
from dev.dynamodb_local import free_port
from dev.push_subscriber import PushSubscriber, stored_deliveries, stored_headers
from dev.stream_poller import StreamPoller
from shared.auth.principal import Principal, Role
from shared.push import subscriptions
from tests.conftest import TEST_ENV, call_api
from tests.factories import Caller, create_asset, sign_up
from tests.fleetrock_support import active_integration
from tests.push_receiver import PushReceiver
from tests.refresh_support import five_am

pytestmark = pytest.mark.usefixtures("dynamodb")


@pytest.fixture
def background_stream() -> Iterator[StreamPoller]:
    """The stream poller as `make dev` runs it: in a thread, from now on."""
    poller = StreamPoller(table_name=TEST_ENV["TABLE_NAME"], endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"],
                          region=TEST_ENV["AWS_REGION"], start_position="LATEST", poll_interval=0.1)
    poller.poll_once()
    poller.start()
    yield poller
    poller.stop()
    assert poller.dead_letters == []


@pytest.fixture
def subscriber(tmp_path: Path) -> Iterator[PushSubscriber]:
    server = PushSubscriber(tmp_path / "push", port=free_port()).start()
    push_seed.use(server)
    yield server
    push_seed.DEMO.clear()
    server.stop()


def other_subscriber_down(admin: Caller) -> None:
    """Another active subscription of the fleet, whose receiver is then down: its pushes are retried."""
    receiver = PushReceiver()
    receiver.start()
    r = call_api("POST", "/subscriptions", as_user=admin, json_body={"url": receiver.url})
    assert r.status == 201, r.body
    receiver.secrets.append(r.json()["secret"])
    deadline = time.monotonic() + 15  # the background stream delivers the verification
    while call_api("GET", f"/subscriptions/{r.json()['subscription_id']}", as_user=admin).json()["status"] != "active":
        assert time.monotonic() < deadline, "the other subscription is active"
        time.sleep(0.1)
    receiver.stop()


def test_make_refresh_waits_for_the_demo_receiver_only_and_it_verifies_the_snapshot(
        fleetrock, background_stream, subscriber, tmp_path, capsys):
    admin = sign_up("fleet")
    create_asset(admin, unit_number="T-101")
    active_integration(admin, fleetrock)
    fleet = Principal(user_id=admin.user_id, org_id=admin.org_id, role=Role(admin.role), email=admin.email)
    push_seed.seed_push(fleet)  # as dev/seed.py does: active once the subscriber verified its first delivery
    assert subscriptions.get(fleet, push_seed.DEMO["subscription_id"]).status == "active"
    other_subscriber_down(admin)

    added_env = set(os.environ)
    started = time.monotonic()
    try:
        code = refresh.main(["--dev-dir", str(tmp_path), "--time", five_am(1).isoformat(), "--wait", "60",
                             "--subscriber-url", subscriber.url])
    finally:
        for key in set(os.environ) - added_env:  # what the dev settings file added: not for other tests
            del os.environ[key]
    out = capsys.readouterr().out
    assert code == 0, out
    assert time.monotonic() - started < 30, "not the full minute: the other subscriber is not waited for"
    assert re.search(r"stopped waiting after [\d.]+ s: the demo receiver has the snapshot \(1 page\(s\)\)", out), out
    assert "1 task(s) written" in out and ": succeeded, attempt 1" in out and "deliveries 2" in out
    assert "verified by the subscriber" in out and f"fleet {admin.org_id}, page 1/1, 1 assets" in out
    [kept] = [d for d in stored_deliveries(subscriber.out_dir) if d["payload"]["type"] == "snapshot"]
    assert kept["payload"]["assets"][0]["unit_number"] == "T-101"
    headers = stored_headers(subscriber.out_dir, kept["delivery_id"])
    assert Webhook(subscriber.secrets[0]).verify(kept["body"], headers)["fleet_id"] == admin.org_id


def test_make_refresh_says_when_it_gives_up(fleetrock, background_stream, subscriber, tmp_path, capsys):
    admin = sign_up("fleet")
    active_integration(admin, fleetrock)
    fleet = Principal(user_id=admin.user_id, org_id=admin.org_id, role=Role(admin.role), email=admin.email)
    push_seed.seed_push(fleet)
    subscriber.secrets.clear()  # the demo receiver now refuses every push
    added_env = set(os.environ)
    try:
        code = refresh.main(["--dev-dir", str(tmp_path), "--time", five_am(1).isoformat(), "--wait", "3",
                             "--subscriber-url", subscriber.url])
    finally:
        for key in set(os.environ) - added_env:
            del os.environ[key]
    captured = capsys.readouterr()
    assert code == 1, captured.out
    assert "gave up after 3 s: " in captured.err, captured


def test_make_refresh_needs_the_dev_stack_running():
    assert refresh._stack_is_up(TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"])
    assert not refresh._stack_is_up(f"http://127.0.0.1:{free_port()}")
