"""Integration set-up: configure, activate (credentials, import, link by VIN), deactivate, secrets."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from dev.fleetrock_standin import us_time
from shared.assets.models import AssetStatus
from tests.conftest import FLEETROCK_API_KEY, TEST_ENV, call_api
from tests.factories import add_user, create_asset, sign_up
from tests.fleetrock_support import active_integration, configure, dispatch, repair_order, send

pytestmark = pytest.mark.usefixtures("dynamodb")


def test_configure_stores_the_key_encrypted_and_shows_the_webhook_secret_once(dynamodb, fleetrock):
    admin = sign_up("fleet")
    created = configure(admin, fleetrock)
    integration_id, secret = created["integration_id"], created["webhook_secret"]
    assert created["status"] == "configured"
    assert created["webhook_path"] == f"/webhooks/fleetrock/{integration_id}"
    assert "api_key" not in created and secret.startswith("frwh_")
    stored = dynamodb.get_item(TableName=TEST_ENV["TABLE_NAME"],
                               Key={"pk": {"S": f"FLEETROCK#{integration_id}"}, "sk": {"S": "INTEGRATION"}})["Item"]
    assert FLEETROCK_API_KEY not in str(stored) and secret not in str(stored)
    for path in (f"/integrations/{integration_id}", "/integrations", "/audit"):
        body = call_api("GET", path, as_user=admin).body
        assert FLEETROCK_API_KEY not in body and secret not in body and "webhook_secret" not in body
    again = call_api("POST", "/integrations", as_user=admin, json_body={
        "login_url": fleetrock.url, "username": "x", "api_key": "another-key", "default_group": "G"})
    assert again.status == 409  # one integration per fleet
    short = call_api("POST", "/integrations", as_user=sign_up("fleet"), json_body={
        "login_url": fleetrock.url, "username": "x", "api_key": "abc", "default_group": "G"})
    [detail] = short.json()["error"]["details"]
    assert short.status == 422 and detail["field"] == "api_key" and "8 to 500 characters" in detail["message"]
    assert "items" not in detail["message"] and "abc" not in short.body


def test_activate_with_bad_credentials_is_422_and_stays_configured(fleetrock):
    admin = sign_up("fleet")
    created = configure(admin, fleetrock, api_key="not-the-right-key")
    r = call_api("POST", f"/integrations/{created['integration_id']}/activate", as_user=admin)
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "api_key"
    assert call_api("GET", f"/integrations/{created['integration_id']}", as_user=admin).json()["status"] == "configured"


def test_activate_when_fleetrock_is_down_is_422_not_500(fleetrock):
    admin = sign_up("fleet")
    created = configure(admin, fleetrock)
    fleetrock.set_faults(fail=10)
    r = call_api("POST", f"/integrations/{created['integration_id']}/activate", as_user=admin)
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "login_url"


def test_activation_imports_open_repair_orders_and_links_units_by_vin(fleetrock, stream):
    admin = sign_up("fleet")
    in_shop, awaiting, only_ours, closed = (create_asset(admin) for _ in range(4))
    fleetrock.put_unit({"unit_number": "FR-1", "vin": in_shop["vin"]})
    fleetrock.put_unit({"unit_number": "FR-9", "vin": "1M8GDM9AXKP042788"})  # only in Fleetrock
    fleetrock.put_repair_order(repair_order("RO-1", in_shop["vin"], "In Progress", us_time()))
    fleetrock.put_repair_order(repair_order("RO-2", awaiting["vin"], "Not Started", us_time()))
    fleetrock.put_repair_order(repair_order("RO-3", closed["vin"], "Finished", us_time(),
                                            date_started=us_time()))
    fleetrock.allow_created = True  # this Fleetrock answers GetRO event=created (not seen in public code)
    created = configure(admin, fleetrock)
    r = call_api("POST", f"/integrations/{created['integration_id']}/activate", as_user=admin)
    assert r.status == 200, r.body
    assert r.json()["repair_orders_imported"] == 2 and r.json()["units_linked"] == 1, r.body
    assert r.json()["integration"]["status"] == "active"
    stream.drain()
    seen = dispatch(admin)
    assert seen[in_shop["asset_id"]]["maintenance_status"] == "in_shop"
    assert seen[in_shop["asset_id"]]["asset_status"] == AssetStatus.IN_SHOP
    assert seen[in_shop["asset_id"]]["statuses"][0]["source_id"] == "RO-1"
    assert seen[awaiting["asset_id"]]["maintenance_status"] == "awaiting_service"
    assert seen[awaiting["asset_id"]]["asset_status"] == "active"
    assert seen[closed["asset_id"]]["maintenance_status"] is None
    assert not fleetrock.units_with_vin(only_ours["vin"]), "Fleetbridge-only assets are not created at activation"
    assert [c for c, _ in fleetrock.calls].count("AddUnit") == 0
    units = call_api("GET", f"/integrations/{created['integration_id']}/units", as_user=admin).json()["items"]
    assert [(u["asset_id"], u["state"]) for u in units] == [(in_shop["asset_id"], "synced")]
    # the linked unit received our fields at once (UpdateUnit), not at the asset's next edit
    [update] = [body for call, body in fleetrock.calls if call == "UpdateUnit"]
    assert update["units"][0]["vin"] == in_shop["vin"] and update["units"][0]["group"] == "Fleetbridge"
    shown = call_api("GET", f"/integrations/{created['integration_id']}", as_user=admin).json()
    assert shown["created_lookup"] == "answered" and shown["lookback_days"] == 90
    assert stream.dead_letters == []


def test_activation_without_getro_created_finds_started_orders_and_says_what_it_could_not(fleetrock, stream):
    """`created` is refused (as nothing public shows it served): In Progress orders are found by `started`,
    month by month over the look-back; a Not Started one comes by its webhook, re-read by id."""
    admin = sign_up("fleet")
    in_shop, awaiting, old = (create_asset(admin) for _ in range(3))
    long_ago = us_time(datetime.now(UTC) - timedelta(days=200))
    fleetrock.put_repair_order(repair_order("RO-1", in_shop["vin"], "In Progress", date_started=us_time()))
    fleetrock.put_repair_order(repair_order("RO-2", awaiting["vin"], "Not Started"))
    fleetrock.put_repair_order(repair_order("RO-OLD", old["vin"], "In Progress", date_started=long_ago))
    created = configure(admin, fleetrock, lookback_days=120)
    r = call_api("POST", f"/integrations/{created['integration_id']}/activate", as_user=admin)
    assert r.status == 200 and r.json()["repair_orders_imported"] == 1, r.body
    shown = r.json()["integration"]
    assert shown["created_lookup"] == "refused" and shown["created_lookup_at"]
    windows = [p for call, p in fleetrock.calls if call == "GetRO" and p.get("event") == "started"]
    assert 4 <= len(windows) <= 6  # 120 days, one calendar month per call
    stream.drain()
    seen = dispatch(admin)
    assert seen[in_shop["asset_id"]]["maintenance_status"] == "in_shop"
    assert seen[awaiting["asset_id"]]["maintenance_status"] is None  # not found yet: no webhook came
    assert seen[old["asset_id"]]["maintenance_status"] is None  # started before the look-back
    send(created["integration_id"], created["webhook_secret"], "repair_order.created", {"id": "RO-2"})
    stream.drain()
    assert dispatch(admin)[awaiting["asset_id"]]["maintenance_status"] == "awaiting_service"
    assert stream.dead_letters == []


def test_a_fleetrock_that_hangs_gets_the_caller_a_422_after_one_short_try(fleetrock, monkeypatch):
    """A request waits: one attempt per call with a short timeout, so the answer (422) comes inside the
    function's timeout, never API Gateway's 5xx. (Scaled down here: 0.3 s timeout, 1 s delay.)"""
    from shared.fleetrock.integration import credentials

    monkeypatch.setattr(credentials, "IN_REQUEST_SECONDS", 0.3)
    admin = sign_up("fleet")
    created = configure(admin, fleetrock)
    fleetrock.set_faults(delay=1.0)
    r = call_api("POST", f"/integrations/{created['integration_id']}/activate", as_user=admin)
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "login_url", r.body
    time.sleep(1.5)  # the stand-in records a call once its delay is over: let every delayed one land
    fleetrock.clear_faults()
    assert [c for c, _ in fleetrock.calls].count("GetToken") == 1  # no retries while the caller waits


def test_a_unit_a_stream_sync_links_during_activation_does_not_fail_it(fleetrock, monkeypatch):
    """Linking reads each asset's sync state, then writes in a transaction: a sync written between the two
    (by the stream) made the whole activation a 500; now the others are linked and it is left alone."""
    from shared.db.keys import org_pk
    from shared.fleetrock.sync import dal as sync_dal
    from shared.fleetrock.sync.models import UnitSyncItem

    admin = sign_up("fleet")
    first, second = create_asset(admin), create_asset(admin)
    for n, asset in enumerate((first, second)):
        fleetrock.put_unit({"unit_number": f"FR-{n}", "vin": asset["vin"]})
    created = configure(admin, fleetrock)
    real_get_sync = sync_dal.get_sync

    def a_sync_lands_after_the_read(org_id, asset_id):
        found = real_get_sync(org_id, asset_id)
        if asset_id == first["asset_id"] and found is None:
            UnitSyncItem(org_pk(org_id), sync_dal.sync_sk(asset_id), org_id=org_id, asset_id=asset_id,
                         integration_id=created["integration_id"], unit_id="from-the-stream", synced_version=1,
                         updated_at=datetime.now(UTC)).save()
        return found

    monkeypatch.setattr(sync_dal, "get_sync", a_sync_lands_after_the_read)
    r = call_api("POST", f"/integrations/{created['integration_id']}/activate", as_user=admin)
    assert r.status == 200, r.body
    assert r.json()["units_linked"] == 1 and r.json()["integration"]["status"] == "active"
    kept = real_get_sync(admin.org_id, first["asset_id"])
    assert kept is not None and kept.unit_id == "from-the-stream"  # left alone
    assert real_get_sync(admin.org_id, second["asset_id"]) is not None


def test_deactivate_then_webhooks_are_410(fleetrock):
    admin = sign_up("fleet")
    integration_id, secret = active_integration(admin, fleetrock)
    r = call_api("POST", f"/integrations/{integration_id}/deactivate", as_user=admin)
    assert r.status == 200 and r.json()["status"] == "inactive"
    assert send(integration_id, secret, "test", {}).status == 410
    r = call_api("POST", f"/integrations/{integration_id}/activate", as_user=admin)
    assert r.status == 200 and send(integration_id, secret, "test", {}).status == 200


def test_rotating_the_secret_shows_the_new_one_once_and_the_old_one_stops(fleetrock):
    admin = sign_up("fleet")
    integration_id, old = active_integration(admin, fleetrock)
    r = call_api("POST", f"/integrations/{integration_id}/webhook-secret", as_user=admin)
    assert r.status == 200
    new = r.json()["webhook_secret"]
    assert new != old
    assert send(integration_id, old, "test", {}).status == 401
    assert send(integration_id, new, "test", {}).status == 200


def test_update_checks_new_credentials_of_an_active_integration(fleetrock):
    admin = sign_up("fleet")
    integration_id, _ = active_integration(admin, fleetrock)
    version = call_api("GET", f"/integrations/{integration_id}", as_user=admin).json()["version"]
    r = call_api("PATCH", f"/integrations/{integration_id}", as_user=admin,
                 json_body={"version": version, "api_key": "wrong-key-123"})
    assert r.status == 422
    r = call_api("PATCH", f"/integrations/{integration_id}", as_user=admin,
                 json_body={"version": version, "default_group": "Yard"})
    assert r.status == 200 and r.json()["default_group"] == "Yard"
    r = call_api("PATCH", f"/integrations/{integration_id}", as_user=admin,
                 json_body={"version": version, "default_group": "Stale"})
    assert r.status == 409


def test_other_fleets_and_roles_cannot_reach_an_integration(fleetrock):
    admin = sign_up("fleet")
    integration_id, _ = active_integration(admin, fleetrock)
    intruder = sign_up("fleet", "Intruder")
    assert call_api("GET", f"/integrations/{integration_id}", as_user=intruder).status == 404
    assert call_api("POST", f"/integrations/{integration_id}/deactivate", as_user=intruder).status == 404
    assert call_api("GET", "/integrations", as_user=intruder).json()["items"] == []
    customer = add_user(admin, "customer")
    assert call_api("GET", f"/integrations/{integration_id}", as_user=customer).status == 403
    assert call_api("GET", "/dispatch/assets", as_user=customer).status == 200


def test_secrets_never_reach_the_logs(fleetrock, stream, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    admin = sign_up("fleet")
    asset = create_asset(admin)
    fleetrock.put_repair_order(repair_order("RO-L", asset["vin"], "In Progress", "2026-01-06 09:00:00"))
    integration_id, secret = active_integration(admin, fleetrock)
    fleetrock.set_faults(fail=3)  # failures and retries log too
    create_asset(admin)
    send(integration_id, secret, "repair_order.updated", {"id": "RO-L"})  # thin: fetched with GetRO
    send(integration_id, "wrong", "test", {})
    stream.drain()
    rotated = call_api("POST", f"/integrations/{integration_id}/webhook-secret", as_user=admin).json()
    logged = caplog.text + capsys.readouterr().out + capsys.readouterr().err
    assert logged, "something was logged: the check means something"
    for value in (FLEETROCK_API_KEY, secret, rotated["webhook_secret"], *fleetrock.tokens):
        assert value not in logged


def test_an_order_stamped_in_the_minute_of_the_read_is_listed_whatever_the_second(fleetrock, monkeypatch):
    """The flake once seen as "activation imported 0 orders": Fleetrock's dates have minute precision and
    a window's end is exclusive, so a read in the first second of a minute missed that minute's orders."""
    from shared.fleetrock.remote import lookup

    admin = sign_up("fleet")
    truck = create_asset(admin)
    read_at = datetime.now(UTC).replace(second=0, microsecond=200_000)  # the first second of a minute
    fleetrock.put_repair_order(repair_order("RO-7", truck["vin"], "In Progress", us_time(read_at),
                                            date_started=us_time(read_at)))
    monkeypatch.setattr(lookup, "utc_now", lambda: read_at)
    created = configure(admin, fleetrock)
    r = call_api("POST", f"/integrations/{created['integration_id']}/activate", as_user=admin)
    assert r.status == 200 and r.json()["repair_orders_imported"] == 1, r.body
