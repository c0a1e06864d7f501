"""An asset's repair orders as events (Alvys' "Asset Events"): what we keep of each order, and the list.

`describe` copies what Fleetrock says of an order onto its RepairOrderItem: the dates (as UTC),
priority, vendor, group, meters, tasks and notes. Only the fields named here are kept (an unknown
field Fleetrock adds stays out), and everything is bounded so that an order whose tasks or notes run
long still fits DynamoDB's 400 KB item (in the table and in each index that projects it):

- strings: at most 200 characters (ids 64, a task's description 500, a note 1,000);
- at most 50 tasks, 10 parts per task, 50 notes, in Fleetrock's order; and the tasks as stored
  (JSON) at most 64 KB, the notes 32 KB: the entries past a cap are left out and counted
  (`tasks_omitted`, `notes_omitted`, a task's `parts_omitted`). Worst case, every character
  escaped as JSON stores it: about 120 KB.

`index_asset` keys the order into its asset's history, gsi3 `ORG#{org_id}#ROVIN#{vin}` /
`{date_created (else as_of), fixed-width UTC ISO}#{ro_id}`: by the fleet and the VIN that
matches orders to assets, so an order stored before its asset existed (waiting, or already
closed) is in the asset's history as soon as an asset holds that VIN, and an inactive asset keeps
its history. `commit` (shared/fleetrock/inbox/causes.py) calls it at every write of the order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from shared.assets.public import get_asset_item
from shared.auth.principal import Principal
from shared.base_models import Model
from shared.db.due import iso
from shared.db.pagination import Page, query_page
from shared.errors import NotFound
from shared.fleetrock.history.models import AssetEvent, RepairNote, RepairPart, RepairTask
from shared.fleetrock.inbox.models import RepairOrderItem
from shared.fleetrock.remote.contract import RO_DATE_FIELDS
from shared.fleetrock.remote.dates import FleetrockDateError, parse_time
from shared.maintenance.public import repair_order_status

TEXT_MAX = 200
ID_MAX = 64
TASK_TEXT_MAX = 500
NOTE_TEXT_MAX = 1000
MAX_TASKS = 50
MAX_PARTS = 10  # per task
MAX_NOTES = 50
TASKS_MAX_BYTES = 64 * 1024  # the tasks as JSONAttribute stores them
NOTES_MAX_BYTES = 32 * 1024
HISTORY_INDEX = "gsi3"
M = TypeVar("M", bound=Model)


# -- writing: describe an order, index it --------------------------------------------------------
def describe(item: RepairOrderItem, order: dict[str, Any], time_zone: str | None) -> None:
    """Set the history attributes of `item` from Fleetrock's `order` (bounded as the module says).

    Dates are read as dates.parse_time reads them (a time without a zone in `time_zone`);
    FleetrockDateError for an order date we cannot read (a note's is left empty instead)."""
    for field in RO_DATE_FIELDS:
        setattr(item, field, parse_time(order.get(field), time_zone, field=field))
    item.group = _text(order.get("group"))
    item.unit_type = _text(order.get("unit_type"))
    item.custom_asset_id = _text(order.get("custom_asset_id"))
    item.vendor_name = _text(order.get("vendor_name"))
    item.customer_name = _text(order.get("customer_name"))
    item.priority_code = _text(order.get("priority_code"), ID_MAX)
    item.odometer_miles = _number(order.get("odometer_miles"), meter=True)
    item.engine_hours = _number(order.get("engine_hours"), meter=True)
    item.tasks, item.tasks_omitted = _bounded(order.get("tasks"), _task, MAX_TASKS, TASKS_MAX_BYTES)
    item.notes, item.notes_omitted = _bounded(order.get("notes"), lambda n: _note(n, time_zone), MAX_NOTES,
                                              NOTES_MAX_BYTES)


def history_partition(org_id: str, vin: str) -> str:
    return f"ORG#{org_id}#ROVIN#{vin}"


def index_asset(item: RepairOrderItem) -> None:
    """Key the order into the history of the asset with its VIN (gsi3); out of it while it has no VIN."""
    if not item.vin:
        item.gsi3pk = item.gsi3sk = None
        return
    item.gsi3pk = history_partition(item.org_id, item.vin)
    item.gsi3sk = f"{iso(item.date_created or item.as_of)}#{item.ro_id}"


def _text(value: object, limit: int = TEXT_MAX) -> str | None:
    """A string, number or the like as text, trimmed and cut to `limit`; None for nothing (or a structure)."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    return str(value).strip()[:limit] or None


def _number(value: object, *, meter: bool = False) -> float | None:
    """A finite number (Fleetrock may write "1,234.50" or ""); a meter is never negative. Else None."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        return None
    if number != number or abs(number) >= 1e12 or (meter and number < 0):  # NaN, infinities, nonsense
        return None
    return number


def _bounded(entries: object, convert: Callable[[Any], dict[str, Any] | None], max_count: int,
             max_bytes: int) -> tuple[list[dict[str, Any]], int]:
    """The first entries that convert, within `max_count` and `max_bytes` (as stored JSON); and how many
    of Fleetrock's entries were left out."""
    given = entries if isinstance(entries, list) else []
    kept: list[dict[str, Any]] = []
    size = 2  # []
    for entry in given[:max_count]:
        converted = convert(entry)
        if converted is None:
            continue
        size += len(json.dumps(converted)) + 2  # JSONAttribute's json.dumps, and ", "
        if size > max_bytes:
            break
        kept.append(converted)
    return kept, len(given) - len(kept)


def _dump(model: Model) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_defaults=True)


