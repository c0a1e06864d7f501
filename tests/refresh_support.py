"""Helpers of the daily refresh tests: run the scheduled handler at a given time, subscribe a receiver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dev.apigw import LocalContext
from dev.stream_poller import StreamPoller
from functions.maintenance_refresh.handler import lambda_handler as maintenance_refresh
from tests.conftest import call_api
from tests.factories import Caller
from tests.push_receiver import PushReceiver

EASTERN = ZoneInfo("America/New_York")


def five_am(days_from_today: int = 0) -> datetime:
    """05:00 US Eastern of a day relative to today (Eastern), in UTC: the schedule's time."""
    day = datetime.now(EASTERN).date() + timedelta(days=days_from_today)
    return datetime(day.year, day.month, day.day, 5, tzinfo=EASTERN).astimezone(UTC)


def scheduled(at: datetime) -> dict[str, Any]:
    """The daily run, invoked as EventBridge Scheduler invokes it."""
    event = {"source": "fleetbridge.scheduler", "detail-type": "maintenance_refresh", "time": at.isoformat()}
    return dict(maintenance_refresh(event, LocalContext()))


def sweep(at: datetime, part: str = "sweep") -> dict[str, int]:
    """The every-minute sweep, invoked as EventBridge Scheduler invokes it: the counts of one part
    of it, the refresh tasks' ("sweep"), the Fleetrock inbox's ("inbox") or the unit syncs' ("syncs")."""
    event = {"source": "fleetbridge.scheduler", "detail-type": "maintenance_refresh_sweep", "time": at.isoformat()}
    return dict(maintenance_refresh(event, LocalContext())[part])


def refreshes(admin: Caller, integration_id: str) -> list[dict[str, Any]]:
    r = call_api("GET", f"/integrations/{integration_id}/refreshes", as_user=admin)
    assert r.status == 200, r.body
    return list(r.json()["items"])


def subscribe(admin: Caller, receiver: PushReceiver, stream: StreamPoller) -> str:
    """An active push subscription of the fleet to `receiver` (its verification delivered)."""
    r = call_api("POST", "/subscriptions", as_user=admin, json_body={"url": receiver.url})
    assert r.status == 201, r.body
    receiver.secrets.append(r.json()["secret"])
    stream.drain()
    sub = call_api("GET", f"/subscriptions/{r.json()['subscription_id']}", as_user=admin).json()
    assert sub["status"] == "active", sub
    return str(sub["subscription_id"])


def snapshots(receiver: PushReceiver, fleet_id: str) -> list[dict[str, Any]]:
    """The snapshot pages the receiver accepted for a fleet (signature verified), in arrival order."""
    bodies = [r.json() for r in receiver.accepted.values()]
    return [b for b in bodies if b.get("type") == "snapshot" and b["fleet_id"] == fleet_id]
