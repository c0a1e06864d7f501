"""VIN validation (ISO 3779 / 49 CFR 565): 17 characters, no I, O or Q, valid check digit."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(vin: str) -> str:
    total = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True)) % 11
    return "X" if total == 10 else str(total)


def normalize_vin(value: str) -> str:
    """The VIN in upper case, or ValueError saying what is wrong with it."""
    vin = value.strip().upper()
    if len(vin) != 17:
        raise ValueError(f"a VIN has 17 characters, this one has {len(vin)}")
    if bad := sorted({c for c in vin if c in "IOQ"}):
        raise ValueError(f"a VIN never contains I, O or Q (found {', '.join(bad)})")
    if bad := sorted({c for c in vin if c not in _VALUES}):
        raise ValueError(f"a VIN has only letters and digits (found {''.join(bad)!r})")
    expected = check_digit(vin)
    if vin[8] != expected:
        raise ValueError(f"check digit (9th character) is {vin[8]}, expected {expected}: is the VIN mistyped?")
    return vin


Vin = Annotated[str, AfterValidator(normalize_vin)]
