"""`make refresh` (dev/refresh.py) with the dev stack's parts: a background stream poller, the local subscriber."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dev import push_seed, refresh
from dev.dynamodb_local import free_port
from dev.push_subscriber import PushSubscriber
from dev.stream_poller import StreamPoller
from shared.auth.principal import Principal, Role
from shared.push import subscriptions
from tests.conftest import TEST_ENV
from tests.factories import create_asset, sign_up
from tests.fleetrock_support import active_integration
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


def test_make_refresh_pushes_a_signed_snapshot_the_local_subscriber_verifies(
        fleetrock, background_stream, subscriber, tmp_path, capsys):
    admin = sign_up("fleet")
    create_asset(admin, unit_number="T-101")
    active_integration(admin, fleetrock)
    fleet = Principal(user_id=admin.user_id, org_id=admin.org_id, role=Role(admin.role), email=admin.email)
    push_seed.seed_push(fleet)  # as dev/seed.py does: active once the subscriber verified its first delivery
    assert subscriptions.get(fleet, push_seed.DEMO["subscription_id"]).status == "active"

    added_env = set(os.environ)
    try:
        code = refresh.main(["--dev-dir", str(tmp_path), "--time", five_am(1).isoformat(), "--wait", "60"])
    finally:
        for key in set(os.environ) - added_env:  # what the dev settings file added: not for other tests
            del os.environ[key]
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 task(s) written" in out and ": succeeded, attempt 1" in out
    assert "verified by the subscriber" in out and f"fleet {admin.org_id}, page 1/1, 1 assets" in out
    [kept] = [json.loads(p.read_text()) for p in (tmp_path / "push").glob("*.json")
              if json.loads(p.read_text())["payload"]["type"] == "snapshot"]
    assert kept["payload"]["assets"][0]["unit_number"] == "T-101"


def test_the_subscriber_rejects_a_bad_signature(subscriber):
    subscriber.secrets.append("whsec_right")
    r = httpx.post(subscriber.url, content=b"{}", headers={"X-Fleetbridge-Delivery": "dlv_1",
                                                           "X-Fleetbridge-Signature": "t=1,v1=00"})
    assert r.status_code == 400
    assert list(subscriber.out_dir.glob("*.json")) == []


def test_make_refresh_needs_the_dev_stack_running():
    assert refresh._stack_is_up(TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"])
    assert not refresh._stack_is_up(f"http://127.0.0.1:{free_port()}")
