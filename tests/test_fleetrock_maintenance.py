"""The maintenance status rules, as pure functions (fleetrock.md: Maintenance status)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.fleetrock.remote.dates import FleetrockDateError, parse_time
from shared.maintenance.models import Cause, MaintenanceStatus
from shared.maintenance.rules import (
    maintenance_state_status,
    ordered,
    repair_order_status,
    top_status,
)

S = MaintenanceStatus


@pytest.mark.parametrize(("ro_status", "expected"), [
    ("Not Started", S.AWAITING_SERVICE), ("Waiting", S.IN_SHOP), ("In Progress", S.IN_SHOP),
    ("Finished", None), ("Invoiced", None), ("Paid", None), ("Deleted", None),
])
def test_repair_order_statuses(ro_status, expected):
    assert repair_order_status(ro_status) is expected


def test_maintenance_states_and_unknown_values():
    assert maintenance_state_status("almost_due") is S.UPCOMING
    assert maintenance_state_status("overdue") is S.OVERDUE
    assert maintenance_state_status("ok") is None
    with pytest.raises(ValueError):
        repair_order_status("Teleported")
    with pytest.raises(ValueError):
        maintenance_state_status("soon")


def cause(status: S, source_id: str, due: date | None = None) -> Cause:
    return Cause(status=status, source="x", source_id=source_id, detail="d", due_date=due,
                 since=datetime(2026, 1, 1, tzinfo=UTC))


def test_priority_in_shop_awaiting_overdue_upcoming():
    causes = [cause(S.UPCOMING, "1"), cause(S.OVERDUE, "2"), cause(S.AWAITING_SERVICE, "3"), cause(S.IN_SHOP, "4")]
    today = date(2026, 1, 1)
    assert [c.status for c in ordered(causes, today)] == [S.IN_SHOP, S.AWAITING_SERVICE, S.OVERDUE, S.UPCOMING]
    assert top_status(causes[:3], today) is S.AWAITING_SERVICE
    assert top_status([], today) is None


def test_a_passed_due_date_turns_upcoming_into_overdue():
    upcoming = cause(S.UPCOMING, "1", due=date(2026, 3, 1))
    assert top_status([upcoming], date(2026, 3, 1)) is S.UPCOMING
    assert top_status([upcoming], date(2026, 3, 2)) is S.OVERDUE


@pytest.mark.parametrize(("raw", "zone", "expected"), [
    ("2026-07-01 08:00:00", None, datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),  # no zone: the integration's (UTC)
    ("2026-07-01 08:00:00", "America/New_York", datetime(2026, 7, 1, 12, 0, tzinfo=UTC)),  # EDT
    ("2026-01-01 08:00:00", "America/New_York", datetime(2026, 1, 1, 13, 0, tzinfo=UTC)),  # EST
    ("2026-01-01T08:00:00Z", "America/New_York", datetime(2026, 1, 1, 8, 0, tzinfo=UTC)),  # a zone wins
    ("7/4/2026 3:05:09 PM", None, datetime(2026, 7, 4, 15, 5, 9, tzinfo=UTC)),  # US, as a public client reads
    ("07/04/2026 12:30 AM", None, datetime(2026, 7, 4, 0, 30, tzinfo=UTC)),
    ("12/31/2026 12:00 PM", "America/Chicago", datetime(2026, 12, 31, 18, 0, tzinfo=UTC)),
    ("01/02/2026", None, datetime(2026, 1, 2, tzinfo=UTC)),
    (None, None, None), ("  ", None, None),
])
def test_fleetrock_dates_iso_or_us_read_in_the_integrations_zone(raw, zone, expected):
    assert parse_time(raw, zone) == expected


@pytest.mark.parametrize("raw", ["13/01/2026", "02/30/2026 10:00", "1/2/2026 13:00 PM", "next Tuesday",
                                 "0001-01-01T00:00:00+00:01", "2026-13-01"])
def test_a_date_we_cannot_read_raises_with_the_raw_value(raw):
    with pytest.raises(FleetrockDateError) as err:
        parse_time(raw, None, field="date_started")
    assert err.value.raw == raw and "date_started" in str(err.value)