def _task(entry: object) -> dict[str, Any] | None:
    if isinstance(entry, str):
        entry = {"description": entry}
    if not isinstance(entry, dict):
        return None
    parts, omitted = _bounded(entry.get("parts"), _part, MAX_PARTS, TASKS_MAX_BYTES)
    return _dump(RepairTask(
        task_id=_text(entry.get("id"), ID_MAX),
        description=_text(entry.get("description") or entry.get("name"), TASK_TEXT_MAX),
        labor_hours=_number(entry.get("labor_hours")),
        labor_rate=_number(entry.get("labor_rate")),
        labor_total=_number(entry.get("labor_total")),
        scheduled_maintenance_id=_text(entry.get("scheduled_maintenance_id"), ID_MAX),
        parts=[RepairPart.model_validate(p) for p in parts],
        parts_omitted=omitted,
    ))


def _part(entry: object) -> dict[str, Any] | None:
    if not isinstance(entry, dict):
        return None
    return _dump(RepairPart(
        part_number=_text(entry.get("part_number"), ID_MAX),
        description=_text(entry.get("description") or entry.get("name")),
        quantity=_number(entry.get("quantity")),
        unit_price=_number(entry.get("unit_price")),
        total=_number(entry.get("total")),
    ))


def _note(entry: object, time_zone: str | None) -> dict[str, Any] | None:
    if isinstance(entry, str):
        entry = {"note": entry}
    if not isinstance(entry, dict):
        return None
    text = _text(entry.get("note") or entry.get("text"), NOTE_TEXT_MAX)
    if text is None:
        return None
    try:
        created = parse_time(entry.get("date_created") or entry.get("date"), time_zone, field="note date")
    except FleetrockDateError:
        created = None
    return _dump(RepairNote(text=text, author=_text(entry.get("author") or entry.get("created_by")),
                            created_at=created))


# -- reading: the asset's events ------------------------------------------------------------------
def to_event(item: RepairOrderItem) -> AssetEvent:
    try:
        status = repair_order_status(item.status)
    except ValueError:  # never stored (applying refuses it), but a list must not fail on one order
        status = None
    return AssetEvent(
        ro_id=item.ro_id, fleetrock_status=item.status, status=status.value if status else None,
        open=status is not None,
        unit_number=item.unit_number, unit_type=item.unit_type, group=item.group,
        custom_asset_id=item.custom_asset_id, priority=item.priority_code, vendor_name=item.vendor_name,
        customer_name=item.customer_name, odometer_miles=item.odometer_miles, engine_hours=item.engine_hours,
        date_created=item.date_created, date_started=item.date_started,
        date_expected_finish=item.date_expected_finish, date_finished=item.date_finished,
        date_invoiced=item.date_invoiced, date_invoice_paid=item.date_invoice_paid,
        tasks=_models(RepairTask, item.tasks), tasks_omitted=int(item.tasks_omitted or 0),
        notes=_models(RepairNote, item.notes), notes_omitted=int(item.notes_omitted or 0),
        as_of=item.as_of,
    )


def _models(model: type[M], stored: Iterable[Any] | None) -> list[M]:
    return [model.model_validate(entry) for entry in stored or ()]


def asset_events(caller: Principal, asset_id: str, limit: int, cursor: str | None) -> Page[AssetEvent]:
    """The asset's repair orders, newest first (by date created): Query on gsi3, paginated. 404 for an
    asset not in the caller's fleet."""
    asset = get_asset_item(caller.org_id, asset_id)
    if asset is None:
        raise NotFound(f"asset {asset_id} not found")
    return query_page(RepairOrderItem.query, history_partition(caller.org_id, str(asset.vin).strip().upper()),
                      index_name=HISTORY_INDEX, limit=limit, cursor=cursor, convert=to_event,
                      scan_index_forward=False)
