"""Data access of the vendor geo index (gsi1 on vendor profiles) and of the fleets running a VIN (gsi2).

The geo keys are written with the vendor's address by orgs (shared/orgs/location.py); this reads them.
Only vendor profiles with a location carry them; nothing else uses GEO# partitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.assets.public import VinClaimItem
from shared.db.keys import PROFILE, org_pk
from shared.geo import geohash as geo
from shared.orgs.public import PARTITION_BITS, OrgItem, geo_partition

MAX_FLEETS_PER_VIN = 100


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
