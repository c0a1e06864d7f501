"""Scheduled maintenance intervals as pure rules (shared/maintenance/intervals.py): no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.maintenance.intervals import (
    AsOf,
    DuePoints,
    Intervals,
    Reading,
    Thresholds,
    due_points,
    evaluate,
    status_at,
    with_thresholds,
)
from shared.maintenance.models import MaintenanceStatus, Meters, StoredCause
from shared.maintenance.rules import effective, ordered, with_thresholds_of_fleet

S = MaintenanceStatus
DEFAULTS = Thresholds()
JAN1 = date(2026, 1, 1)
LAST = Reading(JAN1, 100_000, 5_000)


def status(intervals: Intervals, today: date, miles: float | None = None, hours: float | None = None, *,
           last: Reading = LAST, recurring: bool = True, became_due: date | None = None,
           baseline: Reading | None = None, thresholds: Thresholds = DEFAULTS) -> S | None:
    _, found = evaluate(intervals, last, recurring=recurring,
                        as_of=AsOf(today, Reading(None, miles, hours), thresholds), became_due=became_due,
                        baseline=baseline)
    return found


def test_the_defaults_are_14_days_1000_miles_50_engine_hours():
    assert (DEFAULTS.days, DEFAULTS.miles, DEFAULTS.engine_hours) == (14, 1000, 50)


@pytest.mark.parametrize(("today", "expected"), [
    (JAN1, None),
    (date(2026, 3, 17), None),  # 15 days before the due date
    (date(2026, 3, 18), S.UPCOMING),  # 14 days before: almost due
    (date(2026, 4, 1), S.UPCOMING),  # the due date itself is not past it
    (date(2026, 4, 2), S.OVERDUE),
    (date(2027, 1, 1), S.OVERDUE),
])
def test_days(today, expected):
    assert status(Intervals(days=90), today) is expected


@pytest.mark.parametrize(("odometer", "expected"), [
    (None, None), (100_000, None), (123_999, None), (124_000, S.UPCOMING), (125_000, S.UPCOMING),
    (125_000.5, S.OVERDUE), (200_000, S.OVERDUE),
])
def test_miles(odometer, expected):
    assert status(Intervals(miles=25_000), JAN1, odometer) is expected


@pytest.mark.parametrize(("hours", "expected"), [
    (None, None), (5_449, None), (5_450, S.UPCOMING), (5_500, S.UPCOMING), (5_501, S.OVERDUE),
])
def test_engine_hours(hours, expected):
    assert status(Intervals(engine_hours=500), JAN1, hours=hours) is expected


def test_the_first_dimension_to_come_decides_and_overdue_beats_upcoming():
    both = Intervals(days=365, miles=25_000, engine_hours=500)
    assert status(both, JAN1, 110_000, 5_100) is None
    assert status(both, JAN1, 124_500, 5_100) is S.UPCOMING  # miles almost due, days far off
    assert status(both, date(2026, 12, 20), 110_000, 5_100) is S.UPCOMING  # the days now
    assert status(both, date(2026, 12, 20), 110_000, 5_600) is S.OVERDUE  # hours past, days only almost
    assert status(both, date(2027, 1, 2), None, None) is S.OVERDUE  # no meters known: days alone


def test_the_points_count_from_the_last_service():
    points = due_points(Intervals(days=30, miles=10_000, engine_hours=250), LAST, recurring=True,
                        thresholds=DEFAULTS)
    assert points == DuePoints(date(2026, 1, 31), 110_000, 5_250, date(2026, 1, 17), 109_000, 5_200)


def test_a_dimension_without_an_interval_or_a_reading_has_no_point():
    assert due_points(Intervals(), LAST, recurring=True, thresholds=DEFAULTS) is None
    assert due_points(Intervals(days=0, miles=0, engine_hours=0), LAST, recurring=True, thresholds=DEFAULTS) is None
    no_meters = Reading(JAN1, None, None)
    points = due_points(Intervals(days=30, miles=10_000), no_meters, recurring=True, thresholds=DEFAULTS)
    assert points is not None and (points.due_date, points.due_miles) == (date(2026, 1, 31), None)
    assert due_points(Intervals(days=30), Reading(None, 1, 1), recurring=True, thresholds=DEFAULTS) is None


def test_thresholds_are_the_fleets():
    tight = Thresholds(days=3, miles=100, engine_hours=5)
    assert status(Intervals(days=90), date(2026, 3, 25), thresholds=tight) is None
    assert status(Intervals(days=90), date(2026, 3, 29), thresholds=tight) is S.UPCOMING
    assert status(Intervals(miles=25_000), JAN1, 124_500, thresholds=tight) is None
    assert status(Intervals(engine_hours=500), JAN1, hours=5_496, thresholds=tight) is S.UPCOMING
    zero = Thresholds(0, 0, 0)
    assert status(Intervals(days=90), date(2026, 3, 31), thresholds=zero) is None
    assert status(Intervals(days=90), date(2026, 4, 1), thresholds=zero) is S.UPCOMING  # on the due day
    wide = with_thresholds(DuePoints(due_date=date(2026, 4, 1), due_miles=125_000), Thresholds(30, 5_000, 50))
    assert (wide.upcoming_from_date, wide.upcoming_from_miles) == (date(2026, 3, 2), 120_000)


def test_became_due_is_an_earlier_due_date_until_a_service_answers_it():
    assert status(Intervals(days=365), date(2026, 2, 1), became_due=date(2026, 1, 20)) is S.OVERDUE
    assert status(Intervals(days=365), date(2026, 1, 10), became_due=date(2026, 1, 20)) is S.UPCOMING
    # a later interval date does not move it: the earliest wins
    assert status(Intervals(days=5), date(2026, 1, 7), became_due=date(2026, 1, 20)) is S.OVERDUE
    # serviced on or after it became due: answered, the interval counts from that service
    serviced = Reading(date(2026, 1, 25), 100_000, 5_000)
    assert status(Intervals(days=365), date(2026, 2, 1), last=serviced, became_due=date(2026, 1, 20)) is None
    # became_due alone (no interval) is a due date too
    assert status(Intervals(), date(2026, 2, 1), became_due=date(2026, 1, 20)) is S.OVERDUE


def test_a_one_time_item_is_due_once_and_done_after_its_service():
    once = Intervals(miles=25_000)
    assert status(once, JAN1, 124_200, recurring=False) is S.UPCOMING
    assert status(once, JAN1, 126_000, recurring=False) is S.OVERDUE
    # serviced at 126,000: still counted from where it was first seen, so it is done, not due again
    done = Reading(date(2026, 3, 1), 126_000, 5_100)
    assert due_points(once, done, recurring=False, thresholds=DEFAULTS, baseline=LAST) is None
    assert status(once, JAN1, 150_000, last=done, recurring=False, baseline=LAST) is None
    # the same service of a recurring item: next due 25,000 miles later
    assert status(once, JAN1, 150_500, last=done, recurring=True, baseline=LAST) is S.UPCOMING


def test_a_one_time_item_due_at_became_due():
    item = Intervals()
    assert status(item, date(2026, 5, 1), recurring=False, became_due=date(2026, 5, 10)) is S.UPCOMING
    assert status(item, date(2026, 5, 11), recurring=False, became_due=date(2026, 5, 10)) is S.OVERDUE
    serviced = Reading(date(2026, 5, 12), None, None)
    assert status(item, date(2026, 6, 1), last=serviced, recurring=False, became_due=date(2026, 5, 10)) is None
    # as a recurring item with no interval the answered became_due leaves nothing to watch
    assert status(item, date(2026, 6, 1), last=serviced, recurring=True, became_due=date(2026, 5, 10)) is None


def test_status_at_a_point_without_meters_or_dates():
    assert status_at(DuePoints(), JAN1, 1e9, 1e9) is None
    miles_only = DuePoints(due_miles=10, upcoming_from_miles=5)
    assert status_at(miles_only, JAN1) is None and status_at(miles_only, JAN1, 5) is S.UPCOMING


# -- the same rules as stored causes re-evaluate them (maintenance.effective) ------------------------
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def interval_cause(source_id: str = "SM-1", **points: object) -> StoredCause:
    return StoredCause.model_validate({"source": "scheduled_maintenance", "source_id": source_id, "detail": "PM A",
                                       "since": SINCE, **points})


def test_a_stored_interval_cause_is_evaluated_from_today_and_the_meters():
    cause = interval_cause(due_miles=125_000, upcoming_from_miles=124_000, due_date=date(2026, 6, 1),
                           upcoming_from_date=date(2026, 5, 18))
    assert cause.by_interval and cause.status is None
    assert effective(cause, JAN1) is None
    assert effective(cause, JAN1, Meters(odometer_miles=110_000, at=SINCE)) is None
    upcoming = effective(cause, JAN1, Meters(odometer_miles=124_100, at=SINCE))
    assert upcoming is not None and upcoming.status is S.UPCOMING and upcoming.due_miles == 125_000
    over = effective(cause, JAN1, Meters(odometer_miles=125_001, at=SINCE))
    assert over is not None and over.status is S.OVERDUE
    by_date = effective(cause, date(2026, 6, 2), Meters(engine_hours=1, at=SINCE))
    assert by_date is not None and by_date.status is S.OVERDUE


def test_old_causes_keep_their_rules_and_ordering_skips_what_is_not_due():
    old = StoredCause.model_validate({"status": "upcoming", "source": "scheduled_maintenance", "source_id": "SM-0",
                                      "detail": "DOT", "due_date": "2026-01-05", "since": SINCE.isoformat()})
    assert not old.by_interval
    later = effective(old, date(2026, 1, 6))
    assert later is not None and later.status is S.OVERDUE
    quiet = interval_cause("SM-2", due_miles=125_000, upcoming_from_miles=124_000)
    due = interval_cause("SM-3", due_engine_hours=500, upcoming_from_engine_hours=450)
    statuses = ordered([quiet, old, due], date(2026, 1, 2), Meters(odometer_miles=1, engine_hours=501, at=SINCE))
    assert [(c.source_id, c.status) for c in statuses] == [("SM-3", S.OVERDUE), ("SM-0", S.UPCOMING)]


def test_new_thresholds_move_the_upcoming_from_points_of_interval_causes_only():
    cause = interval_cause(due_date=date(2026, 6, 1), upcoming_from_date=date(2026, 5, 18), due_miles=125_000,
                           upcoming_from_miles=124_000)
    renewed = with_thresholds_of_fleet(cause, Thresholds(30, 2_000, 50))
    assert (renewed.upcoming_from_date, renewed.upcoming_from_miles) == (date(2026, 5, 2), 123_000)
    assert with_thresholds_of_fleet(cause, DEFAULTS) is cause
    old = StoredCause(status=S.UPCOMING, source="x", source_id="1", detail="d", due_date=JAN1, since=SINCE)
    assert with_thresholds_of_fleet(old, Thresholds(30, 1, 1)) is old
    assert date(2026, 6, 1) - renewed.upcoming_from_date == timedelta(days=30)  # type: ignore[operator]
