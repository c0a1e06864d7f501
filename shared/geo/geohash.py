"""Geohash cells and great-circle distances: the arithmetic of the vendor geo index (no I/O).

A geohash of precision q names a cell of a regular lat/lng grid: 5q bits, longitude and
latitude bits interleaved (longitude first), so a cell's children share its prefix. The
index stores each vendor's full geohash; a search covers its circle with cells and queries
each one (the awslabs dynamodb-geo design).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_MILES = 3958.8
BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_DECODE = {c: i for i, c in enumerate(BASE32)}
MAX_PRECISION = 12
TOLERANCE_MILES = 1e-6  # floating-point slack when deciding whether a cell touches a circle


def haversine_miles(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def _bits(precision: int) -> tuple[int, int]:
    """(latitude bits, longitude bits) of a geohash of `precision` characters."""
    total = 5 * precision
    return total // 2, (total + 1) // 2


def _steps(precision: int) -> tuple[float, float]:
    """(latitude, longitude) size in degrees of a cell of `precision` characters."""
    lat_bits, lng_bits = _bits(precision)
    return 180.0 / (1 << lat_bits), 360.0 / (1 << lng_bits)


def _cell_hash(row: int, col: int, precision: int) -> str:
    """The geohash of grid cell (row = latitude index, col = longitude index)."""
    lat_bits, lng_bits = _bits(precision)
    value = 0
    for n in range(5 * precision):  # even bits (from the top) are longitude, odd ones latitude
        if n % 2 == 0:
            lng_bits -= 1
            bit = (col >> lng_bits) & 1
        else:
            lat_bits -= 1
            bit = (row >> lat_bits) & 1
        value = (value << 1) | bit
    return "".join(BASE32[(value >> (5 * (precision - 1 - k))) & 31] for k in range(precision))


def _row_col(lat: float, lng: float, precision: int) -> tuple[int, int]:
    lat_step, lng_step = _steps(precision)
    lat_bits, lng_bits = _bits(precision)
    row = min((1 << lat_bits) - 1, max(0, math.floor((lat + 90.0) / lat_step)))
    col = math.floor(((lng + 180.0) % 360.0) / lng_step) % (1 << lng_bits)
    return row, col


def encode(lat: float, lng: float, precision: int = MAX_PRECISION) -> str:
    """The geohash of a point."""
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90")
    return _cell_hash(*_row_col(lat, lng, precision), precision)


@dataclass(frozen=True)
class Bounds:
    lat_min: float
    lat_max: float
    lng_min: float
    lng_max: float


def bounds(geohash: str) -> Bounds:
    """The cell a geohash names."""
    value = 0
    for c in geohash:
        value = (value << 5) | _DECODE[c]
    row = col = 0
    for n in range(5 * len(geohash)):
        bit = (value >> (5 * len(geohash) - 1 - n)) & 1
        if n % 2 == 0:
            col = (col << 1) | bit
        else:
            row = (row << 1) | bit
    lat_step, lng_step = _steps(len(geohash))
    lat_min, lng_min = -90.0 + row * lat_step, -180.0 + col * lng_step
    return Bounds(lat_min, lat_min + lat_step, lng_min, lng_min + lng_step)


def _closest_on_meridian(lat: float, dlng: float, lat_min: float, lat_max: float) -> float:
    """Latitude of the point of a meridian segment closest to a point `dlng` degrees away (0 < dlng < 90).

    Along a meridian the distance has one minimum, at atan(tan(lat) / cos(dlng)): clamp it to the segment.
    """
    nearest = math.degrees(math.atan(math.tan(math.radians(lat)) / math.cos(math.radians(dlng))))
    return min(lat_max, max(lat_min, nearest))


def min_distance_miles(lat: float, lng: float, cell: Bounds) -> float:
    """Shortest great-circle distance from a point to a cell (0 inside it): a lower bound for its points."""
    width = cell.lng_max - cell.lng_min
    offset = (lng - cell.lng_min) % 360.0
    if offset <= width:  # the point's meridian crosses the cell: straight north or south
        nearest_lat = min(cell.lat_max, max(cell.lat_min, lat))
        return EARTH_RADIUS_MILES * math.radians(abs(lat - nearest_lat))
    best = math.inf
    for edge in (cell.lng_min, cell.lng_max):
        dlng = abs((lng - edge + 180.0) % 360.0 - 180.0)
        if dlng >= 90.0:  # a quarter turn away or more: the nearest point of the edge is one of its ends
            candidates = [cell.lat_min, cell.lat_max]
        else:
            candidates = [_closest_on_meridian(lat, dlng, cell.lat_min, cell.lat_max)]
        for edge_lat in candidates:
            best = min(best, haversine_miles(lat, lng, edge_lat, edge))
    return best


def _lng_half_width(lat: float, radius_miles: float) -> float | None:
    """Half the longitude span of the circle's bounding box in degrees; None when it spans every longitude."""
    angular = radius_miles / EARTH_RADIUS_MILES
    if angular >= math.pi / 2 or abs(lat) + math.degrees(angular) >= 90.0:
        return None
    ratio = math.sin(angular) / math.cos(math.radians(lat))
    return None if ratio >= 1.0 else math.degrees(math.asin(ratio))


