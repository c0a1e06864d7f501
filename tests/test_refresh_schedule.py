"""The scheduled run: one refresh task per active integration and day, visible to the fleet's admins."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from dev.apigw import LocalContext
from functions.maintenance_refresh.handler import lambda_handler as maintenance_refresh
from tests.conftest import call_api
from tests.factories import add_user, create_asset, sign_up
from tests.fleetrock_support import active_integration, configure
from tests.push_receiver import receiver_fixture, stream_fixture  # noqa: F401 - fixtures
from tests.refresh_support import five_am, refreshes, scheduled, snapshots, subscribe

pytestmark = pytest.mark.usefixtures("dynamodb")
ROOT = Path(__file__).resolve().parent.parent


def test_one_task_per_active_integration_and_none_for_inactive_ones(fleetrock):
    active = [sign_up("fleet") for _ in range(2)]
    ids = [active_integration(admin, fleetrock)[0] for admin in active]
    configured = sign_up("fleet")
    configured_id = configure(configured, fleetrock)["integration_id"]
    deactivated = sign_up("fleet")
    deactivated_id, _ = active_integration(deactivated, fleetrock)
    assert call_api("POST", f"/integrations/{deactivated_id}/deactivate", as_user=deactivated).status == 200

    at = five_am(1)
    run = scheduled(at)
    assert (run["created"], run["existing"]) == (2, 0)
    assert run["run_date"] == at.date().isoformat()  # 05:00 Eastern is the same day in UTC
    for admin, integration_id in zip(active, ids, strict=True):
        [task] = refreshes(admin, integration_id)
        assert task["run_date"] == run["run_date"] and task["status"] == "pending" and task["attempts"] == 0
    assert refreshes(configured, configured_id) == []
    assert refreshes(deactivated, deactivated_id) == []


def test_the_day_is_the_us_eastern_one_whatever_the_utc_date(fleetrock):
    admin = sign_up("fleet")
    integration_id, _ = active_integration(admin, fleetrock)
    late_evening = five_am(1) + timedelta(hours=18)  # 23:00 Eastern: already the next day in UTC
    assert scheduled(late_evening)["run_date"] == (five_am(1)).date().isoformat()
    assert scheduled(late_evening + timedelta(hours=2))["run_date"] == five_am(2).date().isoformat()
    assert [t["run_date"] for t in refreshes(admin, integration_id)] == [
        five_am(2).date().isoformat(), five_am(1).date().isoformat()]  # newest day first


def test_twice_the_same_day_writes_no_task_and_pushes_nothing_again(fleetrock, receiver, stream):
    admin = sign_up("fleet")
    create_asset(admin, unit_number="T-1")
    integration_id, _ = active_integration(admin, fleetrock)
    subscribe(admin, receiver, stream)

    at = five_am(1)
    assert scheduled(at)["created"] == 1
    stream.drain()
    [task] = refreshes(admin, integration_id)
    assert task["status"] == "succeeded" and task["result"]["deliveries"] == 1
    assert len(snapshots(receiver, admin.org_id)) == 1

    again = scheduled(at + timedelta(hours=3))  # a retried schedule, or `make refresh`, the same day
    assert (again["created"], again["existing"]) == (0, 1)
    stream.drain()
    assert len(refreshes(admin, integration_id)) == 1
    assert len(snapshots(receiver, admin.org_id)) == 1

    assert scheduled(at + timedelta(days=1))["created"] == 1  # the next day runs, but nothing changed
    stream.drain()
    latest = refreshes(admin, integration_id)[0]
    assert latest["status"] == "succeeded" and latest["result"]["deliveries"] == 0
    assert len(snapshots(receiver, admin.org_id)) == 1, "unchanged data is not pushed twice"


def test_refreshes_are_for_the_fleets_admins_only(fleetrock):
    admin = sign_up("fleet")
    integration_id, _ = active_integration(admin, fleetrock)
    for day in range(3):
        scheduled(five_am(day + 1))
    first = call_api("GET", f"/integrations/{integration_id}/refreshes", as_user=admin, query={"limit": 2})
    assert first.status == 200 and len(first.json()["items"]) == 2 and first.json()["next_cursor"]
    rest = call_api("GET", f"/integrations/{integration_id}/refreshes", as_user=admin,
                    query={"limit": 2, "cursor": first.json()["next_cursor"]})
    assert [t["run_date"] for t in first.json()["items"] + rest.json()["items"]] == [
        five_am(d).date().isoformat() for d in (3, 2, 1)]
    assert call_api("GET", f"/integrations/{integration_id}/refreshes",
                    as_user=add_user(admin, "customer")).status == 403
    other = sign_up("fleet")
    assert call_api("GET", f"/integrations/{integration_id}/refreshes", as_user=other).status == 404


@pytest.mark.parametrize("path", sorted((ROOT / "events").glob("maintenance_refresh_*.json")), ids=lambda p: p.name)
def test_sample_events_run_through_the_handler(path):
    result = maintenance_refresh(json.loads(path.read_text()), LocalContext())
    assert result in ({"run_date": "2026-11-24", "created": 0, "existing": 0},
                      {"sweep": {"queued": 0, "failed": 0, "raced": 0},
                       "inbox": {"requeued": 0, "given_up": 0, "dropped": 0, "raced": 0},
                       "syncs": {"requeued": 0, "given_up": 0, "dropped": 0, "raced": 0},
                       "outbox": {"requeued": 0, "given_up": 0, "dropped": 0, "raced": 0}})
