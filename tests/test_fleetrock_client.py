"""Our one client of Fleetrock, against the stand-in over real HTTP: tokens, retries, faults."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from shared.fleetrock.client import FleetrockAuthError, FleetrockClient, FleetrockUnavailable
from tests.conftest import FLEETROCK_API_KEY, FLEETROCK_USERNAME


def client(standin, **kw) -> FleetrockClient:
    return FleetrockClient(standin.url, FLEETROCK_USERNAME, kw.pop("key", FLEETROCK_API_KEY), backoff_seconds=0.01,
                           **kw)


def test_token_then_calls_with_username_and_token(fleetrock):
    fleetrock.put_unit({"unit_number": "A", "vin": "1M8GDM9AXKP042788"})
    fleetrock.put_repair_order({"id": "R1", "vin": "1M8GDM9AXKP042788", "status": "Waiting",
                                "date_created": "2026-02-01 08:00:00"})
    with client(fleetrock) as c:
        assert c.get_token()
        assert [u["unit_number"] for u in c.get_units()] == ["A"]
        assert (c.get_repair_order("R1") or {})["status"] == "Waiting"
        assert c.get_repair_order("nope") is None
        found = c.get_repair_orders(event="created", start=date(2026, 1, 1), end=date(2026, 2, 1))
        assert [o["id"] for o in found] == ["R1"]
        assert c.get_repair_orders(event="created", start=date(2026, 2, 2), end=date(2026, 3, 1)) == []
        added = c.add_unit({"unit_number": "B", "vin": "1FUJGLDR4CL000001"})
        assert c.update_unit({"id": added["id"], "vin": "1FUJGLDR4CL000001", "unit_number": "B2"})["result"]
    assert fleetrock.units[added["id"]]["unit_number"] == "B2"


def test_bad_credentials(fleetrock):
    with client(fleetrock, key="wrong-key") as c, pytest.raises(FleetrockAuthError) as err:
        c.get_token()
    assert "wrong-key" not in str(err.value)


def test_throttling_and_5xx_are_retried_with_backoff_then_given_up(fleetrock):
    fleetrock.set_faults(throttle=2)
    with client(fleetrock) as c:
        assert c.get_units() == []
    fleetrock.set_faults(fail=2, status=502)
    with client(fleetrock) as c:
        assert c.get_units() == []
    fleetrock.set_faults(fail=10)
    with client(fleetrock) as c, pytest.raises(FleetrockUnavailable) as err:
        c.get_units()
    assert FLEETROCK_API_KEY not in str(err.value) and "503" in str(err.value)


def test_add_unit_is_not_resent_after_a_5xx_or_a_lost_answer(fleetrock):
    with client(fleetrock) as c:
        c.get_token()
        fleetrock.set_faults(fail=1)
        with pytest.raises(FleetrockUnavailable):
            c.add_unit({"unit_number": "B", "vin": "1FUJGLDR4CL000001"})
        fleetrock.set_faults(drop=1)  # Fleetrock adds it, the answer is lost
        with pytest.raises(FleetrockUnavailable):
            c.add_unit({"unit_number": "B", "vin": "1FUJGLDR4CL000001"})
    assert len(fleetrock.units_with_vin("1FUJGLDR4CL000001")) == 1


def test_a_slow_fleetrock_times_out(fleetrock):
    fleetrock.set_faults(delay=0.5)
    with client(fleetrock, timeout=httpx.Timeout(0.1)) as c, pytest.raises(FleetrockUnavailable) as err:
        c.get_token()
    assert "ReadTimeout" in str(err.value) and FLEETROCK_API_KEY not in str(err.value)


def test_an_expired_token_is_renewed(fleetrock):
    with client(fleetrock) as c:
        c.get_token()
        fleetrock.tokens.clear()  # tokens expire
        assert c.get_units() == []
    assert [n for n, _ in fleetrock.calls].count("GetToken") == 2
