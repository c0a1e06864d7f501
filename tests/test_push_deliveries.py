"""Deliveries end to end: stored, sent by the real stream, retried by push_retry on a driven clock, replayed.

The clock is the scheduled event's `time`: push_retry attempts what is due at that time, as the
EventBridge Scheduler run at that minute would.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dev.apigw import LocalContext
from dev.stream_poller import StreamPoller
from functions.push_retry.handler import lambda_handler as push_retry
from functions.stream_processor.handler import lambda_handler as stream_processor
from shared.maintenance.public import AssetState, Cause
from shared.push import sender
from shared.push.attempts import LEASE
from shared.push.dal import deliveries as deliveries_dal
from shared.push.snapshots import PAGE_ASSETS, push_snapshot
from shared.settings import get_settings
from tests.conftest import TEST_ENV, call_api
from tests.factories import Caller, sign_up
from tests.push_receiver import PushReceiver, receiver_fixture, stream_fixture  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("dynamodb")


SINCE = datetime(2026, 12, 1, 10, tzinfo=UTC)


def assets(n: int, maintenance: str | None = None) -> list[AssetState]:
    statuses = [Cause.model_validate({"status": maintenance, "source": "repair_order", "source_id": "ro_1",
                                      "detail": "brakes", "since": SINCE})] if maintenance else []
    return [AssetState.model_validate({"asset_id": f"ast_{i:05d}", "unit_number": f"T{i}", "vin": f"1FUJGLDR0CL{i:06d}",
                                       "kind": "truck", "asset_status": "active", "maintenance_status": maintenance,
                                       "statuses": statuses})
            for i in range(n)]


def active_subscription(admin: Caller, receiver: PushReceiver, stream: StreamPoller) -> str:
    r = call_api("POST", "/subscriptions", as_user=admin, json_body={"url": receiver.url})
    assert r.status == 201, r.body
    receiver.secrets = [r.json()["secret"]]
    stream.drain()
    sub = call_api("GET", f"/subscriptions/{r.json()['subscription_id']}", as_user=admin).json()
    assert sub["status"] == "active", sub
    receiver.accepted.clear()
    receiver.requests.clear()
    return str(sub["subscription_id"])


def run_retry(at: datetime) -> dict[str, Any]:
    return dict(push_retry({"time": at.isoformat()}, LocalContext())["outcomes"])


def delivery(admin: Caller, sub_id: str, delivery_id: str) -> dict[str, Any]:
    r = call_api("GET", f"/subscriptions/{sub_id}/deliveries/{delivery_id}", as_user=admin)
    assert r.status == 200, r.body
    return dict(r.json())


def test_a_receiver_failing_n_times_gets_each_page_exactly_once(receiver, stream):
    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    receiver.fail_next = 4
    now = datetime.now(UTC)
    ids = push_snapshot(admin.org_id, assets(2 * PAGE_ASSETS + 1, "in_shop"), now)
    assert len(ids) == 3
    stream.drain()  # first attempts: all three answered 500
    assert {delivery(admin, sub_id, i)["status"] for i in ids} == {"retrying"}
    for minutes in (5, 30, 90, 240, 24 * 60 + 5):
        run_retry(now + timedelta(minutes=minutes))
    assert {delivery(admin, sub_id, i)["status"] for i in ids} == {"delivered"}
    assert sorted(receiver.accepted) == sorted(ids)
    pages = sorted((r.json()["page"], r.json()["pages"], len(r.json()["assets"])) for r in receiver.accepted.values())
    assert pages == [(1, 3, PAGE_ASSETS), (2, 3, PAGE_ASSETS), (3, 3, 1)]
    got = [a["asset_id"] for r in sorted(receiver.accepted.values(), key=lambda r: r.json()["page"])
           for a in r.json()["assets"]]
    assert got == [a.asset_id for a in assets(2 * PAGE_ASSETS + 1)], "every asset once, in order"
    first = receiver.accepted[ids[0]].json()
    assert first["fleet_id"] == admin.org_id and first["generated_at"] == now.isoformat()
    assert first["assets"][0]["statuses"] == [{"status": "in_shop", "label": "In Shop", "source": "repair_order",
                                               "source_id": "ro_1", "detail": "brakes", "since": "2026-12-01T10:00:00Z",
                                               **dict.fromkeys(["unit_number", "due_date", "due_miles",
                                                                "due_engine_hours", "upcoming_from_date",
                                                                "upcoming_from_miles",
                                                                "upcoming_from_engine_hours"])}]
    answered_200 = [r.delivery_id for r in receiver.requests if r.status == 200]
    assert sorted(answered_200) == sorted(ids), "nothing sent again after it was accepted"
    assert len(receiver.requests) == 3 + 4, "three first attempts and the retries of four failures"


def test_a_receiver_down_for_24_hours_ends_failed_then_redeliver_succeeds(receiver, stream):
    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    receiver.stop()
    now = datetime.now(UTC)
    [delivery_id] = push_snapshot(admin.org_id, assets(3, "overdue"), now)
    stream.drain()
    hours = 0
    while delivery(admin, sub_id, delivery_id)["status"] != "failed":
        hours += 1
        assert hours <= 26, "failed within the 24 h window"
        run_retry(now + timedelta(hours=hours))
    failed = delivery(admin, sub_id, delivery_id)
    assert hours >= 24 and failed["attempts"] > 20 and failed["last_status_code"] is None
    assert "Connect" in failed["last_error"]
    run_retry(now + timedelta(days=2))
    assert delivery(admin, sub_id, delivery_id)["attempts"] == failed["attempts"], "no attempts after failing"
    sub = call_api("GET", f"/subscriptions/{sub_id}", as_user=admin).json()
    assert sub["status"] == "active" and sub["failing_since"], "one day of failures does not pause it"

    listed = call_api("GET", f"/subscriptions/{sub_id}/deliveries", as_user=admin, query={"limit": 1}).json()
    assert [d["delivery_id"] for d in listed["items"]] == [delivery_id] and listed["next_cursor"]
    receiver.start()
    r = call_api("POST", f"/subscriptions/{sub_id}/deliveries/{delivery_id}/redeliver", as_user=admin)
    assert r.status == 202 and r.json()["status"] == "queued" and r.json()["redeliveries"] == 1
    stream.drain()
    assert delivery(admin, sub_id, delivery_id)["status"] == "delivered"
    assert list(receiver.accepted) == [delivery_id]
    assert [a["maintenance_status"] for a in receiver.accepted[delivery_id].json()["assets"]] == ["overdue"] * 3
    assert call_api("GET", f"/subscriptions/{sub_id}", as_user=admin).json()["failing_since"] is None
    # a snapshot that failed for good is not "unchanged data": the next morning pushes the same data again
    assert len(push_snapshot(admin.org_id, assets(3, "overdue"), now + timedelta(days=1))) == 1


def test_unchanged_data_is_not_pushed_twice(receiver, stream):
    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    day = datetime.now(UTC)
    assert len(push_snapshot(admin.org_id, assets(2), day)) == 1
    assert push_snapshot(admin.org_id, list(reversed(assets(2))), day + timedelta(days=1)) == []
    assert len(push_snapshot(admin.org_id, assets(2, "upcoming"), day + timedelta(days=2))) == 1
    stream.drain()
    assert len(receiver.accepted) == 2
    call_api("POST", f"/subscriptions/{sub_id}/pause", as_user=admin)
    assert push_snapshot(admin.org_id, assets(2), day + timedelta(days=3)) == [], "paused: nothing queued"
    call_api("POST", f"/subscriptions/{sub_id}/resume", as_user=admin)
    stream.drain()  # verified again
    assert len(push_snapshot(admin.org_id, assets(2, "upcoming"), day + timedelta(days=4))) == 1, \
        "after a resume the next snapshot goes out in full"


def test_a_stream_record_delivered_twice_sends_once(receiver, dynamodb, smtp):
    admin = sign_up("fleet")

    def twice(event: dict[str, Any], context: Any) -> Any:
        stream_processor(event, context)
        return stream_processor(event, context)

    poller = StreamPoller(table_name=TEST_ENV["TABLE_NAME"], endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"],
                          region=TEST_ENV["AWS_REGION"], start_position="LATEST", target=twice)
    poller.poll_once()
    sub_id = active_subscription(admin, receiver, poller)
    ids = push_snapshot(admin.org_id, assets(1), datetime.now(UTC))
    poller.drain()
    assert [r.delivery_id for r in receiver.requests] == ids
    assert delivery(admin, sub_id, ids[0])["attempts"] == 1
    assert poller.dead_letters == []


def test_an_attempt_whose_worker_died_is_made_again_after_its_lease(receiver, stream):
    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    now = datetime.now(UTC)
    [delivery_id] = push_snapshot(admin.org_id, assets(1), now)
    item = deliveries_dal.get_item(sub_id, delivery_id)
    assert item is not None
    # a worker claims the first attempt and dies before sending (a Lambda timeout, say)
    assert deliveries_dal.claim(item, seen_status="queued", seen_attempts=0, seen_due=None, now=now, lease=LEASE)
    stream.drain()  # the INSERT record finds the attempt taken: nothing sent
    assert receiver.requests == []
    assert run_retry(now + LEASE / 2) == {}, "the lease still holds"
    assert run_retry(now + LEASE + timedelta(seconds=1)) == {"delivered": 1}
    assert list(receiver.accepted) == [delivery_id]
    assert delivery(admin, sub_id, delivery_id)["attempts"] == 2


def test_a_timeout_is_a_failure_and_is_retried(receiver, stream, monkeypatch):
    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    monkeypatch.setattr(sender, "TIMEOUT_SECONDS", 0.2)
    receiver.delay = 1.0
    now = datetime.now(UTC)
    [delivery_id] = push_snapshot(admin.org_id, assets(1), now)
    stream.drain()
    slow = delivery(admin, sub_id, delivery_id)
    assert slow["status"] == "retrying" and slow["last_error"] == "no answer within 0.2 s"
    receiver.delay = 0
    run_retry(now + timedelta(minutes=5))
    assert delivery(admin, sub_id, delivery_id)["status"] == "delivered"
    assert list(receiver.accepted) == [delivery_id], "the subscriber dedupes the late first copy by delivery id"


def snapshot_delivered_in_aws(admin: Caller, sub_id: str, stream: StreamPoller, monkeypatch) -> dict[str, Any]:
    """Push a one-asset snapshot with the settings as in AWS (no loopback http: the settings are cached,
    so cleared on the way in and out) and let the stream send it; the delivery as the API shows it."""
    monkeypatch.setenv("ALLOW_LOOPBACK_HTTP", "false")
    get_settings.cache_clear()
    try:
        [delivery_id] = push_snapshot(admin.org_id, assets(1), datetime.now(UTC))
        stream.drain()
        return delivery(admin, sub_id, delivery_id)
    finally:
        monkeypatch.setenv("ALLOW_LOOPBACK_HTTP", "true")
        get_settings.cache_clear()


def test_in_aws_a_delivery_to_a_host_that_now_resolves_to_a_private_address_is_not_sent(
        receiver, stream, monkeypatch):
    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)  # the receiver listens on 127.0.0.1: allowed locally
    refused = snapshot_delivered_in_aws(admin, sub_id, stream, monkeypatch)
    assert refused["status"] == "retrying" and "resolves to 127.0.0.1" in refused["last_error"]
    assert receiver.requests == [], "nothing reached the private address"


def move_subscription(admin: Caller, sub_id: str, receiver: PushReceiver, host: str) -> str:
    """Point a stored subscription at the receiver's port under `host` (a name only this test resolves;
    the API takes no such URL locally); the port."""
    from shared.push.dal import subscriptions as subscriptions_dal

    port = receiver.url.split(":")[2].split("/")[0]
    item = subscriptions_dal.get_item(admin.org_id, sub_id)
    assert item is not None
    item.url = receiver.url.replace(f"127.0.0.1:{port}", f"{host}:{port}")
    item.save()
    return port


def resolving(monkeypatch, name: str, answers: list[str]) -> list[str]:
    """socket.getaddrinfo answers `name` with each of `answers` in turn (then the last); returns the log of lookups."""
    real = socket.getaddrinfo
    looked_up: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != name:
            return real(host, port, *args, **kwargs)
        address = answers[min(len(looked_up), len(answers) - 1)]
        looked_up.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


def test_in_aws_a_delivery_goes_to_the_address_checked_not_to_a_later_dns_answer(
        receiver, stream, monkeypatch):
    """DNS rebinding: the subscriber's name resolves to a public address when checked, then to our own
    loopback. The delivery connects to the address it checked (here unreachable: the tests' network
    guard refuses it), never to what a second lookup says."""
    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    move_subscription(admin, sub_id, receiver, "rebind.example")
    looked_up = resolving(monkeypatch, "rebind.example", ["1.1.1.1", "127.0.0.1"])
    failed = snapshot_delivered_in_aws(admin, sub_id, stream, monkeypatch)
    assert looked_up == ["1.1.1.1"], "one lookup, the one checked"
    assert failed["status"] == "retrying" and "ConnectError" in failed["last_error"], failed
    assert receiver.requests == [], "nothing reached the address of the second answer"


def test_in_aws_a_delivery_to_the_checked_address_names_the_subscribers_host(receiver, stream, monkeypatch):
    """The request goes to the address, with the subscriber's host in Host (and in TLS SNI, against
    which its certificate is verified). Loopback counts as public here, to reach the local receiver."""
    from shared.push import urls

    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    port = move_subscription(admin, sub_id, receiver, "hooks.subscriber.example")
    resolving(monkeypatch, "hooks.subscriber.example", ["127.0.0.1"])
    monkeypatch.setattr(urls, "_first_private", lambda addresses: None)
    sent = snapshot_delivered_in_aws(admin, sub_id, stream, monkeypatch)
    assert sent["status"] == "delivered", sent
    [request] = receiver.requests
    assert {k.lower(): v for k, v in request.headers.items()}["host"] == f"hooks.subscriber.example:{port}"


def test_a_subscription_failing_3_days_in_a_row_is_paused_and_its_fleet_told(receiver, stream, smtp):
    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    receiver.stop()
    now = datetime.now(UTC)
    push_snapshot(admin.org_id, assets(1), now)
    stream.drain()
    for day in (1, 2):
        push_snapshot(admin.org_id, assets(1, "overdue" if day == 1 else "upcoming"), now + timedelta(days=day),
                      now=now + timedelta(days=day))
        run_retry(now + timedelta(days=day, minutes=5))
        assert call_api("GET", f"/subscriptions/{sub_id}", as_user=admin).json()["status"] == "active"
    run_retry(now + timedelta(days=3, minutes=5))
    sub = call_api("GET", f"/subscriptions/{sub_id}", as_user=admin).json()
    assert sub["status"] == "paused" and sub["paused_reason"] == "failing"
    stream.drain()
    [note] = call_api("GET", "/notifications", as_user=admin).json()["items"]
    assert note["kind"] == "push_subscription_paused" and note["data"]["subscription_id"] == sub_id
    [mail] = [m for m in smtp.messages if m["To"] == admin.email  # the fleet's admin: every category by default
              and "push subscription" in m["Subject"]]
    assert receiver.url in mail.get_content()
    assert "push_subscription.paused" in [e["action"] for e in call_api("GET", "/audit", as_user=admin).json()["items"]]
    # paused: what is still in flight fails instead of going out, and is replayable once resumed
    run_retry(now + timedelta(days=4))
    listed = [d for d in call_api("GET", f"/subscriptions/{sub_id}/deliveries", as_user=admin).json()["items"]
              if d["kind"] == "snapshot"]
    assert len(listed) == 3 and {d["status"] for d in listed} == {"failed"}
    r = call_api("POST", f"/subscriptions/{sub_id}/deliveries/{listed[0]['delivery_id']}/redeliver", as_user=admin)
    assert r.status == 409 and "resume" in r.json()["error"]["message"]


def test_a_snapshot_forgotten_while_the_next_is_queued_does_not_make_it_skip_the_day(receiver, stream, monkeypatch):
    from shared.push.dal import subscriptions as subs_dal

    admin = sign_up("fleet")
    active_subscription(admin, receiver, stream)
    day = datetime.now(UTC)
    assert len(push_snapshot(admin.org_id, assets(2), day)) == 1
    real_active_items = subs_dal.active_items

    def read_then_a_failed_snapshot_is_forgotten(fleet_id):
        items = list(real_active_items(fleet_id))
        for item in items:  # the day before's page fails for good now (attempts.py: _failed_for_good)
            fresh = subs_dal.get_item(fleet_id, item.subscription_id)
            assert fresh is not None and item.snapshot_hash
            subs_dal.forget_snapshot(fresh, item.snapshot_hash)
        return items

    monkeypatch.setattr(subs_dal, "active_items", read_then_a_failed_snapshot_is_forgotten)
    assert len(push_snapshot(admin.org_id, assets(2, "upcoming"), day + timedelta(days=1))) == 1  # not skipped


def test_a_stored_url_the_sender_cannot_parse_is_a_failed_attempt_not_a_crash(receiver, stream):
    """A URL stored before the subscription check refused it: each attempt fails and is retried, then the
    delivery ends failed (no exception escaping the claimed attempt, which left it 'sending' for good)."""
    from shared.push.dal import subscriptions as subscriptions_dal

    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    item = subscriptions_dal.get_item(admin.org_id, sub_id)
    assert item is not None
    item.url = "https://xn--zz.example.com/hook"
    item.save()
    now = datetime.now(UTC)
    [delivery_id] = push_snapshot(admin.org_id, assets(1), now)
    stream.drain()
    assert stream.dead_letters == []
    tried = delivery(admin, sub_id, delivery_id)
    assert tried["status"] == "retrying" and "not a valid URL" in tried["last_error"]
    run_retry(now + timedelta(hours=25))
    assert delivery(admin, sub_id, delivery_id)["status"] == "failed"



def test_a_redelivery_starts_its_backoff_over(receiver, stream):
    """After 24 h of failures the backoff is at its 1 h cap; a redelivery's first retry comes a minute later."""
    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    receiver.stop()
    now = datetime.now(UTC)
    [delivery_id] = push_snapshot(admin.org_id, assets(1), now)
    stream.drain()
    hours = 0
    while delivery(admin, sub_id, delivery_id)["status"] != "failed":
        hours += 1
        assert hours <= 26
        run_retry(now + timedelta(hours=hours))
    r = call_api("POST", f"/subscriptions/{sub_id}/deliveries/{delivery_id}/redeliver", as_user=admin)
    assert r.status == 202
    stream.drain()  # the redelivery's first attempt: the receiver is still down
    tried = delivery(admin, sub_id, delivery_id)
    assert tried["status"] == "retrying"
    wait = datetime.fromisoformat(tried["next_attempt_at"]) - datetime.fromisoformat(tried["last_attempt_at"])
    assert timedelta(0) < wait <= timedelta(minutes=1), wait
