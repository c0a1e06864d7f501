"""Assets to Fleetrock units by VIN, through the stream: created, updated, deactivated, reactivated;
retried when Fleetrock fails or throttles, never lost, never duplicated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import call_api
from tests.factories import create_asset, make_vin, sign_up
from tests.fleetrock_support import active_integration
from tests.refresh_support import sweep

pytestmark = pytest.mark.usefixtures("dynamodb")


def calls(standin, name: str) -> int:
    return [c for c, _ in standin.calls].count(name)


@pytest.fixture
def fleet(fleetrock):
    admin = sign_up("fleet")
    integration_id, _ = active_integration(admin, fleetrock)
    return admin, integration_id


def test_create_update_delete_recreate(fleet, fleetrock, stream):
    admin, _ = fleet
    asset = create_asset(admin, unit_number="T-9", license_number="MA123", license_state="MA",
                         license_expiration="2027-03-31")
    stream.drain()
    [unit] = fleetrock.units_with_vin(asset["vin"])
    assert unit["unit_number"] == "T-9" and unit["license_plate_number"] == "MA123"
    assert unit["license_plate_state"] == "MA" and unit["license_plate_expiration"] == "2027-03-31"
    assert unit["status"] == "Active" and unit["group"] == "Fleetbridge" and unit["unit_type"] == "Truck"

    r = call_api("PATCH", f"/assets/{asset['asset_id']}", as_user=admin,
                 json_body={"version": asset["version"], "unit_number": "T-10"})
    assert r.status == 200
    stream.drain()
    [unit] = fleetrock.units_with_vin(asset["vin"])
    assert unit["unit_number"] == "T-10"

    assert call_api("DELETE", f"/assets/{asset['asset_id']}", as_user=admin).status == 204
    stream.drain()
    assert fleetrock.units_with_vin(asset["vin"])[0]["status"] == "Inactive"
    r = call_api("POST", "/assets", as_user=admin, json_body={"unit_number": "T-11", "kind": "truck",
                                                               "vin": asset["vin"]})
    assert r.status == 200  # reactivated
    stream.drain()
    [unit] = fleetrock.units_with_vin(asset["vin"])
    assert (unit["status"], unit["unit_number"]) == ("Active", "T-11")
    assert calls(fleetrock, "AddUnit") == 1
    assert stream.dead_letters == []


def test_throttling_and_failures_are_retried_and_nothing_is_duplicated(fleet, fleetrock, stream):
    admin, _ = fleet
    fleetrock.set_faults(throttle=2)  # retried inside the client
    throttled = create_asset(admin)
    stream.drain()
    assert len(fleetrock.units_with_vin(throttled["vin"])) == 1
    fleetrock.set_faults(drop=2)  # GetToken and GetUnits dropped; then AddUnit runs
    dropped = create_asset(admin)
    stream.drain()
    assert len(fleetrock.units_with_vin(dropped["vin"])) == 1
    fleetrock.set_faults(fail=5)  # more than the client's attempts: the stream retries the record
    failing = create_asset(admin)
    stream.drain()
    assert len(fleetrock.units_with_vin(failing["vin"])) == 1
    assert calls(fleetrock, "AddUnit") == 3
    assert stream.dead_letters == []


def test_an_add_unit_whose_answer_is_lost_is_not_repeated(fleet, fleetrock, stream):
    admin, _ = fleet
    asset = create_asset(admin)
    # GetToken and GetUnits answered; then the AddUnit runs in Fleetrock but its answer is lost
    original_api = fleetrock.api

    def drop_add_unit(call, query, body):
        result = original_api(call, query, body)
        if call == "AddUnit" and calls(fleetrock, "AddUnit") == 1:
            fleetrock.set_faults(drop=1)
        return result

    fleetrock.api = drop_add_unit
    stream.drain()
    assert calls(fleetrock, "AddUnit") == 1
    assert len(fleetrock.units_with_vin(asset["vin"])) == 1


def test_a_send_that_keeps_failing_is_dead_lettered_marked_failed_and_retried(fleet, fleetrock, stream):
    admin, integration_id = fleet
    fleetrock.set_faults(fail=1000)
    asset = create_asset(admin)
    stream.drain()
    assert len(stream.dead_letters) == 1
    failed = call_api("GET", f"/integrations/{integration_id}/units", as_user=admin, query={"state": "failed"})
    [state] = failed.json()["items"]
    assert state["asset_id"] == asset["asset_id"] and state["attempts"] == stream.max_attempts
    assert "503" in state["last_error"]
    fleetrock.clear_faults()
    r = call_api("POST", f"/integrations/{integration_id}/units/{asset['asset_id']}/sync", as_user=admin)
    assert r.status == 200 and r.json()["state"] == "retry"
    stream.drain()
    assert len(fleetrock.units_with_vin(asset["vin"])) == 1
    units = call_api("GET", f"/integrations/{integration_id}/units", as_user=admin).json()["items"]
    assert [u["state"] for u in units] == ["synced"]


def test_in_order_per_asset_the_last_state_wins(fleet, fleetrock, stream):
    admin, _ = fleet
    asset = create_asset(admin)
    version = asset["version"]
    for n in range(5):
        r = call_api("PATCH", f"/assets/{asset['asset_id']}", as_user=admin,
                     json_body={"version": version, "unit_number": f"V{n}"})
        version = r.json()["version"]
    stream.drain()
    [unit] = fleetrock.units_with_vin(asset["vin"])
    assert unit["unit_number"] == "V4"
    assert calls(fleetrock, "AddUnit") == 1 and calls(fleetrock, "UpdateUnit") <= 1  # older records skipped


def test_no_sync_before_activation_or_after_deactivation(fleetrock, stream):
    admin = sign_up("fleet")
    before = create_asset(admin)
    integration_id, _ = active_integration(admin, fleetrock)
    call_api("POST", f"/integrations/{integration_id}/deactivate", as_user=admin)
    after = create_asset(admin, vin=make_vin())
    stream.drain()
    assert not fleetrock.units_with_vin(before["vin"]) and not fleetrock.units_with_vin(after["vin"])


def test_a_sync_failing_past_the_streams_retries_is_tried_again_by_the_sweep_with_backoff(fleet, fleetrock, stream):
    """Fleetrock down for longer than the stream's retries: the sweep tries again, 15 min, then 15, 30... later."""
    admin, integration_id = fleet
    fleetrock.set_faults(fail=100_000)
    asset = create_asset(admin)
    stream.drain()
    assert len(stream.dead_letters) == 1
    start = datetime.now(UTC)
    assert sweep(start, "syncs") == {"requeued": 0, "given_up": 0, "dropped": 0, "raced": 0}  # not due yet
    assert sweep(start + timedelta(minutes=16), "syncs")["requeued"] == 1  # still down: fails again
    stream.drain()
    [state] = call_api("GET", f"/integrations/{integration_id}/units", as_user=admin).json()["items"]
    assert state["state"] == "failed" and state["attempts"] > stream.max_attempts
    assert sweep(start + timedelta(minutes=20), "syncs")["requeued"] == 0  # next try 15 min after the last
    fleetrock.clear_faults()
    assert sweep(start + timedelta(minutes=32), "syncs")["requeued"] == 1
    stream.drain()
    assert len(fleetrock.units_with_vin(asset["vin"])) == 1
    [state] = call_api("GET", f"/integrations/{integration_id}/units", as_user=admin).json()["items"]
    assert state["state"] == "synced"
    assert sweep(start + timedelta(days=1), "syncs") == {"requeued": 0, "given_up": 0, "dropped": 0, "raced": 0}


