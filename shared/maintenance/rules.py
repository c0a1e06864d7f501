"""Maintenance status rules (fleetrock.md), as pure functions: no I/O, so they are tested directly.

A repair order or a scheduled maintenance item becomes a Cause on its asset; an asset's statuses
are its causes, ordered by priority, and its top status is the first of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from shared.maintenance.intervals import DuePoints, Thresholds, status_at, with_thresholds
from shared.maintenance.models import PRIORITY, Cause, MaintenanceStatus, Meters, StoredCause

EASTERN = ZoneInfo("America/New_York")  # our day: the refresh runs at 05:00 US Eastern (Fleetrock's dates: dates.py)

RO_STATUS: dict[str, MaintenanceStatus | None] = {
    "Not Started": MaintenanceStatus.AWAITING_SERVICE,
    "Waiting": MaintenanceStatus.IN_SHOP,
    "In Progress": MaintenanceStatus.IN_SHOP,
    "Finished": None,
    "Invoiced": None,
    "Paid": None,
    "Deleted": None,
}
OPEN_RO_STATUSES = tuple(s for s, m in RO_STATUS.items() if m is not None)
SM_STATE: dict[str, MaintenanceStatus | None] = {
    "almost_due": MaintenanceStatus.UPCOMING,
    "overdue": MaintenanceStatus.OVERDUE,
    "ok": None,
}


def repair_order_status(ro_status: str) -> MaintenanceStatus | None:
    """The status a repair order gives its asset; None when it is closed. ValueError if unknown."""
    if ro_status not in RO_STATUS:
        raise ValueError(f"unknown repair order status {ro_status!r}")
    return RO_STATUS[ro_status]


def maintenance_state_status(state: str) -> MaintenanceStatus | None:
    if state not in SM_STATE:
        raise ValueError(f"unknown scheduled maintenance state {state!r}")
    return SM_STATE[state]



def parse_date(value: object) -> date | None:
    if value in (None, ""):
        return None
    return date.fromisoformat(str(value)[:10])


def today_eastern(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(EASTERN).date()


def effective(cause: StoredCause, today: date, meters: Meters | None = None) -> Cause | None:
    """The cause as of `today` and the asset's meters; None when it gives no status now.

    An item computed from intervals is evaluated anew from its due points (intervals.py); one of our
    own almost_due items whose due date has passed is Overdue."""
    status = cause.status
    if cause.by_interval:
        points = DuePoints(cause.due_date, cause.due_miles, cause.due_engine_hours, cause.upcoming_from_date,
                           cause.upcoming_from_miles, cause.upcoming_from_engine_hours)
        status = status_at(points, today, meters.odometer_miles if meters else None,
                           meters.engine_hours if meters else None)
    elif status is MaintenanceStatus.UPCOMING and cause.due_date is not None and cause.due_date < today:
        status = MaintenanceStatus.OVERDUE
    if status is None:
        return None
    if isinstance(cause, Cause) and status is cause.status:
        return cause
    return Cause.model_validate({**cause.model_dump(), "status": status})


def with_thresholds_of_fleet(cause: StoredCause, thresholds: Thresholds) -> StoredCause:
    """An interval item's cause, Upcoming from the fleet's (current) thresholds; other causes as they are."""
    if not cause.by_interval:
        return cause
    points = with_thresholds(DuePoints(cause.due_date, cause.due_miles, cause.due_engine_hours), thresholds)
    update = {"upcoming_from_date": points.upcoming_from_date, "upcoming_from_miles": points.upcoming_from_miles,
              "upcoming_from_engine_hours": points.upcoming_from_engine_hours}
    return cause if all(getattr(cause, k) == v for k, v in update.items()) else cause.model_copy(update=update)


def ordered(causes: Iterable[StoredCause], today: date, meters: Meters | None = None) -> list[Cause]:
    """The statuses of an asset, highest priority first (ties: oldest cause first)."""
    current = [c for c in (effective(c, today, meters) for c in causes) if c is not None]
    return sorted(current, key=lambda c: (PRIORITY.index(c.status), c.since, c.source_id))


def top_status(causes: Iterable[StoredCause], today: date, meters: Meters | None = None) -> MaintenanceStatus | None:
    statuses = ordered(causes, today, meters)
    return statuses[0].status if statuses else None
