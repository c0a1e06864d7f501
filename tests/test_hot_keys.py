"""The hot keys docs/capacity.md found, defused: each test shows the new spread of one key.

- A CSV import put every job under the fleet's job index keys (gsi1 ORG#{fleet}#JOBS and the
  status, partner and installer keys): each is now 8 keys (`…#{sha256(job) mod 8}`), and the
  import's writes are paced at JOB_INDEX_UNITS_PER_SECOND write units a second in all. Jobs stored
  under the unsharded keys before are still listed, and move to their shard on their next write.
- The push delivery and Fleetrock inbox due queues are spread over 32 and 16 shards, and a snapshot
  page's body is out of the delivery item the due index copies at each state change.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from shared.db import pace
from shared.db.pagination import encode_cursor
from shared.fleetrock.inbox import dal as inbox_dal
from shared.ids import new_id
from shared.jobs import dal as jobs_dal
from shared.jobs import importer
from shared.push.dal import deliveries
from shared.push.models import DeliveryKind
from shared.push.snapshots import push_snapshot
from tests.conftest import TEST_ENV, call_api
from tests.factories import create_asset, sign_up
from tests.jobs_support import act, create_job, setup
from tests.push_receiver import receiver_fixture, stream_fixture  # noqa: F401 - fixtures
from tests.test_jobs_import import install_row, send, to_csv

pytestmark = pytest.mark.usefixtures("dynamodb")


def test_an_import_spreads_its_job_index_writes_over_time(monkeypatch: pytest.MonkeyPatch) -> None:
    rate = 300  # write units a second: the 300-row import below spreads over about 1 s
    monkeypatch.setattr(importer, "JOB_INDEX_UNITS_PER_SECOND", rate)
    slots: list[tuple[float, float]] = []
    take = pace.Pace.take

    def recorded(self: pace.Pace, units: float) -> float:
        start = take(self, units)
        slots.append((start, units))
        return start

    monkeypatch.setattr(pace.Pace, "take", recorded)
    s = setup()
    assets = [create_asset(s.fleet) for _ in range(5)]
    body = to_csv([install_row(assets[n % 5], partner=s.partner_id if n % 2 else "", title=f"Job {n}")
                   for n in range(300)])
    r = send(s.fleet, body, key="paced")
    assert r.status == 201 and len(r.json()["job_ids"]) == 300, r.body
    units = sum(u for _, u in slots)
    assert units >= 300  # every job counted, at least one unit each
    largest = max(u for _, u in slots)
    for first, _ in slots:  # any one-second window from a request's slot holds at most the budget and one request
        in_window = sum(u for start, u in slots if first <= start < first + 1)
        assert in_window <= rate + largest, (first, in_window)
    starts = sorted(start for start, _ in slots)
    assert starts[-1] - starts[0] >= (units - largest) / rate - 0.01  # spread, not one burst


@pytest.mark.parametrize(("queue", "shards"), [(deliveries.DUE, 32), (inbox_dal.TASK.queue, 16)])
def test_the_busy_due_queues_spread_over_their_shards(queue, shards) -> None:
    from datetime import UTC, datetime

    due = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    partitions = Counter(queue.key(f"owner_{n}", due, f"evt_{n}")[0] for n in range(20_000))
    assert queue.shards == shards and len(partitions) == shards
    assert max(partitions.values()) <= 1.2 * 20_000 / shards  # no shard takes much more than its share


# -- the job index keys, sharded -------------------------------------------------------------------
def index_counts(client: Any, index: str, base: str) -> dict[str, int]:
    """Jobs under each key of the list `base` in the index: its shards, then the unsharded key."""
    return {p: client.query(TableName=TEST_ENV["TABLE_NAME"], IndexName=index, Select="COUNT",
                            KeyConditionExpression="#k = :p", ExpressionAttributeNames={"#k": f"{index}pk"},
                            ExpressionAttributeValues={":p": {"S": p}})["Count"]
            for p in jobs_dal.JOB_SHARDS.partitions(base)}


def every_page(caller: Any, path: str, limit: int, **query: str) -> list[list[str]]:
    """The ids of each page of the list, following the cursors."""
    pages, cursor = [], None
    while True:
        page = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = call_api("GET", path, as_user=caller, query={**query, **page})
        assert r.status == 200, r.body
        pages.append([j["job_id"] for j in r.json()["items"]])
        cursor = r.json()["next_cursor"]
        if not cursor:
            return pages


def listed(caller: Any, path: str, limit: int, **query: str) -> list[str]:
    return [job_id for page in every_page(caller, path, limit, **query) for job_id in page]


def test_an_import_spreads_its_jobs_over_the_shards_of_every_job_index_key(dynamodb) -> None:
    s = setup()
    assets = [create_asset(s.fleet) for _ in range(5)]
    body = to_csv([install_row(assets[n % 5], partner=s.partner_id if n % 2 else "", title=f"Job {n}")
                   for n in range(240)])
    r = send(s.fleet, body, key="spread")
    assert r.status == 201, r.body
    job_ids = r.json()["job_ids"]
    fleet, vendor = s.fleet.org_id, s.vendor.org_id
    for index, base, jobs in (("gsi1", jobs_dal.fleet_jobs(fleet), 240),
                              ("gsi2", jobs_dal.fleet_jobs_in(fleet, "ASSIGNED"), 120),
                              ("gsi2", jobs_dal.fleet_jobs_in(fleet, "PENDING"), 120),
                              ("gsi3", jobs_dal.fleet_jobs_of(fleet, s.partner_id), 120),
                              ("gsi4", jobs_dal.partner_jobs(vendor), 120)):
        counts = index_counts(dynamodb, index, base)
        shards = list(counts.values())[:-1]
        assert counts[base] == 0, "nothing under the unsharded key"
        assert sum(shards) == jobs and len(shards) == 8 and min(shards) > 0, (base, counts)
        assert max(shards) <= 2 * jobs / 8, (base, counts)  # no shard near the whole list
    # the lists read back every shard, newest first, in pages of exactly `limit`
    newest_first = sorted(job_ids, reverse=True)
    pages = every_page(s.fleet, "/jobs", 50)
    assert [len(p) for p in pages] == [50, 50, 50, 50, 40]
    assert [j for p in pages for j in p] == newest_first
    assigned = [j for n, j in enumerate(job_ids) if n % 2]
    assert listed(s.fleet, "/jobs", 30, status="ASSIGNED") == sorted(assigned, reverse=True)
    assert listed(s.fleet, "/jobs", 40, partner=s.partner_id) == sorted(assigned, reverse=True)
    assert listed(s.technician, "/partner/jobs", 100) == sorted(assigned, reverse=True)


def to_unsharded(client: Any, job_id: str) -> None:
    """Put a job back under the list keys jobs had before sharding: the data stored before this change."""
    key = {"pk": {"S": jobs_dal.job_pk(job_id)}, "sk": {"S": "JOB"}}
    item = client.get_item(TableName=TEST_ENV["TABLE_NAME"], Key=key, ConsistentRead=True)["Item"]
    sets = {name: item[name]["S"].rsplit("#", 1)[0] for name in ("gsi1pk", "gsi2pk", "gsi3pk", "gsi4pk")
            if name in item}
    client.update_item(TableName=TEST_ENV["TABLE_NAME"], Key=key,
                       UpdateExpression="SET " + ", ".join(f"#{n} = :{n}" for n in sets),
                       ExpressionAttributeNames={f"#{n}": n for n in sets},
                       ExpressionAttributeValues={f":{n}": {"S": v} for n, v in sets.items()})


def test_jobs_stored_under_the_unsharded_keys_are_listed_and_move_to_a_shard_on_their_next_write(
        dynamodb, mailbox) -> None:
    s = setup()
    asset = create_asset(s.fleet)
    jobs = [create_job(s.fleet, asset, **({"partner_id": s.partner_id} if n in (1, 3) else {}))["job_id"]
            for n in range(6)]
    for job_id in jobs[:4]:  # the four oldest, as stored before
        to_unsharded(dynamodb, job_id)
    base = jobs_dal.fleet_jobs(s.fleet.org_id)
    assert index_counts(dynamodb, "gsi1", base)[base] == 4
    newest_first = jobs[::-1]
    assert listed(s.fleet, "/jobs", 2) == newest_first
    assert listed(s.fleet, "/jobs", 2, status="ASSIGNED") == [jobs[3], jobs[1]]
    assert listed(s.fleet, "/jobs", 1, partner=s.partner_id) == [jobs[3], jobs[1]]
    assert listed(s.technician, "/partner/jobs", 1) == [jobs[3], jobs[1]]
    # a cursor handed out before sharding (one key) goes on where it stopped
    old = encode_cursor({"pk": {"S": jobs_dal.job_pk(jobs[2])}, "sk": {"S": "JOB"}, "gsi1pk": {"S": base},
                         "gsi1sk": {"S": f"JOB#{jobs[2]}"}}, base)
    r = call_api("GET", "/jobs", as_user=s.fleet, query={"limit": 10, "cursor": old})
    assert r.status == 200 and [j["job_id"] for j in r.json()["items"]] == [jobs[1], jobs[0]], r.body
    # its next write moves a job to its shard
    assert act(s.technician, jobs[1], "start").status == 200
    moved = dynamodb.get_item(TableName=TEST_ENV["TABLE_NAME"], Key={
        "pk": {"S": jobs_dal.job_pk(jobs[1])}, "sk": {"S": "JOB"}}, ConsistentRead=True)["Item"]
    assert moved["gsi1pk"]["S"] == jobs_dal.JOB_SHARDS.key(base, jobs[1]) != base
    assert moved["gsi4pk"]["S"] == jobs_dal.JOB_SHARDS.key(jobs_dal.partner_jobs(s.vendor.org_id), jobs[1])
    assert listed(s.fleet, "/jobs", 4) == newest_first
    # the partnership ending takes back its open jobs under either key (relationships.py reads every shard)
    assert call_api("POST", f"/partners/{s.invitation_id}/remove", as_user=s.fleet).status == 200
    mailbox.poller.drain()
    statuses = [call_api("GET", f"/jobs/{j}", as_user=s.fleet).json()["status"] for j in (jobs[1], jobs[3])]
    assert statuses == ["PENDING", "PENDING"]


# -- the push due index without snapshot bodies ------------------------------------------------------
def stored(client: Any, pk: str, sk: str) -> dict[str, Any]:
    answer = client.get_item(TableName=TEST_ENV["TABLE_NAME"], Key={"pk": {"S": pk}, "sk": {"S": sk}},
                             ConsistentRead=True)
    return dict(answer.get("Item") or {})


def test_a_snapshot_page_in_the_due_index_is_its_delivery_without_the_body(dynamodb, receiver, stream) -> None:
    from datetime import UTC, datetime, timedelta

    from bench.capacity_counts import item_size
    from tests.test_push_deliveries import active_subscription, assets, delivery, run_retry

    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    receiver.fail_next = 1  # its first attempt fails: it waits in the due index, retrying
    now = datetime.now(UTC)
    [delivery_id] = push_snapshot(admin.org_id, assets(300, "in_shop"), now)
    stream.drain()
    assert delivery(admin, sub_id, delivery_id)["status"] == "retrying"
    item = stored(dynamodb, deliveries.delivery_pk(sub_id), deliveries.delivery_sk(delivery_id))
    body = stored(dynamodb, deliveries.delivery_pk(sub_id), deliveries.body_sk(delivery_id))
    assert "body" not in item and item["gsi4pk"]["S"].startswith("PUSHDUE#")
    assert item_size(item) <= 1024, "each write of it, and of its copy in the due index: 1 write unit"
    assert item_size(body) > 2 * 1024 and not any(k.startswith("gsi") for k in body), "the page: written once"
    run_retry(now + timedelta(minutes=5))
    assert delivery(admin, sub_id, delivery_id)["status"] == "delivered"
    assert len(receiver.accepted[delivery_id].json()["assets"]) == 300
    # a redelivery keeps the body's item as long as the delivery (its TTL moves with the delivery's)
    r = call_api("POST", f"/subscriptions/{sub_id}/deliveries/{delivery_id}/redeliver", as_user=admin)
    assert r.status == 202, r.body
    stream.drain()
    assert delivery(admin, sub_id, delivery_id)["redeliveries"] == 1
    after = stored(dynamodb, deliveries.delivery_pk(sub_id), deliveries.delivery_sk(delivery_id))
    kept = stored(dynamodb, deliveries.delivery_pk(sub_id), deliveries.body_sk(delivery_id))
    # (the redelivery may fall in the same second as the first queuing: "not earlier", then "after the delivery's")
    assert int(kept["expires_at_epoch"]["N"]) >= int(body["expires_at_epoch"]["N"])
    assert int(kept["expires_at_epoch"]["N"]) > int(after["expires_at_epoch"]["N"])


def test_a_delivery_stored_with_its_body_inside_is_still_sent(dynamodb, receiver, stream) -> None:
    from datetime import UTC, datetime

    from shared.push.attempts import QUEUED_GRACE, RETRY_FOR
    from shared.push.snapshots import page_body
    from tests.test_push_deliveries import active_subscription, assets, delivery

    admin = sign_up("fleet")
    sub_id = active_subscription(admin, receiver, stream)
    now = datetime.now(UTC)
    page = page_body(admin.org_id, now, 1, 1, [a.model_dump(mode="json") for a in assets(300, "in_shop")])
    delivery_id = new_id("dlv")
    new = deliveries.new_item(delivery_id=delivery_id, subscription_id=sub_id, fleet_id=admin.org_id,
                              content=deliveries.DeliveryContent(DeliveryKind.SNAPSHOT, page), now=now,
                              retry_for=RETRY_FOR, queued_grace=QUEUED_GRACE)
    assert new.body is not None
    new.item.body = new.body.body  # as deliveries were stored before bodies had their own item
    new.item.save()
    stream.drain()  # its INSERT record sends it
    assert delivery(admin, sub_id, delivery_id)["status"] == "delivered"
    assert receiver.accepted[delivery_id].body == page
    # and a redelivery of it keeps the body where it is
    r = call_api("POST", f"/subscriptions/{sub_id}/deliveries/{delivery_id}/redeliver", as_user=admin)
    assert r.status == 202, r.body
    stream.drain()
    again = delivery(admin, sub_id, delivery_id)
    assert (again["status"], again["redeliveries"]) == ("delivered", 1)
    assert stored(dynamodb, deliveries.delivery_pk(sub_id), deliveries.body_sk(delivery_id)) == {}
