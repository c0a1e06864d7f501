"""Finding each other: fleets search vendors by ZIP + radius, vendors look fleets up by VIN.

Vendor search is a best-first walk over geohash cells (awslabs dynamodb-geo, made incremental):
the circle is covered by cells, each read with a Query on gsi1 (the vendor geo index), nearest
cell first. Every vendor read is measured exactly (haversine); a vendor is final once it is
closer than every unread cell, and the walk stops when the page is final, so a search costs what
its page needs, not what its radius holds:

- the walk starts with the partitions' cells (geohash precision 3, about 97 x 75 miles);
- a round reads the next nearest cells, twice as many as the round before (1, 2, 4, ...: a dense
  city needs one or two, an empty region is crossed in a few rounds), skipping cells farther
  than the page's farthest vendor found so far;
- a read stops at SPLIT_AT vendors: the cell is dense. From how far (in geohash order) the read
  got, the walk estimates how many the cell holds and queues the rest of it as sub-cells small
  enough to hold about CELL_TARGET each (a cell can be halved any number of times and is still
  one key range, so the size fits the density, not only steps of 32). Never a Scan.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import math
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.connections.public import connection_states
from shared.db.base import atomic
from shared.db.pagination import Page
from shared.errors import Unprocessable
from shared.geo import geohash as geo
from shared.geo.zips import centroid
from shared.orgs.public import PARTITION_PRECISION, OrgItem
from shared.ratelimit.limiter import hit
from shared.search import dal
from shared.search.models import FleetMatch, LiveConnection, VendorHit
from shared.settings import get_settings

T = TypeVar("T")
R = TypeVar("R")

MIN_RADIUS_MILES = 1
MAX_RADIUS_MILES = 500
DEFAULT_SEARCH_PAGE = 20
MAX_OFFSET = 10_000  # deepest result a cursor may point at
START_PRECISION = PARTITION_PRECISION
FINEST_BITS = 30  # cells of geohash precision 6 (about 0.7 x 0.4 miles) at most; such a cell is read whole
SPLIT_AT = 128  # a read stops here; the rest of the cell is read as smaller cells
CELL_TARGET = 8  # vendors a sub-cell of a dense cell should hold, by the estimate (small: clusters)
MAX_SPLIT_BITS = 8  # a dense cell's rest is cut in at most 2**8 sub-cells at once
MAX_CELLS_PER_ROUND = 32
WORKERS = 4  # reads of one round run in parallel
LOOKUP_WINDOW_SECONDS = 60
_POSITION_BITS = 20  # bits below a cell used to tell how far into it a read got


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


def fraction_read(cell_bits: str, last_geohash: str) -> float:
    """How much of a cell (in geohash order, so in area) lies at or before a geohash inside it."""
    below = geo.to_bits(last_geohash)[len(cell_bits) : len(cell_bits) + _POSITION_BITS].ljust(_POSITION_BITS, "0")
    return (int(below, 2) + 1) / (1 << _POSITION_BITS)


def split_depth(expected: float, cell_bits: str) -> int:
    """How many bits to cut a cell by so each part holds about CELL_TARGET of its `expected` vendors."""
    depth = math.ceil(math.log2(max(expected, 1.0) / CELL_TARGET)) if expected > CELL_TARGET else 1
    return max(1, min(depth, MAX_SPLIT_BITS, FINEST_BITS - len(cell_bits)))


def nearest_vendors(lat: float, lng: float, radius_miles: float, count: int) -> list[Nearby]:
    """The `count` vendors nearest to (lat, lng) within the radius, nearest first (fewer when there are fewer)."""
    start = geo.cover(lat, lng, radius_miles, START_PRECISION)
    search = _Search(lat, lng, radius_miles, count, unread=[(d, geo.to_bits(cell)) for cell, d in start.items()])
    heapq.heapify(search.unread)
    while cells := search.next_cells():
        for bits, result in zip(cells, _in_parallel(_read_cell, cells), strict=True):
            search.add(search.queue_rest(bits, result) if result.truncated else result.vendors)
    return sorted(Nearby(d, org_id) for org_id, d in search.found.items())[:count]


def _read_cell(bits: str) -> dal.CellRead:
    return dal.read_cell(bits, SPLIT_AT if len(bits) < FINEST_BITS else None)


@dataclass
class _Search:
    """One nearest_vendors search: the cells still to read, nearest first, and the vendors found within the radius."""

    lat: float
    lng: float
    radius_miles: float
    count: int
    unread: list[tuple[float, str]]  # a heap of (the cell's least distance, its bits)
    found: dict[str, float] = field(default_factory=dict)  # org id -> distance
    quota: int = 1  # cells read in the next round: doubles every round, up to MAX_CELLS_PER_ROUND

    def next_cells(self) -> list[str]:
        """The next round's cells, nearest first; none once the page is final (no cell left, or no unread
        cell can hold anything nearer than the `count`th vendor found)."""
        distances = sorted(self.found.values())
        needed_within = distances[self.count - 1] if len(distances) >= self.count else math.inf
        cells: list[str] = []
        while self.unread and len(cells) < self.quota and self.unread[0][0] <= needed_within:
            cells.append(heapq.heappop(self.unread)[1])
        if cells:
            self.quota = min(2 * self.quota, MAX_CELLS_PER_ROUND)
        return cells

    def queue_rest(self, bits: str, result: dal.CellRead) -> list[dal.IndexedVendor]:
        """Queue what a stopped read left of a cell as sub-cells; the vendors of the sub-cells it read whole."""
        last = result.last_geohash or ""
        depth = split_depth(len(result.vendors) / fraction_read(bits, last), bits)  # the cell's estimated total
        level = len(bits) + depth
        stopped_in = geo.to_bits(last)[:level]
        for sub in geo.descendants(bits, depth):
            if sub >= stopped_in:
                distance = geo.min_distance_miles(self.lat, self.lng, geo.bits_bounds(sub))
                if distance <= self.radius_miles + geo.TOLERANCE_MILES:
                    heapq.heappush(self.unread, (distance, sub))
        return [v for v in result.vendors if geo.to_bits(v.geohash)[:level] < stopped_in]

    def add(self, vendors: Iterable[dal.IndexedVendor]) -> None:
        for vendor in vendors:
            distance = geo.haversine_miles(self.lat, self.lng, vendor.lat, vendor.lng)
            if distance <= self.radius_miles:
                self.found[vendor.org_id] = distance


def _cursor_error() -> Unprocessable:
    return Unprocessable("cursor: not a cursor of this search; start again without it",
                         [{"in": "query", "field": "cursor", "message": "not a cursor of this search"}])


def encode_cursor(offset: int, last: Nearby, zip_code: str, radius_miles: float) -> str:
    """How deep the next page starts, and after which vendor (nearest-first order)."""
    raw = json.dumps({"o": offset, "d": last.distance_miles, "i": last.org_id, "z": zip_code, "r": radius_miles},
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, zip_code: str, radius_miles: float) -> tuple[int, Nearby | None]:
    """The depth and the last vendor a cursor holds, checked to belong to this very search (same ZIP and radius)."""
    if not cursor:
        return 0, None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = data["o"]
        ok = (
            isinstance(data, dict)
            and set(data) == {"o", "d", "i", "z", "r"}
            and type(offset) is int
            and 0 < offset <= MAX_OFFSET
            and isinstance(data["d"], int | float) and isinstance(data["i"], str)
            and data["z"] == zip_code
            and isinstance(data["r"], int | float)
            and float(data["r"]) == radius_miles
        )
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise _cursor_error()
    return int(offset), Nearby(float(data["d"]), data["i"])


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
    offset, last = decode_cursor(cursor, zip_code, radius_miles)
    # the page starts after the last vendor shown, not at a position: vendors that joined or left the
    # results since the last page neither repeat nor push one out (read one page deeper for joiners)
    nearest = nearest_vendors(*center, radius_miles, offset + (2 * limit if last else limit) + 1)
    after = [n for n in nearest if last is None or n > last]
    page, more = after[:limit], len(after) > limit
    ids = [n.org_id for n in page]
    profiles = _pool().submit(dal.get_org_items, ids, dal.HIT_ATTRIBUTES)  # beside the connection marks
    states = connection_states(caller.org_id, ids) if ids else {}
    shown = profiles.result()
    items = [_hit(shown[n.org_id], n.distance_miles, states.get(n.org_id)) for n in page if n.org_id in shown]
    more = more and offset + limit <= MAX_OFFSET and bool(page)
    return Page[VendorHit](items=items, next_cursor=encode_cursor(offset + limit, page[-1], zip_code, radius_miles)
                           if more else None)


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
