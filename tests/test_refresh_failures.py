"""One fleet's Fleetrock down: that fleet is retried and reported, every other fleet is refreshed and pushed."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from dev.fleetrock_standin import FleetrockStandin
from shared.fleetrock.integration.models import IntegrationItem
from shared.fleetrock.refresh import dal as refresh_dal
from shared.fleetrock.refresh import refresh
from shared.observability import logger as app_logger
from tests.conftest import FLEETROCK_API_KEY, FLEETROCK_USERNAME, call_api
from tests.factories import create_asset, sign_up
from tests.fleetrock_support import active_integration
from tests.push_receiver import receiver_fixture, stream_fixture  # noqa: F401 - fixtures
from tests.refresh_support import five_am, refreshes, scheduled, snapshots, subscribe, sweep

pytestmark = pytest.mark.usefixtures("dynamodb")


@pytest.fixture
def other_fleetrock() -> Iterator[FleetrockStandin]:
    """A second Fleetrock tenant on its own host, so one can be down while the other answers."""
    standin = FleetrockStandin(accounts={FLEETROCK_USERNAME: FLEETROCK_API_KEY}).start()
    yield standin
    standin.stop()


@pytest.fixture
def app_logs() -> Iterator[list[dict[str, Any]]]:
    """Our structured log records (Powertools' logger is a standard one)."""
    records: list[dict[str, Any]] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append({"message": record.getMessage(), "level": record.levelname, **record.__dict__})

    handler = Capture(level=logging.INFO)
    ours = logging.getLogger(app_logger.name)
    level = ours.level
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)  # every info line is built too: a bad `extra` key would raise here
    yield records
    ours.removeHandler(handler)
    ours.setLevel(level)


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def test_a_fleet_whose_fleetrock_is_down_is_retried_and_reported_and_the_others_are_pushed(
        fleetrock, other_fleetrock, receiver, stream, app_logs):
    up, down = sign_up("fleet", name="Up Freight"), sign_up("fleet", name="Down Freight")
    for admin in (up, down):
        create_asset(admin, unit_number="T-1")
    up_id, _ = active_integration(up, fleetrock)
    down_id, _ = active_integration(down, other_fleetrock)
    for admin in (up, down):
        subscribe(admin, receiver, stream)
    other_fleetrock.set_faults(fail=1000)  # every call answers 503

    scheduled(five_am(1))
    stream.drain()  # no dead letters either (the stream fixture checks): the outage is not raised
    [done] = refreshes(up, up_id)
    assert done["status"] == "succeeded" and len(snapshots(receiver, up.org_id)) == 1
    [failed] = refreshes(down, down_id)
    assert failed["status"] == "retrying" and failed["attempts"] == 1
    assert "FleetrockUnavailable" in failed["last_error"] and "HTTP 503" in failed["last_error"]
    assert snapshots(receiver, down.org_id) == []
    assert any(r["message"] == "maintenance refresh scheduled" and r["tasks_created"] == 2 for r in app_logs)
    assert any(r["message"] == "maintenance refresh done" and r["integration_id"] == up_id for r in app_logs)
    warning = next(r for r in app_logs if r["message"] == "maintenance refresh failed: retried later")
    assert warning["integration_id"] == down_id and warning["level"] == "WARNING"
    next_attempt = at(failed["next_attempt_at"])
    assert next_attempt - at(failed["updated_at"]) == refresh.BACKOFF

    assert sweep(next_attempt - timedelta(seconds=1))["queued"] == 0, "not due yet"
    assert sweep(next_attempt)["queued"] == 1
    stream.drain()  # still down: attempt 2, a longer backoff
    retried = refreshes(down, down_id)[0]
    assert (retried["status"], retried["attempts"]) == ("retrying", 2)
    assert at(retried["next_attempt_at"]) - at(retried["updated_at"]) == 2 * refresh.BACKOFF

    other_fleetrock.clear_faults()  # back
    assert sweep(at(retried["next_attempt_at"]))["queued"] == 1
    stream.drain()
    recovered = refreshes(down, down_id)[0]
    assert (recovered["status"], recovered["attempts"], recovered["last_error"]) == ("succeeded", 3, None)
    [page] = snapshots(receiver, down.org_id)
    assert len(page["assets"]) == 1
    assert len(snapshots(receiver, up.org_id)) == 1, "the fleet that succeeded is not pushed again"


def test_a_fleet_down_all_day_is_failed_after_its_last_attempt(fleetrock, stream, monkeypatch, app_logs):
    monkeypatch.setattr(refresh, "MAX_ATTEMPTS", 2)
    admin = sign_up("fleet")
    integration_id, _ = active_integration(admin, fleetrock)
    fleetrock.set_faults(fail=1000)
    scheduled(five_am(1))
    stream.drain()
    first = refreshes(admin, integration_id)[0]
    sweep(at(first["next_attempt_at"]))
    stream.drain()
    [task] = refreshes(admin, integration_id)
    assert (task["status"], task["attempts"], task["next_attempt_at"]) == ("failed", 2, None)
    assert sweep(at(first["next_attempt_at"]) + timedelta(days=1))["queued"] == 0, "out of the due index"
    assert any(r["message"] == "maintenance refresh failed for good" and r["level"] == "ERROR" for r in app_logs)
    notes = call_api("GET", "/notifications", as_user=admin).json()["items"]
    [told] = [n for n in notes if n["kind"] == "integration.refresh_gave_up"]  # the fleet, once
    assert told["data"] == {"integration_id": integration_id, "run_date": task["run_date"]}


def test_an_unexpected_error_is_recorded_raised_and_retried_by_the_sweep(fleetrock, stream):
    admin = sign_up("fleet")
    integration_id, _ = active_integration(admin, fleetrock)
    item = IntegrationItem.get(f"FLEETROCK#{integration_id}", "INTEGRATION")
    good = item.api_key_ciphertext
    item.api_key_ciphertext = "not-a-ciphertext"  # a bug of ours, not Fleetrock's: decrypting raises
    item.save()
    scheduled(five_am(1))
    stream.drain()  # the record raised once; its retry found the task no longer runnable: nothing dead-lettered
    task = refreshes(admin, integration_id)[0]
    assert task["status"] == "retrying" and task["last_error"].startswith("unexpected ")
    assert "not-a-ciphertext" not in json.dumps(task)
    item.refresh()
    item.api_key_ciphertext = good
    item.save()
    sweep(at(task["next_attempt_at"]))
    stream.drain()
    assert refreshes(admin, integration_id)[0]["status"] == "succeeded"


def test_a_crashed_run_is_taken_up_again_when_its_lease_runs_out(fleetrock, stream):
    admin = sign_up("fleet")
    integration_id, _ = active_integration(admin, fleetrock)
    run_date = scheduled(five_am(1))["run_date"]
    task = refresh_dal.get_item(integration_id, run_date)
    assert task is not None
    # an attempt that claimed the task and then died (the Lambda timed out): it stays running
    assert refresh_dal.claim(task, seen_status="pending", seen_attempts=0, now=task.created_at, lease=refresh.LEASE)
    stream.drain()
    assert refreshes(admin, integration_id)[0]["status"] == "running"
    assert sweep(task.created_at + refresh.LEASE - timedelta(seconds=1))["queued"] == 0
    assert sweep(task.created_at + refresh.LEASE)["queued"] == 1
    stream.drain()
    done = refreshes(admin, integration_id)[0]
    assert (done["status"], done["attempts"]) == ("succeeded", 2)
