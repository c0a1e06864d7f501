"""Load and faults: 1,000 webhooks (20% redeliveries, shuffled) from several threads at the dev server.

Every distinct event is applied exactly once, and the final statuses are those of each repair
order's newest state, whatever order the events came in.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from dev.fleetrock_standin import FleetrockStandin
from shared.maintenance.rules import repair_order_status
from tests.conftest import call_api
from tests.factories import create_asset, sign_up
from tests.fleetrock_support import active_integration, dispatch, envelope, repair_order

pytestmark = pytest.mark.usefixtures("dynamodb")
TRUCKS, ORDERS_PER_TRUCK, UPDATES_PER_ORDER = 40, 2, 10  # 800 distinct events (bench/webhook_accept.py: more)
STATUSES = ["Not Started", "Waiting", "In Progress", "Finished", "Invoiced", "Paid", "Deleted"]


def test_1000_shuffled_webhooks_with_duplicates_apply_exactly_once(fleetrock, dev_server, stream):
    rng = random.Random(7)
    admin = sign_up("fleet")
    trucks = [create_asset(admin, unit_number=f"L-{n}") for n in range(TRUCKS)]
    integration_id, secret = active_integration(admin, fleetrock)
    start = datetime(2026, 3, 1, 6, 0, 0)
    events, final = [], {}
    for truck in trucks:
        for o in range(ORDERS_PER_TRUCK):
            ro_id = f"RO-{truck['unit_number']}-{o}"
            for u in range(UPDATES_PER_ORDER):
                status = rng.choice(STATUSES)
                updated = (start + timedelta(minutes=u)).strftime("%Y-%m-%d %H:%M:%S")
                order = repair_order(ro_id, truck["vin"], status, updated, unit_number=truck["unit_number"])
                events.append(envelope("repair_order.updated", order, event_id=f"evt-{ro_id}-{u}"))
                final[ro_id] = (truck["asset_id"], status)
                fleetrock.put_repair_order(order)  # Fleetrock ends with the last change: what applying reads
    distinct = len(events)
    deliveries = events + rng.sample(events, k=len(events) // 4)  # 20% of the 1,000 are redeliveries
    rng.shuffle(deliveries)
    assert len(deliveries) == 1000
    url = f"{dev_server.url}/webhooks/fleetrock/{integration_id}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda body: FleetrockStandin.post_webhook(url, secret, body), deliveries))
    assert {status for status, _ in answers} == {202}
    assert sum('"duplicate"' in body for _, body in answers) == len(deliveries) - distinct

    stream.drain(timeout=900)
    assert stream.dead_letters == []
    applied, cursor = {}, None
    while True:
        page = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin,
                        query={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        applied.update({e["event_id"]: (e["status"], e["applied_count"]) for e in page["items"]})
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(applied) == distinct
    assert set(applied.values()) == {("applied", 1)}

    seen = dispatch(admin)
    for truck in trucks:
        mine = [status for asset_id, status in final.values() if asset_id == truck["asset_id"]]
        statuses = {str(repair_order_status(s)) for s in mine if repair_order_status(s)}
        expected_top = min(statuses, key=["in_shop", "awaiting_service"].index) if statuses else None
        got = seen[truck["asset_id"]]
        assert got["maintenance_status"] == expected_top, (truck["unit_number"], mine, got)
        assert got["asset_status"] == ("in_shop" if expected_top == "in_shop" else "active")
        assert sorted(c["source_id"] for c in got["statuses"]) == sorted(
            ro for ro, (a, s) in final.items() if a == truck["asset_id"] and repair_order_status(s))
