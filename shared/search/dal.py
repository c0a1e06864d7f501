"""Data access of the vendor geo index (gsi1 on vendor profiles) and of the fleets running a VIN (gsi2).

Geo keys of a vendor's profile item (pk=ORG#{org_id}, sk=PROFILE):
    gsi1pk = GEO#{geohash[:3]}        a cell of about 97 x 75 miles (at 40 degrees N)
    gsi1sk = {geohash (12)}#{org_id}   so a finer cell is a range (BETWEEN) of the sort key
Only vendor profiles with a location carry them; nothing else uses GEO# partitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.assets.models import VinClaimItem
from shared.db.keys import PROFILE, org_pk
from shared.orgs.models import OrgItem
from shared.search import geo
from shared.search.zips import centroid

PARTITION_PRECISION = 3
PARTITION_BITS = 5 * PARTITION_PRECISION
GEO_PREFIX = "GEO#"
MAX_FLEETS_PER_VIN = 100


def geo_partition(geohash: str) -> str:
    return f"{GEO_PREFIX}{geohash[:PARTITION_PRECISION]}"


def vendor_location(address: dict[str, Any]) -> tuple[float, float] | None:
    """Where a vendor is: its address's lat/lng when both are given, else its ZIP's centroid, else None."""
    lat, lng = address.get("lat"), address.get("lng")
    if lat is not None and lng is not None:
        return float(lat), float(lng)
    return centroid(str(address.get("zip") or ""))


def locate_vendor(item: OrgItem) -> None:
    """Set a vendor profile's location and geo index keys from its address (cleared when it has none).

    Call before the profile's write, so the location changes in the same write as the address.
    """
    location = vendor_location(item.address or {}) if item.kind == "vendor" else None
    if location is None:
        item.lat = item.lng = item.gsi1pk = item.gsi1sk = None
        return
    item.lat, item.lng = location
    geohash = geo.encode(*location)
    item.gsi1pk = geo_partition(geohash)
    item.gsi1sk = f"{geohash}#{item.org_id}"


# what a search reads of each indexed vendor: where it is (the rest only for the page shown)
SEARCH_ATTRIBUTES = ["gsi1sk", "lat", "lng"]
# what a search result shows of a vendor
HIT_ATTRIBUTES = ["pk", "sk", "type", "org_id", "name", "address", "services_offered", "partner_id"]


@dataclass(frozen=True)
class IndexedVendor:
    org_id: str
    geohash: str
    lat: float
    lng: float


@dataclass(frozen=True)
class CellRead:
    vendors: list[IndexedVendor]
    truncated: bool = False  # the read stopped at its limit: the cell holds more

    @property
    def last_geohash(self) -> str | None:
        """The geohash the read stopped at, when the cell holds more."""
        return self.vendors[-1].geohash if self.truncated and self.vendors else None


def _indexed(raw: dict[str, Any]) -> IndexedVendor:
    geohash, _, org_id = raw["gsi1sk"]["S"].partition("#")
    return IndexedVendor(org_id=org_id, geohash=geohash, lat=float(raw["lat"]["N"]), lng=float(raw["lng"]["N"]))


def read_cell(bits: str, limit: int | None) -> CellRead:
    """The indexed vendors of a cell (geo.bits_bounds; at least a partition's 15 bits): a Query on gsi1.

    Below a partition the cell is a BETWEEN on gsi1sk. With `limit`, one page of at most that many
    (in geohash order); without, the whole cell.
    """
    first, last = geo.key_range(bits)
    condition = OrgItem.gsi1sk.between(first, last) if len(bits) > PARTITION_BITS else None
    table = OrgItem._get_connection()  # raw pages: no model instances, three attributes per vendor
    vendors: list[IndexedVendor] = []
    start: dict[str, Any] | None = None
    while True:
        page = table.query(geo_partition(first), range_key_condition=condition, index_name="gsi1",
                           attributes_to_get=SEARCH_ATTRIBUTES, limit=limit, exclusive_start_key=start)
        vendors += [_indexed(raw) for raw in page.get("Items", [])]
        start = page.get("LastEvaluatedKey")
        if not start:
            return CellRead(vendors)
        if limit is not None and vendors:
            return CellRead(vendors, truncated=True)


def get_org_items(org_ids: Iterable[str], attributes: list[str] | None = None) -> dict[str, OrgItem]:
    """Organization profiles by id (BatchGet; missing ones are left out), whole or only `attributes`."""
    keys = [(org_pk(o), PROFILE) for o in dict.fromkeys(org_ids)]
    return {item.org_id: item for item in OrgItem.batch_get(keys, attributes_to_get=attributes)} if keys else {}


def fleets_running_vin(vin: str) -> list[str]:
    """Ids of the fleets whose active asset has this VIN: a Query on gsi2 VIN#{vin} (active claims only)."""
    claims = VinClaimItem.query(f"VIN#{vin}", index_name="gsi2", limit=MAX_FLEETS_PER_VIN)
    return [claim.org_id for claim in claims if claim.active]