def test_a_sync_that_never_succeeds_leaves_the_sweep_after_its_tries(fleet, fleetrock, stream):
    admin, integration_id = fleet
    fleetrock.set_faults(fail=100_000)
    create_asset(admin), create_asset(admin)  # two units given up: one notification
    stream.drain()
    at, outcomes = datetime.now(UTC), []
    for minutes in (16, 31, 61, 121, 241, 481, 961):  # each try's backoff has run out
        at += timedelta(minutes=minutes)
        counts = sweep(at, "syncs")
        outcomes.append("requeued" if counts["requeued"] else "given_up" if counts["given_up"] else "none")
        stream.drain()
    assert outcomes == ["requeued"] * 6 + ["given_up"]
    states = call_api("GET", f"/integrations/{integration_id}/units", as_user=admin, query={"state": "failed"}).json()[
        "items"]
    assert [s["state"] for s in states] == ["failed", "failed"]  # listed for a manual retry
    assert sweep(at + timedelta(days=2), "syncs")["requeued"] == 0
    notes = call_api("GET", "/notifications", as_user=admin).json()["items"]
    assert [n["kind"] for n in notes] == ["integration.sync_gave_up"], "the fleet is told once"


def test_a_sync_failing_on_our_side_is_recorded_and_swept_too(fleet, fleetrock, stream, monkeypatch):
    """Not only Fleetrock's errors: the API key's decryption failing (KMS down) is a failed sync the sweep retries."""
    from shared.fleetrock.sync import sync

    admin, integration_id = fleet
    from shared.fleetrock.integration.credentials import client_for as real_client_for


    def kms_down(integration):
        raise RuntimeError("KMS is unavailable")

    monkeypatch.setattr(sync, "client_for", kms_down)
    asset = create_asset(admin)
    stream.drain()
    [state] = call_api("GET", f"/integrations/{integration_id}/units", as_user=admin).json()["items"]
    assert state["state"] == "failed" and "KMS is unavailable" in state["last_error"]
    monkeypatch.setattr(sync, "client_for", real_client_for)
    assert sweep(datetime.now(UTC) + timedelta(minutes=16), "syncs")["requeued"] == 1
    stream.drain()
    assert len(fleetrock.units_with_vin(asset["vin"])) == 1


def sync_state(admin, integration_id: str, asset_id: str) -> dict:
    units = call_api("GET", f"/integrations/{integration_id}/units", as_user=admin, query={"limit": 100}).json()
    return next(u for u in units["items"] if u["asset_id"] == asset_id)


def test_a_unit_fleetrock_refuses_is_recorded_with_fleetrocks_answer(fleet, fleetrock, stream):
    """AddUnit / UpdateUnit are assumed (docs/fleetrock-contract.md): a refusal shows what Fleetrock said."""
    admin, integration_id = fleet
    fleetrock.unit_refusal = "Unit number T-9 already exists in group Fleetbridge"
    asset = create_asset(admin, unit_number="T-9")
    stream.drain()
    state = sync_state(admin, integration_id, asset["asset_id"])
    assert state["state"] == "failed" and "T-9 already exists in group Fleetbridge" in state["last_error"]
    failed = call_api("GET", f"/integrations/{integration_id}/units", as_user=admin, query={"state": "failed"})
    assert [u["asset_id"] for u in failed.json()["items"]] == [asset["asset_id"]]
    fleetrock.unit_refusal = None
    r = call_api("POST", f"/integrations/{integration_id}/units/{asset['asset_id']}/sync", as_user=admin)
    assert r.status == 200 and r.json()["state"] == "retry"
    stream.drain()
    assert sync_state(admin, integration_id, asset["asset_id"])["state"] == "synced"
    [unit] = fleetrock.units_with_vin(asset["vin"])
    assert (unit["unit_number"], unit["unit_type"], unit["group"]) == ("T-9", "Truck", "Fleetbridge")
