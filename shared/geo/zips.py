"""ZIP code centroids from the `zipcodes` package (data inside the wheel: offline, versioned).

Coordinates come from GeoNames (CC BY 4.0), credited in README.md.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=8192)
def centroid(zip_code: str) -> tuple[float, float] | None:
    """(lat, lng) of a 5-digit US ZIP code's centroid, or None when the ZIP is unknown or has no position."""
    if len(zip_code) != 5 or not (zip_code.isascii() and zip_code.isdigit()):  # zipcodes panics on other digits
        return None
    import zipcodes  # on first use: its data ships in a layer every function but docs has (infra/bundle.py)

    for record in zipcodes.matching(zip_code):
        try:
            return float(record["lat"]), float(record["long"])
        except (KeyError, TypeError, ValueError):
            return None
    return None
