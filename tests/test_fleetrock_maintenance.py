"""The maintenance status rules, as pure functions (fleetrock.md: Maintenance status)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.fleetrock.maintenance import (
    maintenance_state_status,
    ordered,
    parse_time,
    repair_order_status,
    top_status,
)
from shared.fleetrock.models import Cause, MaintenanceStatus

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


def test_fleetrock_times_without_a_zone_are_us_eastern():
    assert parse_time("2026-07-01 08:00:00") == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # EDT
    assert parse_time("2026-01-01 08:00:00") == datetime(2026, 1, 1, 13, 0, tzinfo=UTC)  # EST
    assert parse_time("2026-01-01T08:00:00Z") == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    assert parse_time(None) is None
