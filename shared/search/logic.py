"""Finding each other: fleets search vendors by ZIP + radius, vendors look fleets up by VIN.

Vendor search is a best-first walk over geohash cells (awslabs dynamodb-geo, made incremental):
the circle is covered by cells, each read with a Query on gsi1 (the vendor geo index), nearest
cell first. Every vendor read is measured exactly (haversine); a vendor is final once it is
closer than every unread cell, and the walk stops when the page is final, so a search costs what
its page needs, not what its radius holds:

- a round reads the next nearest cells, twice as many as the round before (1, 2, 4, ...: a dense
  city needs one or two, an empty region is crossed in a few rounds), skipping cells farther
  than the page's farthest vendor found so far;
- a read stops at SPLIT_AT vendors. From how far (in geohash order) it got, the walk estimates how
  many the cell holds: up to READ_WHOLE_UP_TO, the read goes on (never past that many); more, and
  the rest is read as its 32 children, split further before reading when their estimate is still
  high (a dense city is read block by block, without a wasted read per level). Never a Scan.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

from shared.audit.dal import add_audit_event
from shared.auth.principal import Principal
from shared.connections.dal import connection_states
from shared.db.base import atomic
from shared.db.pagination import Page
from shared.errors import Unprocessable
from shared.orgs.models import OrgItem
from shared.ratelimit.limiter import hit
from shared.search import dal, geo
from shared.search.models import FleetMatch, LiveConnection, VendorHit
from shared.search.zips import centroid
from shared.settings import get_settings

T = TypeVar("T")
R = TypeVar("R")

MIN_RADIUS_MILES = 1
MAX_RADIUS_MILES = 500
DEFAULT_SEARCH_PAGE = 20
MAX_OFFSET = 10_000  # deepest result a cursor may point at
START_PRECISION = dal.PARTITION_PRECISION  # the walk starts with whole partitions (~97 x 75 mi)
FINEST_PRECISION = 6  # cells of about 0.7 x 0.4 miles; a fuller one is read whole
SPLIT_AT = 64  # a read stops here; a cell holding more is read to its end, or split when it is dense
READ_WHOLE_UP_TO = 256  # a cell estimated to hold up to this many is read on (up to this many), not split
MAX_CELLS_PER_ROUND = 32
WORKERS = 4  # reads of one round run in parallel
LOOKUP_WINDOW_SECONDS = 60
_POSITION_CHARS = 4  # geohash characters used to tell how far into a cell a read got


# -- vendor search -------------------------------------------------------------------------------
@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="geo")


def _in_parallel(fn: Callable[[T], R], args: Iterable[T]) -> list[R]:
    todo = list(args)
    if len(todo) <= 1:
        return [fn(a) for a in todo]
    return list(_pool().map(fn, todo))


@dataclass(frozen=True, order=True)
class Nearby:
    distance_miles: float
    org_id: str


@dataclass(order=True)
class _Cell:
    min_miles: float
    geohash: str
    expected: float | None = field(default=None, compare=False)  # estimated vendors in it, when known


def _fraction_read(cell: str, last_geohash: str) -> float:
    """How much of a cell (in geohash order, so in area) lies at or before a geohash inside it."""
    digits = last_geohash[len(cell) : len(cell) + _POSITION_CHARS].ljust(_POSITION_CHARS, "0")
    position = 0
    for c in digits:
        position = position * 32 + geo.BASE32.index(c)
    return (position + 1) / 32**_POSITION_CHARS


def nearest_vendors(lat: float, lng: float, radius_miles: float, count: int) -> list[Nearby]:
    """The `count` vendors nearest to (lat, lng) within the radius, nearest first (fewer when there are fewer)."""
    unread = [_Cell(d, cell) for cell, d in geo.cover(lat, lng, radius_miles, START_PRECISION).items()]
    heapq.heapify(unread)
    found: dict[str, Nearby] = {}
    quota = 1

    def push_children(cell: str, after: str, expected: float | None) -> None:
        for child in geo.children(cell):
            if child >= after:
                distance = geo.min_distance_miles(lat, lng, geo.bounds(child))
                if distance <= radius_miles + geo.TOLERANCE_MILES:
                    heapq.heappush(unread, _Cell(distance, child, expected))

    def read(cell: str) -> dal.CellRead:
        result = dal.read_cell(cell, SPLIT_AT if len(cell) < FINEST_PRECISION else None)
        while result.resume is not None and result.last_geohash is not None:
            read_so_far = len(result.vendors)
            expected = read_so_far / _fraction_read(cell, result.last_geohash)
            if read_so_far >= READ_WHOLE_UP_TO or expected > READ_WHOLE_UP_TO:
                break  # dense: the caller reads the rest as children
            more = dal.read_cell(cell, READ_WHOLE_UP_TO - read_so_far, result.resume)  # a few more: read on
            result = dal.CellRead(result.vendors + more.vendors, more.resume)
        return result

    while unread:
        distances = sorted(n.distance_miles for n in found.values())
        if len(distances) >= count and distances[count - 1] < unread[0].min_miles:
            break  # the page is final: no unread cell holds anything nearer
        needed_within = distances[count - 1] if len(distances) >= count else None
        cells: list[str] = []
        while unread and len(cells) < quota:
            if needed_within is not None and unread[0].min_miles > needed_within:
                break  # not needed: the page is full of vendors nearer than this cell
            next_cell = heapq.heappop(unread)
            full = next_cell.expected is not None and next_cell.expected > SPLIT_AT
            if full and len(next_cell.geohash) < FINEST_PRECISION:
                push_children(next_cell.geohash, "", (next_cell.expected or 0) / 32)  # too full: split it unread
                continue
            cells.append(next_cell.geohash)
        if cells:
            quota = min(2 * quota, MAX_CELLS_PER_ROUND)
        for cell, result in zip(cells, _in_parallel(read, cells), strict=True):
            vendors = result.vendors
            if result.last_geohash is not None:  # more than SPLIT_AT: keep the children read in full, queue the rest
                partial = result.last_geohash[: len(cell) + 1]
                vendors = [v for v in vendors if v.geohash[: len(cell) + 1] < partial]
                expected = len(result.vendors) / _fraction_read(cell, result.last_geohash) / 32
                push_children(cell, partial, expected)
            for vendor in vendors:
                distance = geo.haversine_miles(lat, lng, vendor.lat, vendor.lng)
                if distance <= radius_miles:
                    found[vendor.org_id] = Nearby(distance, vendor.org_id)
    return sorted(found.values())[:count]


def _cursor_error() -> Unprocessable:
    return Unprocessable("cursor: not a cursor of this search; start again without it",
                         [{"in": "query", "field": "cursor", "message": "not a cursor of this search"}])


def encode_offset(offset: int, zip_code: str, radius_miles: float) -> str:
    raw = json.dumps({"o": offset, "z": zip_code, "r": radius_miles}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_offset(cursor: str | None, zip_code: str, radius_miles: float) -> int:
    """The offset a cursor holds, checked to belong to this very search (same ZIP and radius)."""
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = data["o"]
        ok = (
            isinstance(data, dict)
            and set(data) == {"o", "z", "r"}
            and type(offset) is int
            and 0 < offset <= MAX_OFFSET
            and data["z"] == zip_code
            and isinstance(data["r"], int | float)
            and float(data["r"]) == radius_miles
        )
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise _cursor_error()
    return int(offset)


def _query_error(field: str, message: str) -> Unprocessable:
    return Unprocessable(f"{field}: {message}", [{"in": "query", "field": field, "message": message}])


def search_vendors(
    caller: Principal, zip_code: str | None, radius_miles: float | None, limit: int, cursor: str | None
) -> Page[VendorHit]:
    """Vendors within `radius_miles` of the ZIP's centroid, nearest first, marked with the caller's connections."""
    if not zip_code:
        raise _query_error("zip", "required: a 5-digit US ZIP code")
    if radius_miles is None:
        raise _query_error("radius_miles", f"required: {MIN_RADIUS_MILES} to {MAX_RADIUS_MILES} miles")
    if not MIN_RADIUS_MILES <= radius_miles <= MAX_RADIUS_MILES:
        raise _query_error("radius_miles", f"must be {MIN_RADIUS_MILES} to {MAX_RADIUS_MILES} miles")
    center = centroid(zip_code)
    if center is None:
        raise _query_error("zip", f"unknown US ZIP code {zip_code}")
    offset = decode_offset(cursor, zip_code, radius_miles)
    nearest = nearest_vendors(*center, radius_miles, offset + limit + 1)
    page = nearest[offset : offset + limit]
    more = len(nearest) > offset + limit
    ids = [n.org_id for n in page]
    profiles = _pool().submit(dal.get_org_items, ids, dal.HIT_ATTRIBUTES)  # beside the connection marks
    states = connection_states(caller.org_id, ids) if ids else {}
    shown = profiles.result()
    items = [_hit(shown[n.org_id], n.distance_miles, states.get(n.org_id)) for n in page if n.org_id in shown]
    more = more and offset + limit <= MAX_OFFSET
    return Page[VendorHit](items=items,
                           next_cursor=encode_offset(offset + limit, zip_code, radius_miles) if more else None)


def _hit(item: OrgItem, distance_miles: float, state: str | None) -> VendorHit:
    address = item.address or {}
    live = LiveConnection(state) if state in {c.value for c in LiveConnection} else None
    return VendorHit(
        org_id=item.org_id,
        name=item.name,
        city=address.get("city", ""),
        state=address.get("state", ""),
        zip=address.get("zip", ""),
        services_offered=list(item.services_offered or []),
        partner_id=item.partner_id,
        distance_miles=round(distance_miles, 1),
        connection=live,
    )


# -- fleet lookup by VIN -------------------------------------------------------------------------
def lookup_fleets(caller: Principal, vin: str | None) -> list[FleetMatch]:
    """The fleets running an active asset with this VIN: id and name only. Rate-limited and audited."""
    if not vin:
        raise _query_error("vin", "required: a 17-character VIN")
    hit("fleet_lookup", caller.org_id, limit=get_settings().fleet_lookups_per_minute,
        window_seconds=LOOKUP_WINDOW_SECONDS)
    fleet_ids = dal.fleets_running_vin(vin)
    profiles = dal.get_org_items(fleet_ids)
    matches = sorted((FleetMatch(org_id=p.org_id, name=p.name) for p in profiles.values()),
                     key=lambda m: (m.name.casefold(), m.org_id))
    with atomic("the lookup could not be recorded; try again") as tx:
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="fleet.lookup_by_vin", target_type="vin",
                        target_id=vin, after={"vin": vin, "fleets_matched": len(matches)})
    return matches
