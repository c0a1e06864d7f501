"""Stream work: a scheduled maintenance item (only webhooks carry them) becomes a cause on its asset.

Two shapes are applied:
- **Fleetrock's** (it has `status`: Scheduled | Repair Order | Deleted; contract.SM_FIELDS): a
  Scheduled item with due points (shared/maintenance/intervals.py) is a cause whose status today's date and the
  asset's meters decide (maintenance.effective), with the fleet's "almost due" thresholds; in
  status Repair Order it counts through that order (no cause of its own); Deleted, it is removed.
  Newest wins by the item's own dates: a body whose last service is older than the one we hold,
  or as old and not sent later, changes nothing, so a replay cannot regress it.
- **Ours** (`state`: almost_due | overdue | ok, with a `due_date`), as before: newest by `as_of`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.fleetrock.inbox import sources_dal
from shared.fleetrock.inbox.causes import (
    RACE_ATTEMPTS,
    InvalidEvent,
    attach_if_claimed,
    commit,
    match_asset,
    normalize_vin,
    text,
)
from shared.fleetrock.inbox.models import ScheduledMaintenanceItem
from shared.fleetrock.integration.models import (
    DEFAULT_ALMOST_DUE_DAYS,
    DEFAULT_ALMOST_DUE_ENGINE_HOURS,
    DEFAULT_ALMOST_DUE_MILES,
    IntegrationItem,
)
from shared.fleetrock.remote.contract import SM_FIELD_ALIASES, SM_NO_ORDER, SM_STATUSES
from shared.fleetrock.remote.dates import parse_day
from shared.maintenance.public import (
    Cause,
    Intervals,
    Reading,
    StoredCause,
    Thresholds,
    due_points,
    maintenance_state_status,
    parse_date,
)

SOURCE = "scheduled_maintenance"
TRUE, FALSE = ("true", "1", "yes", "y", "recurring"), ("false", "0", "no", "n", "one-time", "one time", "onetime")


def thresholds_of(integration: IntegrationItem) -> Thresholds:
    """The fleet's "almost due" thresholds (the defaults where it set none)."""
    def pick(value: float | None, default: int) -> int:
        return int(value) if value is not None else default
    return Thresholds(pick(integration.almost_due_days, DEFAULT_ALMOST_DUE_DAYS),
                      pick(integration.almost_due_miles, DEFAULT_ALMOST_DUE_MILES),
                      pick(integration.almost_due_engine_hours, DEFAULT_ALMOST_DUE_ENGINE_HOURS))


def apply_maintenance_item(integration: IntegrationItem, entry: dict[str, Any], *, as_of: datetime) -> bool:
    """Record the item unless we hold a newer state of it; True when something changed."""
    if "state" in entry and "status" not in entry:
        return _apply_state(integration, entry, as_of)
    return _apply_fleetrock_item(integration, fleetrock_fields(entry), as_of)


def fleetrock_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """The item with a pipeline's column names read as ours (contract.SM_FIELD_ALIASES); without a status
    (the pipeline has none), Repair Order when it names an order, else Scheduled."""
    fields = {SM_FIELD_ALIASES.get(k, k): v for k, v in entry.items() if SM_FIELD_ALIASES.get(k, k) not in entry
              or k not in SM_FIELD_ALIASES}
    if str(fields.get("ro_number") if fields.get("ro_number") is not None else "").strip() in SM_NO_ORDER:
        fields.pop("ro_number", None)
    if not str(fields.get("status") or "").strip():
        fields["status"] = "Repair Order" if fields.get("ro_number") else "Scheduled"
    return fields


def _apply_state(integration: IntegrationItem, entry: dict[str, Any], as_of: datetime) -> bool:
    """Our own shape: `state` almost_due | overdue | ok and a `due_date`."""
    sm_id, state = str(entry["id"]), str(entry.get("state") or "")
    try:
        status = maintenance_state_status(state)
        due_date = parse_date(entry.get("due_date"))
    except ValueError as exc:
        raise InvalidEvent(str(exc)) from None

    def build(item: ScheduledMaintenanceItem) -> StoredCause | None:
        item.state = state
        if status is None:
            return None
        return Cause(status=status, source=SOURCE, source_id=sm_id,
                     detail=text(entry.get("service")) or "scheduled maintenance",
                     unit_number=text(entry.get("unit_number")), due_date=due_date, since=as_of)

    return _record(integration, entry, as_of, lambda stored: stored.as_of < as_of, build)


@dataclass(frozen=True)
class FleetrockItem:
    """A scheduled maintenance item as Fleetrock's fields say (contract.SM_FIELDS), read and checked."""

    status: str
    recurring: bool
    intervals: Intervals
    last: Reading
    became_due: date | None
    ro_number: str | None


