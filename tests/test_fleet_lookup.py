"""Fleet lookup by VIN (GET /fleets/lookup): vendors find the fleets running a VIN; rate-limited, audited."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from shared.errors import TooManyRequests
from shared.ratelimit import limiter
from shared.ratelimit.models import RateCounterItem
from shared.search.logic import LOOKUP_WINDOW_SECONDS
from shared.settings import get_settings
from tests.conftest import ApiResponse, call_api
from tests.factories import Caller, add_user, create_asset, make_vin, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")


def lookup(caller: Caller, vin: str) -> ApiResponse:
    return call_api("GET", "/fleets/lookup", as_user=caller, query={"vin": vin})


@pytest.fixture
def vendor() -> Caller:
    return sign_up("vendor", "Lookup Shop")


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """FLEET_LOOKUPS_PER_MINUTE=3 for this test (the settings are cached: cleared here and afterwards)."""
    monkeypatch.setenv("FLEET_LOOKUPS_PER_MINUTE", "3")
    get_settings.cache_clear()
    assert get_settings().fleet_lookups_per_minute == 3
    yield 3
    monkeypatch.delenv("FLEET_LOOKUPS_PER_MINUTE")
    get_settings.cache_clear()


def wait_for_a_fresh_window(needed_seconds: float = 10) -> None:
    """Start in a window with room for the whole test, so no window boundary falls in the middle of it."""
    left = LOOKUP_WINDOW_SECONDS - time.time() % LOOKUP_WINDOW_SECONDS
    if left < needed_seconds:
        time.sleep(left + 0.05)


def test_finds_the_fleets_with_an_active_asset_and_says_nothing_else(vendor):
    vin = make_vin()
    alpha, bravo = sign_up("fleet", "Alpha Freight"), sign_up("fleet", "Bravo Haulage")
    create_asset(alpha, vin=vin, license_number="SECRET1")
    create_asset(bravo, vin=vin, status="in_shop")
    gone = sign_up("fleet", "Charlie Gone")
    retired = create_asset(gone, vin=vin)
    assert call_api("DELETE", f"/assets/{retired['asset_id']}", as_user=gone).status == 204
    create_asset(sign_up("fleet", "Delta Other"))  # another VIN

    r = lookup(vendor, vin.lower())  # VINs are matched in upper case
    assert r.status == 200, r.body
    assert r.json() == [{"org_id": alpha.org_id, "name": "Alpha Freight"},
                        {"org_id": bravo.org_id, "name": "Bravo Haulage"}]
    for secret in ("SECRET1", "asset", "in_shop", "address", "contact", retired["asset_id"]):
        assert secret not in r.body

    # the deactivated asset comes back: so does its fleet
    r = call_api("POST", "/assets", as_user=gone, json_body={"unit_number": "Back", "kind": "truck", "vin": vin})
    assert r.status == 200, r.body
    assert {m["org_id"] for m in lookup(vendor, vin).json()} == {alpha.org_id, bravo.org_id, gone.org_id}


def test_a_vin_nobody_runs_finds_nothing(vendor):
    fleet = sign_up("fleet", "Echo Fleet")
    asset = create_asset(fleet)
    call_api("DELETE", f"/assets/{asset['asset_id']}", as_user=fleet)
    assert lookup(vendor, asset["vin"]).json() == []
    assert lookup(vendor, make_vin()).json() == []


@pytest.mark.parametrize(("vin", "message"), [("1M8GDM9AXKP04278", "17 characters"),
                                              ("1M8GDM9AXKP04278Q", "I, O or Q"),
                                              ("1M8GDM9A1KP042788", "check digit")])
def test_bad_vin_is_422_naming_it(vendor, vin, message):
    r = lookup(vendor, vin)
    assert r.status == 422
    detail = r.json()["error"]["details"][0]
    assert detail["field"] == "vin" and message in detail["message"]


def test_missing_vin_is_422_naming_it(vendor):
    r = call_api("GET", "/fleets/lookup", as_user=vendor)
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "vin"


def test_fleet_roles_may_not_look_up(vendor):
    fleet = sign_up("fleet", "Foxtrot Fleet")
    for caller in (fleet, add_user(fleet, "customer"), add_user(fleet, "manager")):
        r = lookup(caller, make_vin())
        assert r.status == 403 and r.error_code == "forbidden"
        assert call_api("GET", "/fleets/lookup", as_user=caller).status == 403
    assert lookup(add_user(vendor, "vendor"), make_vin()).status == 200
    assert call_api("GET", "/fleets/lookup", query={"vin": make_vin()}).status == 401


def test_every_lookup_is_audited_in_the_vendors_trail(vendor):
    vin = make_vin()
    fleet = sign_up("fleet", "Golf Fleet")
    create_asset(fleet, vin=vin)
    employee = add_user(vendor, "vendor")
    assert len(lookup(employee, vin).json()) == 1
    nobody = make_vin()
    assert lookup(vendor, nobody).json() == []
    assert lookup(vendor, "1M8GDM9A1KP042788").status == 422  # refused before any lookup: not audited

    events = call_api("GET", "/audit", as_user=vendor).json()["items"]
    lookups = [e for e in events if e["action"] == "fleet.lookup_by_vin"]
    assert [(e["actor_id"], e["target_id"], e["after"]) for e in lookups] == [
        (vendor.user_id, nobody, {"vin": nobody, "fleets_matched": 0}),
        (employee.user_id, vin, {"vin": vin, "fleets_matched": 1}),
    ]
    fleet_events = call_api("GET", "/audit", as_user=fleet).json()["items"]
    assert not [e for e in fleet_events if e["action"] == "fleet.lookup_by_vin"]


def test_over_the_limit_is_429_with_retry_after(vendor, small_limit):
    wait_for_a_fresh_window()
    colleague = add_user(vendor, "vendor")
    for caller in (vendor, colleague, vendor):  # the limit is per vendor organization, not per user
        assert lookup(caller, make_vin()).status == 200
    r = lookup(colleague, make_vin())
    assert r.status == 429, r.body
    assert r.error_code == "too_many_requests"
    retry_after = int(r.headers["Retry-After"])
    left = LOOKUP_WINDOW_SECONDS - time.time() % LOOKUP_WINDOW_SECONDS
    assert 1 <= retry_after <= LOOKUP_WINDOW_SECONDS and abs(retry_after - left) <= 2
    assert lookup(sign_up("vendor", "Another Shop"), make_vin()).status == 200  # other organizations go on
    events = call_api("GET", "/audit", as_user=vendor).json()["items"]
    assert len([e for e in events if e["action"] == "fleet.lookup_by_vin"]) == small_limit  # refused: not audited


def test_the_limiter_counts_per_fixed_window_and_expires_its_counters():
    start = 1_800_000_000.0  # a window boundary (a multiple of 60)
    for n in range(1, 4):
        assert limiter.hit("test", "org_a", limit=3, window_seconds=60, now=start + n) == n
    with pytest.raises(TooManyRequests) as refused:
        limiter.hit("test", "org_a", limit=3, window_seconds=60, now=start + 45.5)
    assert refused.value.retry_after_seconds == 15 and refused.value.status == 429
    with pytest.raises(TooManyRequests) as refused:
        limiter.hit("test", "org_a", limit=3, window_seconds=60, now=start + 59.9)
    assert refused.value.retry_after_seconds == 1  # never 0
    assert limiter.hit("test", "org_b", limit=3, window_seconds=60, now=start + 50) == 1
    assert limiter.hit("test", "org_a", limit=3, window_seconds=60, now=start + 60) == 1  # a new window
    counter = RateCounterItem.get(limiter.counter_pk("test", "org_a"), str(int(start)), consistent_read=True)
    assert counter.hits == 3  # refused calls are not counted
    assert counter.expires_at_epoch == start + 60 + limiter.EXPIRY_GRACE_SECONDS  # TTL: gone after its window


def test_concurrent_lookups_never_pass_the_limit():
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> bool:
        try:
            limiter.hit("race", "org_r", limit=5, window_seconds=3600, now=1_800_000_000.0)
        except TooManyRequests:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        passed = sum(pool.map(attempt, range(20)))
    assert passed == 5
