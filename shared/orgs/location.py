"""Where a vendor is: its profile's location and geo index keys, written with its address.

The vendor profile (pk=ORG#{org_id}, sk=PROFILE) is the organization's item, so orgs sets its keys;
vendor search (shared/search) reads the index they make:
    gsi1pk = GEO#{geohash[:3]}        a cell of about 97 x 75 miles (at 40 degrees N)
    gsi1sk = {geohash (12)}#{org_id}   so a finer cell is a range (BETWEEN) of the sort key
"""

from __future__ import annotations

from typing import Any

from shared.base_models import Address
from shared.errors import Unprocessable
from shared.geo import geohash as geo
from shared.geo.zips import centroid
from shared.orgs.models import OrgItem

PARTITION_PRECISION = 3
PARTITION_BITS = 5 * PARTITION_PRECISION
GEO_PREFIX = "GEO#"


def geo_partition(geohash: str) -> str:
    return f"{GEO_PREFIX}{geohash[:PARTITION_PRECISION]}"


def vendor_location(address: dict[str, Any]) -> tuple[float, float] | None:
    """Where an organization is: its address's lat/lng when both are given, else its ZIP's centroid, else None."""
    lat, lng = address.get("lat"), address.get("lng")
    if lat is not None and lng is not None:
        return float(lat), float(lng)
    return centroid(str(address.get("zip") or ""))


def check_locatable(address: Address) -> None:
    """An address we can place: with lat and lng, or a ZIP the ZIP data knows (else a vendor could never be
    found by search). The same words as vendor search's 422 for an unknown ZIP."""
    if (address.lat is None or address.lng is None) and centroid(address.zip) is None:
        raise Unprocessable.field("address.zip", f"unknown US ZIP code {address.zip}: check it, or give the "
                                  "address's lat and lng")


def locate_vendor(item: OrgItem) -> None:
    """Set an organization's location from its address and, for a vendor, its geo index keys (so fleets,
    and a fleet's internal teams, never show in vendor search). Call before the profile's write: the
    location changes with the address.
    """
    location = vendor_location(item.address or {})
    item.lat, item.lng = location if location is not None else (None, None)
    if location is None or item.kind != "vendor" or item.team_of:
        item.gsi1pk = item.gsi1sk = None
        return
    geohash = geo.encode(*location)
    item.gsi1pk = geo_partition(geohash)
    item.gsi1sk = f"{geohash}#{item.org_id}"
