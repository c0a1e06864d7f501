"""`make refresh`: run the daily maintenance refresh now, against the running `make dev` stack.

    python -m dev.refresh                              # today's run (US Eastern day); once per day
    python -m dev.refresh --time 2026-12-01T10:00:00Z   # as EventBridge Scheduler would at that time

It invokes `maintenance_refresh` with a scheduled event, as the 05:00 schedule does in AWS; the dev
stack's stream poller runs each fleet's task (reconcile with the Fleetrock stand-in, statuses by
date, push to the local subscriber). This waits for the tasks and for the demo receiver's
deliveries (those of the subscriptions to its URL; other subscribers of the fleet are not waited
for), says when and why it stopped waiting, and prints them. Also here: the dev stack's stand-in
for the every-minute sweep schedule (RefreshSweepTimer).
"""

from __future__ import annotations

import argparse
import importlib
import os
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dev.apigw import LocalContext
from dev.push_retry_timer import PushRetryTimer
from dev.push_subscriber import DEFAULT_URL, stored_deliveries
from dev.settings import DEV_DIR, load_dev_environment

HANDLER = "functions.maintenance_refresh.handler"
PUSH_DIR_NAME = "push"  # where dev/push_subscriber.py writes what it accepted
DONE = ("succeeded", "failed", "skipped", "retrying")


def scheduled_event(at: datetime, detail_type: str = "maintenance_refresh") -> dict[str, Any]:
    return {"source": "fleetbridge.scheduler", "detail-type": detail_type, "time": at.isoformat()}


class RefreshSweepTimer(PushRetryTimer):
    """Locally, the every-minute sweep schedule: the sweep every 10 s, in a thread."""

    def run_once(self) -> dict[str, object]:
        handler = importlib.import_module(HANDLER)  # after the dev environment is loaded
        event = scheduled_event(datetime.now(UTC), "maintenance_refresh_sweep")
        return dict(handler.lambda_handler(event, LocalContext(function_name="fleetbridge-maintenance-refresh")))


def _stack_is_up(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 8000), timeout=1):
            return True
    except OSError:
        return False


def _tasks(run_date: str) -> list[Any]:
    from shared.fleetrock.integration import dal as integration_dal
    from shared.fleetrock.refresh import dal as refresh_dal

    found = (refresh_dal.get_item(i.integration_id, run_date) for i in integration_dal.active_integrations())
    return [t for t in found if t is not None]


def _deliveries(push_dir: Path, since: float) -> list[dict[str, Any]]:
    found = stored_deliveries(push_dir)
    return sorted((d for d in found if d["received_at"] >= since and d["payload"].get("type") == "snapshot"),
                  key=lambda d: d["received_at"])


def _demo_delivery_ids(fleet_ids: set[str], demo_url: str, since: float) -> set[str]:
    """The snapshot pages queued since `since` for the fleets' subscriptions to the demo receiver."""
    from shared.push.dal import deliveries as deliveries_dal
    from shared.push.dal import subscriptions as subscriptions_dal
    from shared.push.models import DeliveryKind

    demo = [s for f in fleet_ids for s in subscriptions_dal.active_items(f) if s.url == demo_url]
    pages = (deliveries_dal.list_page(s.subscription_id, limit=100, cursor=None).items for s in demo)
    return {d.delivery_id for page in pages for d in page
            if d.kind == DeliveryKind.SNAPSHOT and d.created_at.timestamp() >= since}


def _wait(run_date: str, started: float, wait: float, demo_url: str, push_dir: Path) -> tuple[list[Any], str | None]:
    """The run's tasks once they are done and the demo receiver has its pages, and why we stopped
    waiting; the reason is None when we gave up."""
    while True:
        tasks = _tasks(run_date)
        elapsed = time.time() - started
        if all(t.status in DONE for t in tasks):
            expected = _demo_delivery_ids({t.org_id for t in tasks}, demo_url, started)
            if expected <= {d["delivery_id"] for d in _deliveries(push_dir, started)}:
                return tasks, (f"the demo receiver has the snapshot ({len(expected)} page(s))" if expected
                               else "nothing pushed to the demo receiver (unchanged data, or no subscription)")
        if elapsed >= wait:
            return tasks, None
        time.sleep(0.5)


def _print_run(tasks: list[Any], deliveries: list[dict[str, Any]]) -> None:
    for task in tasks:
        print(f"  integration {task.integration_id} (fleet {task.org_id}): {task.status}, "
              f"attempt {task.attempts}" + (f", error: {task.last_error}" if task.last_error else ""))
        if task.result:
            print("    " + ", ".join(f"{k} {v}" for k, v in task.result.items()))
    for delivery in deliveries:
        payload = delivery["payload"]
        print(f"  push {delivery['delivery_id']} verified by the subscriber: fleet {payload['fleet_id']}, "
              f"page {payload['page']}/{payload['pages']}, {len(payload['assets'])} assets")
        for asset in payload["assets"]:
            if asset["maintenance_status"]:
                print(f"    {asset['unit_number']}: {asset['maintenance_status']} "
                      f"({', '.join(s['source_id'] for s in asset['statuses'])})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dev.refresh", description=__doc__.split("\n")[0])
    parser.add_argument("--time", help="the scheduled time (ISO 8601; default now): its US Eastern day is the run's")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait at most for the tasks and pushes")
    parser.add_argument("--subscriber-url", default=DEFAULT_URL, help="the demo receiver's URL (make dev's)")
    parser.add_argument("--dev-dir", type=Path, default=DEV_DIR)
    args = parser.parse_args(argv)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # this prints a summary; warnings still show
    load_dev_environment(args.dev_dir)
    from shared.settings import get_settings

    if not _stack_is_up(get_settings().dynamodb_endpoint or ""):
        print("the dev stack is not running: start it with `make dev` (in another terminal)", file=sys.stderr)
        return 1
    at = datetime.fromisoformat(args.time.replace("Z", "+00:00")) if args.time else datetime.now(UTC)
    started = time.time()
    handler = importlib.import_module(HANDLER)
    run = handler.lambda_handler(scheduled_event(at), LocalContext(function_name="fleetbridge-maintenance-refresh"))
    print(f"maintenance_refresh for {run['run_date']} (US Eastern): {run['created']} task(s) written, "
          f"{run['existing']} already there (one per integration and day)")
    push_dir = args.dev_dir / PUSH_DIR_NAME
    tasks, reason = _wait(run["run_date"], started, args.wait, args.subscriber_url, push_dir)
    if reason:
        print(f"stopped waiting after {time.time() - started:.1f} s: {reason}")
    _print_run(tasks, _deliveries(push_dir, started))
    if reason is None:
        running = any(t.status not in DONE for t in tasks)
        print(f"!! gave up after {args.wait:.0f} s: " + ("a task is still running: is `make dev`'s stream poller "
              "running?" if running else "the demo receiver is missing pages: see `make dev`'s log"), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