def _box(lat: float, lng: float, radius_miles: float, precision: int) -> tuple[range, list[int]]:
    lng_step = _steps(precision)[1]
    lng_bits = _bits(precision)[1]
    dlat = math.degrees(radius_miles / EARTH_RADIUS_MILES)
    first_row = _row_col(max(-90.0, lat - dlat), lng, precision)[0]
    last_row = _row_col(min(90.0, lat + dlat), lng, precision)[0]
    half = _lng_half_width(lat, radius_miles)
    columns = 1 << lng_bits
    if half is None or 2 * half + lng_step >= 360.0:
        cols = list(range(columns))
    else:
        first_col = math.floor(((lng - half + 180.0) % 360.0) / lng_step)
        span = math.floor(((lng + half + 180.0) % 360.0) / lng_step) - first_col
        cols = [(first_col + k) % columns for k in range(span % columns + 1)]
    return range(first_row, last_row + 1), cols


def cover(lat: float, lng: float, radius_miles: float, precision: int) -> dict[str, float]:
    """The cells of `precision` that touch the circle, each with its shortest distance from the center."""
    rows, cols = _box(lat, lng, radius_miles, precision)
    cells = {}
    for row in rows:
        for col in cols:
            cell = _cell_hash(row, col, precision)
            distance = min_distance_miles(lat, lng, bounds(cell))
            if distance <= radius_miles + TOLERANCE_MILES:
                cells[cell] = distance
    return cells


# -- cells at any bit depth: a geohash prefix plus 0-4 bits of the next character ------------------
# A cell of n bits is a rectangle, and its geohashes are one contiguous range of the sort key, so
# a cell can be halved (not only cut in 32) and still be read with one Query.
KEY_END = "~"  # sorts after every geohash character and after "#": closes a key range


def to_bits(geohash: str) -> str:
    return "".join(format(_DECODE[c], "05b") for c in geohash)


def bits_bounds(bits: str) -> Bounds:
    """The rectangle a cell of `bits` covers (even bits halve longitude, odd ones latitude)."""
    lng_bits, lat_bits = bits[0::2], bits[1::2]
    lng_step, lat_step = 360.0 / (1 << len(lng_bits)), 180.0 / (1 << len(lat_bits))
    lng_min = -180.0 + (int(lng_bits, 2) if lng_bits else 0) * lng_step
    lat_min = -90.0 + (int(lat_bits, 2) if lat_bits else 0) * lat_step
    return Bounds(lat_min, lat_min + lat_step, lng_min, lng_min + lng_step)


def key_range(bits: str) -> tuple[str, str]:
    """The first and last sort key (inclusive) a cell of `bits` can hold: keys start with a geohash."""
    whole, rest = divmod(len(bits), 5)
    prefix = "".join(BASE32[int(bits[5 * i : 5 * i + 5], 2)] for i in range(whole))
    if rest == 0:
        return prefix, prefix + KEY_END
    value = int(bits[5 * whole :], 2)
    first, last = value << (5 - rest), ((value + 1) << (5 - rest)) - 1
    return prefix + BASE32[first], prefix + BASE32[last] + KEY_END


def descendants(bits: str, depth: int) -> list[str]:
    """The 2**depth cells `depth` bits below a cell, in key order."""
    return [bits + format(i, f"0{depth}b") for i in range(1 << depth)] if depth else [bits]
