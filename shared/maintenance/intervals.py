"""Scheduled maintenance as Fleetrock models it: due points from intervals, and Upcoming / Overdue.

Pure functions (no I/O), tested directly. An item has intervals in days, miles and engine hours
(each optional), its last service (a date and meter readings) and is recurring or one-time.

- **Due points**: per dimension, the reference service + the interval (a dimension without an
  interval, or without a reading to count from, has none). `became_due` (Fleetrock's own time the
  item became due) is one more due date: the earliest date wins. A recurring item counts from
  its last service, and a `became_due` on or before that service was answered by it (ignored).
- **One-time** items are due once: they count from their `baseline` (the service they were first
  seen with; the last service when none is kept), or at `became_due`; once a service is recorded
  at or past a due point, the item is done and has no due point any more (it does not recur).
- **Status**: Overdue when today is after the due date or a meter is past its due reading;
  Upcoming when within the fleet's "almost due" thresholds of any due point (from the
  `upcoming_from_*` points: due minus threshold); else none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.maintenance.models import MaintenanceStatus

DEFAULT_DAYS, DEFAULT_MILES, DEFAULT_ENGINE_HOURS = 14, 1000, 50


@dataclass(frozen=True)
class Thresholds:
    """How close to a due point an item is Upcoming ("almost due"): a fleet's setting."""

    days: int = DEFAULT_DAYS
    miles: float = DEFAULT_MILES
    engine_hours: float = DEFAULT_ENGINE_HOURS


@dataclass(frozen=True)
class Intervals:
    """Every how many days / miles / engine hours; None (or 0: Fleetrock's unused interval): no interval."""

    days: int | None = None
    miles: float | None = None
    engine_hours: float | None = None


@dataclass(frozen=True)
class Reading:
    """A service (or the asset now): its date and meter readings, each possibly unknown."""

    day: date | None = None
    miles: float | None = None
    engine_hours: float | None = None


@dataclass(frozen=True)
class DuePoints:
    """When an item is due, and from when it is Upcoming, in each dimension it has."""

    due_date: date | None = None
    due_miles: float | None = None
    due_engine_hours: float | None = None
    upcoming_from_date: date | None = None
    upcoming_from_miles: float | None = None
    upcoming_from_engine_hours: float | None = None


def _plus(start: float | None, interval: float | None) -> float | None:
    return start + interval if start is not None and interval else None


def _raw_due(intervals: Intervals, start: Reading, became_due: date | None) -> Reading:
    """The due date and readings counted from `start`, `became_due` an earlier date when it is one."""
    due_day = start.day + timedelta(days=intervals.days) if start.day is not None and intervals.days else None
    if became_due is not None:
        due_day = min(due_day, became_due) if due_day is not None else became_due
    return Reading(due_day, _plus(start.miles, intervals.miles), _plus(start.engine_hours, intervals.engine_hours))


def _reached(last: Reading, due: Reading) -> bool:
    """A service recorded at or past any due point."""
    if last.day is not None and due.day is not None and last.day >= due.day:
        return True
    return any(s is not None and d is not None and s >= d
               for s, d in ((last.miles, due.miles), (last.engine_hours, due.engine_hours)))


def due_points(intervals: Intervals, last: Reading, *, recurring: bool, thresholds: Thresholds,
               became_due: date | None = None, baseline: Reading | None = None) -> DuePoints | None:
    """The item's due points; None when it has nothing to watch (no interval, or a one-time item done)."""
    if recurring:
        answered = became_due is not None and last.day is not None and became_due <= last.day
        due = _raw_due(intervals, last, None if answered else became_due)
    else:
        due = _raw_due(intervals, baseline or last, became_due)
        if _reached(last, due):
            return None
    if due.day is None and due.miles is None and due.engine_hours is None:
        return None
    return with_thresholds(DuePoints(due.day, due.miles, due.engine_hours), thresholds)


def with_thresholds(points: DuePoints, thresholds: Thresholds) -> DuePoints:
    """The same due points, Upcoming from the given thresholds before each."""
    return DuePoints(
        points.due_date, points.due_miles, points.due_engine_hours,
        points.due_date - timedelta(days=thresholds.days) if points.due_date is not None else None,
        points.due_miles - thresholds.miles if points.due_miles is not None else None,
        points.due_engine_hours - thresholds.engine_hours if points.due_engine_hours is not None else None,
    )


def _past(now: float | None, point: float | None, *, inclusive: bool) -> bool:
    if now is None or point is None:
        return False
    return now >= point if inclusive else now > point


def status_at(points: DuePoints, today: date, odometer_miles: float | None = None,
              engine_hours: float | None = None) -> MaintenanceStatus | None:
    """Overdue past any due point (the day after the due date; a meter beyond its due reading);
    Upcoming from any upcoming-from point on; else None."""
    day = today.toordinal()
    now = ((day, _ordinal(points.due_date), _ordinal(points.upcoming_from_date)),
           (odometer_miles, points.due_miles, points.upcoming_from_miles),
           (engine_hours, points.due_engine_hours, points.upcoming_from_engine_hours))
    if any(_past(value, due, inclusive=False) for value, due, _ in now):
        return MaintenanceStatus.OVERDUE
    if any(_past(value, upcoming, inclusive=True) for value, _, upcoming in now):
        return MaintenanceStatus.UPCOMING
    return None


def _ordinal(day: date | None) -> int | None:
    return day.toordinal() if day is not None else None


@dataclass(frozen=True)
class AsOf:
    """What an item is evaluated against: the day, the asset's meters then (their `day` unused) and the
    fleet's "almost due" thresholds; they travel together from the caller to the status."""

    today: date
    meters: Reading
    thresholds: Thresholds


def evaluate(intervals: Intervals, last: Reading, *, recurring: bool, as_of: AsOf, became_due: date | None = None,
             baseline: Reading | None = None) -> tuple[DuePoints | None, MaintenanceStatus | None]:
    """The item's due points and its status as of `as_of` (today, the asset's meters, the thresholds)."""
    points = due_points(intervals, last, recurring=recurring, thresholds=as_of.thresholds, became_due=became_due,
                        baseline=baseline)
    if points is None:
        return None, None
    return points, status_at(points, as_of.today, as_of.meters.miles, as_of.meters.engine_hours)
