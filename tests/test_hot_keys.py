"""The hot keys docs/capacity.md found, defused: each test shows the new spread of one key.

- A CSV import puts every job under the fleet's job index keys (gsi1 ORG#{fleet}#JOBS and the
  status, partner and installer keys): its writes are paced so those keys get at most
  JOB_INDEX_UNITS_PER_SECOND write units in any second (DynamoDB's limit per key is 1,000).
- The push delivery and Fleetrock inbox due queues are spread over 32 and 16 shards.
"""

from __future__ import annotations

from collections import Counter

import pytest

from shared.db import pace
from shared.fleetrock.inbox import dal as inbox_dal
from shared.jobs import importer
from shared.push.dal import deliveries
from tests.factories import create_asset
from tests.jobs_support import setup
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