def read_item(entry: dict[str, Any], time_zone: str | None) -> FleetrockItem:
    """InvalidEvent naming the field and its raw value for anything we cannot read."""
    raw_status = str(entry.get("status") or "").strip()
    status = next((s for s in SM_STATUSES if s.lower() == raw_status.lower()), None)
    if status is None:
        raise InvalidEvent(f"status: unknown scheduled maintenance status {raw_status[:40]!r} "
                           f"(known: {', '.join(SM_STATUSES)})")
    try:
        last_day = parse_day(entry.get("last_service_date"), time_zone, field="last_service_date")
        became_due = parse_day(entry.get("became_due_datetime"), time_zone, field="became_due_datetime")
    except ValueError as exc:  # FleetrockDateError names the field and the raw value
        raise InvalidEvent(str(exc)) from None
    days = _number(entry, "interval_days")
    return FleetrockItem(
        status=status, recurring=_flag(entry, "recurring"),
        intervals=Intervals(int(days) if days else None, _number(entry, "interval_miles"),
                            _number(entry, "interval_engine_hours")),
        last=Reading(last_day, _number(entry, "last_service_miles"), _number(entry, "last_service_engine_hours")),
        became_due=became_due, ro_number=text(entry.get("ro_number")))


def _number(entry: dict[str, Any], field: str) -> float | None:
    raw = entry.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise InvalidEvent(f"{field}: not a number: {raw!r}")
    try:
        value = float(str(raw).replace(",", "").strip())
    except ValueError:
        raise InvalidEvent(f"{field}: not a number: {str(raw)[:40]!r}") from None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise InvalidEvent(f"{field}: not a reading or interval: {str(raw)[:40]!r}")
    return value


def _flag(entry: dict[str, Any], field: str) -> bool:
    """`recurring`: a boolean or its usual spellings; missing means recurring (most items are)."""
    raw = entry.get(field)
    if raw is None or isinstance(raw, bool):
        return raw is not False
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if str(raw).strip().lower() in TRUE:
        return True
    if str(raw).strip().lower() in FALSE:
        return False
    raise InvalidEvent(f"{field}: not true or false: {str(raw)[:40]!r}")


def _baseline(stored: ScheduledMaintenanceItem | None) -> Reading | None:
    held = stored.baseline if stored is not None else None
    if not held:
        return None
    day = held.get("day")
    return Reading(date.fromisoformat(day) if day else None, held.get("miles"), held.get("engine_hours"))


def _apply_fleetrock_item(integration: IntegrationItem, entry: dict[str, Any], as_of: datetime) -> bool:
    sm_id, found = str(entry["id"]), read_item(entry, integration.time_zone)
    thresholds = thresholds_of(integration)

    def newer(stored: ScheduledMaintenanceItem) -> bool:
        """The item's own last service first, then the time the body was sent (or received)."""
        held = date.fromisoformat(stored.last_service_date) if stored.last_service_date else None
        if found.last.day is not None and held is not None and found.last.day != held:
            return found.last.day > held
        return as_of > stored.as_of

    def build(item: ScheduledMaintenanceItem) -> StoredCause | None:
        baseline = None if found.recurring else (_baseline(item) or found.last)
        item.state, item.ro_number = found.status, found.ro_number
        item.last_service_date = found.last.day.isoformat() if found.last.day else None
        item.baseline = None if baseline is None else {
            "day": baseline.day.isoformat() if baseline.day else None, "miles": baseline.miles,
            "engine_hours": baseline.engine_hours}
        if found.status != "Scheduled":  # Repair Order: the order is the cause; Deleted: no cause
            return None
        points = due_points(found.intervals, found.last, recurring=found.recurring, thresholds=thresholds,
                            became_due=found.became_due, baseline=baseline)
        if points is None:
            return None  # nothing to watch: no interval, or a one-time item done
        # no status of its own: maintenance.effective evaluates it from its points, today and the meters
        return StoredCause(source=SOURCE, source_id=sm_id, detail=text(entry.get("service")) or "scheduled maintenance",
                           unit_number=text(entry.get("unit_number")), since=as_of, due_date=points.due_date,
                           due_miles=points.due_miles, due_engine_hours=points.due_engine_hours,
                           upcoming_from_date=points.upcoming_from_date,
                           upcoming_from_miles=points.upcoming_from_miles,
                           upcoming_from_engine_hours=points.upcoming_from_engine_hours)

    return _record(integration, entry, as_of, newer, build)


def _record(integration: IntegrationItem, entry: dict[str, Any], as_of: datetime,
            newer: Callable[[ScheduledMaintenanceItem], bool],
            build: Callable[[ScheduledMaintenanceItem], StoredCause | None]) -> bool:
    """Store the item and its cause (`build` sets the item's own fields) unless the one held is newer."""
    sm_id = str(entry["id"])
    for _ in range(RACE_ATTEMPTS):
        stored = sources_dal.get_maintenance_item(integration.integration_id, sm_id)
        if stored is not None and not newer(stored):
            return False
        vin = normalize_vin(entry.get("vin"))
        asset_id = match_asset(integration.org_id, vin)
        item = stored or ScheduledMaintenanceItem(sources_dal.sm_partition(integration.integration_id), sm_id,
                                                  integration_id=integration.integration_id,
                                                  org_id=integration.org_id, maintenance_id=sm_id)
        previous_asset, waited = item.asset_id, sources_dal.waiting_key(item)
        item.vin, item.as_of, item.asset_id = vin, as_of, asset_id
        cause = build(item)
        sources_dal.index_waiting(item, cause)
        if commit(integration.org_id, item, cause, previous_asset, asset_id, waited):
            attach_if_claimed(integration.org_id, item)
            return True
    raise RuntimeError(f"maintenance item {sm_id}: lost {RACE_ATTEMPTS} races in a row")
