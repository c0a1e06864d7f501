"""Our one client of Fleetrock, against the stand-in over real HTTP: tokens, retries, faults."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from shared.fleetrock.remote.client import (
    FleetrockAuthError,
    FleetrockClient,
    FleetrockRefused,
    FleetrockUnavailable,
    _list,
)
from tests.conftest import FLEETROCK_API_KEY, FLEETROCK_USERNAME


def client(standin, **kw) -> FleetrockClient:
    return FleetrockClient(standin.url, FLEETROCK_USERNAME, kw.pop("key", FLEETROCK_API_KEY), backoff_seconds=0.01,
                           **kw)


def test_token_then_calls_with_username_and_token(fleetrock):
    fleetrock.put_unit({"unit_number": "A", "vin": "1M8GDM9AXKP042788"})
    fleetrock.put_repair_order({"id": "R1", "vin": "1M8GDM9AXKP042788", "status": "Waiting",
                                "date_started": "02/01/2026 08:00 AM"})
    with client(fleetrock) as c:
        assert c.get_token()
        assert [u["unit_number"] for u in c.get_units()] == ["A"]
        assert (c.get_repair_order("R1") or {})["status"] == "Waiting"
        assert c.get_repair_order("nope") is None
        found = c.get_repair_orders(event="started", start=at(2026, 1, 1), end=at(2026, 2, 2))
        assert [o["id"] for o in found] == ["R1"]
        assert c.get_repair_orders(event="started", start=at(2026, 2, 2), end=at(2026, 3, 1)) == []
        added = c.add_unit({"unit_number": "B", "vin": "1FUJGLDR4CL000001"})
        assert c.update_unit({"id": added["id"], "vin": "1FUJGLDR4CL000001", "unit_number": "B2"})["result"]
    assert fleetrock.units[added["id"]]["unit_number"] == "B2"


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def test_a_year_of_getro_is_walked_one_calendar_month_per_call_merged_by_id(fleetrock):
    for month in range(1, 13):
        fleetrock.put_repair_order({"id": f"R{month}", "status": "Finished",
                                    "date_finished": f"{month:02d}/15/2025 03:30 PM"})
    fleetrock.put_repair_order({"id": "R-edge", "status": "Finished", "date_finished": "12/31/2025 11:59 PM"})
    with client(fleetrock) as c:
        found = c.get_repair_orders(event="finished", start=at(2025, 1, 1), end=at(2026, 1, 1))
        assert sorted(o["id"] for o in found) == sorted([f"R{m}" for m in range(1, 13)] + ["R-edge"])
        windows = [p for call, p in fleetrock.calls if call == "GetRO"]
        assert len(windows) == 12 and {p["event"] for p in windows} == {"finished"}
        assert [(p["start"], p["end"]) for p in windows][:2] == [
            ("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"), ("2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z")]
        answer = c._call("GET", "GetRO", {"event": "finished", "start": "2025-01-01T00:00:00Z",
                                          "end": "2025-03-01T00:00:00Z"})  # refused in a 2xx, as S3 reads it
        with pytest.raises(FleetrockRefused, match="1 month"):
            _list(answer, "repair_orders")
        with pytest.raises(FleetrockRefused):
            c.get_repair_orders(event="created", start=at(2025, 1, 1), end=at(2025, 2, 1))
        with pytest.raises(ValueError):
            c.get_repair_orders(event="updated", start=at(2025, 1, 1), end=at(2025, 2, 1))


def test_an_account_with_api_tokens_off_uses_the_key_as_the_token(fleetrock):
    fleetrock.tokens_served = False  # as several public clients call it: token=<API key>, no GetToken
    fleetrock.put_unit({"unit_number": "A", "vin": "1M8GDM9AXKP042788"})
    with client(fleetrock) as c:
        assert c.get_token() == FLEETROCK_API_KEY
        assert [u["unit_number"] for u in c.get_units()] == ["A"]
    with client(fleetrock, key="wrong-key") as c, pytest.raises(FleetrockAuthError):
        c.get_token()


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
