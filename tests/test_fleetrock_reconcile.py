"""The nightly reconcile against a Fleetrock that serves GetRO only as the evidence says: one month a call,
by started / finished / invoiced, US dates without a zone, no date_updated, `created` refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dev.fleetrock_standin import us_time
from tests.conftest import call_api
from tests.factories import create_asset, sign_up
from tests.fleetrock_support import active_integration, configure, dispatch, repair_order, send
from tests.refresh_support import five_am, refreshes, scheduled

pytestmark = pytest.mark.usefixtures("dynamodb")


def months_ago(months: float) -> str:
    return us_time(datetime.now(UTC) - timedelta(days=30.4 * months))


def test_a_year_of_history_is_reconciled_month_by_month(fleetrock, stream):
    admin = sign_up("fleet")
    trucks = [create_asset(admin, unit_number=f"Y-{n}") for n in range(12)]
    created = configure(admin, fleetrock, lookback_days=365)
    r = call_api("POST", f"/integrations/{created['integration_id']}/activate", as_user=admin)
    assert r.status == 200, r.body
    integration_id, secret = created["integration_id"], created["webhook_secret"]
    # orders we heard of by webhook, open: three finish (one finished 10 months ago, its webhook lost)
    for n in range(3):
        send(integration_id, secret, "repair_order.updated",
             repair_order(f"RO-K{n}", trucks[n]["vin"], "In Progress", date_started=months_ago(11)))
    stream.drain()
    assert sum(dispatch(admin)[t["asset_id"]]["maintenance_status"] == "in_shop" for t in trucks[:3]) == 3
    fleetrock.put_repair_order({"id": "RO-K0", "status": "Finished", "date_finished": months_ago(10)})
    fleetrock.put_repair_order({"id": "RO-K1", "status": "Invoiced", "date_finished": months_ago(1),
                                "date_invoiced": months_ago(0.5)})
    fleetrock.put_repair_order({"id": "RO-K2", "status": "Paid", "date_invoice_paid": months_ago(0.1)})
    # orders started across the year whose webhooks never came: each month's window finds its own
    for n in range(3, 12):
        fleetrock.put_repair_order(repair_order(f"RO-M{n}", trucks[n]["vin"], "In Progress",
                                                date_started=months_ago(n - 2.5)))
    before = len(fleetrock.calls)

    scheduled(five_am(1))
    stream.drain()
    [task] = refreshes(admin, integration_id)
    assert task["status"] == "succeeded", task
    assert (task["result"]["closed"], task["result"]["applied"]) == (3, 9)
    seen = dispatch(admin)
    assert [seen[t["asset_id"]]["maintenance_status"] for t in trucks] == [None] * 3 + ["in_shop"] * 9
    windows = [p for call, p in fleetrock.calls[before:] if call == "GetRO" and "event" in p]
    assert {p["event"] for p in windows} == {"started", "finished", "invoiced", "created"}
    for p in windows:  # every call within one calendar month
        start, end = (datetime.fromisoformat(p[k].replace("Z", "+00:00")) for k in ("start", "end"))
        assert end - start <= timedelta(days=31) and (start.month, start.year) == (
            (end - timedelta(seconds=1)).month, (end - timedelta(seconds=1)).year)
    assert 12 <= sum(p["event"] == "started" for p in windows) <= 14
    shown = call_api("GET", f"/integrations/{integration_id}", as_user=admin).json()
    assert shown["created_lookup"] == "refused"
    assert stream.dead_letters == []


def test_an_order_with_a_date_we_cannot_read_is_kept_as_a_failed_event(fleetrock, stream):
    admin = sign_up("fleet")
    good, bad = create_asset(admin), create_asset(admin)
    integration_id, _ = active_integration(admin, fleetrock)
    fleetrock.put_repair_order(repair_order("RO-OK", good["vin"], "In Progress", date_started=us_time()))
    fleetrock.put_repair_order(repair_order("RO-BAD", bad["vin"], "Waiting", date_started=us_time(),
                                            date_expected_finish="next Tuesday"))
    scheduled(five_am(1))
    stream.drain()
    [task] = refreshes(admin, integration_id)
    assert task["status"] == "succeeded" and task["result"]["skipped"] == 1, task
    assert dispatch(admin)[good["asset_id"]]["maintenance_status"] == "in_shop"
    events = call_api("GET", f"/integrations/{integration_id}/events", as_user=admin).json()["items"]
    [failed] = [e for e in events if e["ro_id"] == "RO-BAD"]
    assert failed["status"] == "failed" and "next Tuesday" in failed["last_error"]
    assert failed["event_type"] == "repair_order.reconciled"
