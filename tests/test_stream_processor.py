"""The stream processor with real DynamoDB Streams events (the samples in events/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dev.apigw import LocalContext
from dev.smtp_sink import SmtpSink
from functions.stream_processor.handler import lambda_handler
from tests.conftest import SMTP_PORT, TEST_ENV

EVENTS = Path(__file__).resolve().parent.parent / "events"
pytestmark = pytest.mark.usefixtures("dynamodb")


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def put_image(dynamodb: Any, image: dict[str, Any]) -> None:
    dynamodb.put_item(TableName=TEST_ENV["TABLE_NAME"], Item=image)


def get_item(dynamodb: Any, pk: str, sk: str) -> dict[str, Any] | None:
    return dynamodb.get_item(TableName=TEST_ENV["TABLE_NAME"], Key={"pk": {"S": pk}, "sk": {"S": sk}},
                             ConsistentRead=True).get("Item")


def test_outbox_email_is_sent_once_even_when_delivered_twice(dynamodb, smtp):
    event = load("stream_processor_outbox_insert.json")
    put_image(dynamodb, event["Records"][0]["dynamodb"]["NewImage"])
    assert lambda_handler(event, LocalContext()) == {"batchItemFailures": []}
    assert lambda_handler(event, LocalContext()) == {"batchItemFailures": []}  # the stream's redelivery
    [message] = smtp.wait_for(1)
    assert message["To"] == "new.user@fleet.example"
    assert "Harbor Freight Lines" in message["Subject"]
    with pytest.raises(TimeoutError):
        smtp.wait_for(2, timeout=1)
    stored = get_item(dynamodb, "OUTBOX#msg_event_welcome", "MSG")
    assert stored is not None and stored["status"]["S"] == "sent" and "expires_at_epoch" in stored


def test_failed_send_is_reported_and_retried_not_lost(dynamodb):
    event = load("stream_processor_outbox_insert.json")
    put_image(dynamodb, event["Records"][0]["dynamodb"]["NewImage"])
    # no SMTP server listening: the send fails, the record is reported, the message is released
    result = lambda_handler(event, LocalContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "100000000000000000001"}]}
    stored = get_item(dynamodb, "OUTBOX#msg_event_welcome", "MSG")
    assert stored is not None and stored["status"]["S"] == "pending" and stored["attempts"]["N"] == "1"
    sink = SmtpSink(SMTP_PORT)
    sink.start()
    try:
        assert lambda_handler(event, LocalContext()) == {"batchItemFailures": []}
        assert len(sink.wait_for(1)) == 1
    finally:
        sink.stop()


def test_group_removal_cleans_up_memberships(dynamodb):
    event = load("stream_processor_group_remove.json")
    old = event["Records"][0]["dynamodb"]["OldImage"]
    org, group = old["org_id"]["S"], old["group_id"]["S"]
    now = {"S": "2026-11-24T00:00:00.000000+0000"}
    for n in range(3):
        asset_id = f"ast_event_{n}"
        put_image(dynamodb, {"pk": {"S": f"ORG#{org}"}, "sk": {"S": f"ASSET#{asset_id}"}, "type": {"S": "asset"},
                             "asset_id": {"S": asset_id}, "org_id": {"S": org}, "unit_number": {"S": f"U{n}"},
                             "kind": {"S": "truck"}, "vin": {"S": f"VIN{n}"}, "status": {"S": "active"},
                             "group_ids": {"SS": [group, "grp_event_other"]}, "created_at": now, "updated_at": now,
                             "version": {"N": "1"}})
        put_image(dynamodb, {"pk": {"S": f"ORG#{org}#GROUP#{group}"}, "sk": {"S": f"ASSET#{asset_id}"},
                             "type": {"S": "group_member"}, "org_id": {"S": org}, "group_id": {"S": group},
                             "asset_id": {"S": asset_id}, "added_at": now})
    assert lambda_handler(event, LocalContext()) == {"batchItemFailures": []}
    assert lambda_handler(event, LocalContext()) == {"batchItemFailures": []}  # idempotent
    for n in range(3):
        asset = get_item(dynamodb, f"ORG#{org}", f"ASSET#ast_event_{n}")
        assert asset is not None and asset["group_ids"]["SS"] == ["grp_event_other"]
        assert get_item(dynamodb, f"ORG#{org}#GROUP#{group}", f"ASSET#ast_event_{n}") is None


def test_records_that_trigger_nothing_pass(dynamodb):
    event = load("stream_processor_group_remove.json")
    event["Records"][0]["eventName"] = "MODIFY"
    event["Records"][0]["dynamodb"]["NewImage"] = event["Records"][0]["dynamodb"]["OldImage"]
    assert lambda_handler(event, LocalContext()) == {"batchItemFailures": []}


def test_an_email_the_stream_gave_up_on_is_sent_by_the_sweep(dynamodb):
    """Mail down for longer than the stream's retries: the record is dead-lettered, the message stays in the
    outbox's due queue, and the every-minute sweep queues it again once it is due."""
    from datetime import UTC, datetime, timedelta

    from dev.stream_poller import StreamPoller
    from shared.db.base import transaction
    from shared.outbox.dal import add_email
    from tests.refresh_support import sweep

    poller = StreamPoller(table_name=TEST_ENV["TABLE_NAME"], endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"],
                          region=TEST_ENV["AWS_REGION"], start_position="LATEST", backoff_seconds=0.01)
    poller.poll_once()
    with transaction() as tx:
        message_id = add_email(tx, to="late@fleet.example", subject="Welcome", body="Hello")
    poller.drain()  # no SMTP server: every retry fails
    assert len(poller.dead_letters) == 1
    stored = get_item(dynamodb, f"OUTBOX#{message_id}", "MSG")
    assert stored is not None and stored["status"]["S"] == "pending"
    start = datetime.now(UTC)
    assert sweep(start, "outbox")["requeued"] == 0  # not due yet: the stream's own retries come first
    sink = SmtpSink(SMTP_PORT)
    sink.start()
    try:
        assert sweep(start + timedelta(minutes=16), "outbox")["requeued"] == 1
        poller.drain()
        [sent] = sink.wait_for(1)
        assert sent["To"] == "late@fleet.example"
        stored = get_item(dynamodb, f"OUTBOX#{message_id}", "MSG")
        assert stored is not None and stored["status"]["S"] == "sent" and "gsi4pk" not in stored
        assert sweep(start + timedelta(days=1), "outbox") == {"requeued": 0, "given_up": 0, "dropped": 0, "raced": 0}
        poller.drain()
        with pytest.raises(TimeoutError):
            sink.wait_for(2, timeout=1)  # sent once
    finally:
        sink.stop()


def test_a_message_whose_sender_holds_a_live_lease_is_not_queued_again(dynamodb):
    from datetime import UTC, datetime, timedelta

    from shared.db.base import transaction
    from shared.outbox.dal import add_email, claim
    from tests.refresh_support import sweep

    with transaction() as tx:
        message_id = add_email(tx, to="busy@fleet.example", subject="Hi", body="Hello")
    assert claim(f"OUTBOX#{message_id}") is not None  # a worker is sending it (lease: 2 minutes)
    assert sweep(datetime.now(UTC) + timedelta(minutes=1), "outbox")["requeued"] == 0  # not due yet
    counts = sweep(datetime.now(UTC) + timedelta(minutes=16), "outbox")
    assert counts["requeued"] == 0 and counts["raced"] == 1
    stored = get_item(dynamodb, f"OUTBOX#{message_id}", "MSG")
    assert stored is not None and stored["status"]["S"] == "sending"


def test_a_notifications_message_fans_out_once_to_the_users_who_want_its_category(dynamodb):
    """The sample: a subscription paused (category subscriptions). The manager's default is every category, a
    customer's only jobs; each wanting user gets an outbox email of its own, written once however often the
    record comes (each is then sent by its own INSERT record)."""
    event = load("stream_processor_notification_emails.json")
    now = {"S": "2026-11-24T00:00:00.000000+0000"}
    put_image(dynamodb, {"pk": {"S": "ORG#org_event_fleet"}, "sk": {"S": "PROFILE"}, "type": {"S": "org"},
                         "org_id": {"S": "org_event_fleet"}, "name": {"S": "Harbor Freight Lines"},
                         "kind": {"S": "fleet"}, "contact_email": {"S": "ops@fleet.example"},
                         "address": {"S": json.dumps({"line1": "1 Harbor St", "city": "Boston", "state": "MA",
                                                      "zip": "02110"})},
                         "services_offered": {"L": []}, "created_at": now, "updated_at": now, "version": {"N": "1"}})
    for user_id, role in (("usr_event_manager", "manager"), ("usr_event_viewer", "customer")):
        put_image(dynamodb, {"pk": {"S": "ORG#org_event_fleet"}, "sk": {"S": f"USER#{user_id}"}, "type": {"S": "user"},
                             "user_id": {"S": user_id}, "org_id": {"S": "org_event_fleet"},
                             "email": {"S": f"{role}@fleet.example"}, "name": {"S": role}, "role": {"S": role},
                             "created_at": now, "updated_at": now, "version": {"N": "1"}})
    put_image(dynamodb, event["Records"][0]["dynamodb"]["NewImage"])
    assert lambda_handler(event, LocalContext()) == {"batchItemFailures": []}
    assert lambda_handler(event, LocalContext()) == {"batchItemFailures": []}  # the stream's redelivery

    email = get_item(dynamodb, "OUTBOX#msg_event_notification-usr_event_manager", "MSG")
    assert email is not None and json.loads(email["payload"]["S"])["to"] == "manager@fleet.example"
    assert email["status"]["S"] == "pending" and email["kind"]["S"] == "email"
    assert get_item(dynamodb, "OUTBOX#msg_event_notification-usr_event_viewer", "MSG") is None, "jobs only"
    assert get_item(dynamodb, "OUTBOX#msg_event_notification-contact", "MSG") is None, "a user wants it"
    parent = get_item(dynamodb, "OUTBOX#msg_event_notification", "MSG")
    assert parent is not None and parent["status"]["S"] == "sent"
