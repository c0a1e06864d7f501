"""VIN rules: 17 characters, no I/O/Q, valid check digit."""

from __future__ import annotations

import pytest

from shared.assets.vin import normalize_vin
from tests.factories import make_vin


@pytest.mark.parametrize("vin", ["1M8GDM9AXKP042788", "1HGCM82633A004352", "11111111111111111", "1m8gdm9axkp042788"])
def test_valid_vins(vin: str) -> None:
    assert normalize_vin(vin) == vin.upper()


@pytest.mark.parametrize(
    ("vin", "reason"),
    [
        ("1M8GDM9AXKP04278", "17 characters, this one has 16"),
        ("1M8GDM9AXKP0427888", "this one has 18"),
        ("1M8GDM9AXKP04278O", "never contains I, O or Q (found O)"),
        ("IM8GDM9AXKP042788", "found I"),
        ("1M8GDM9A-KP042788", "only letters and digits"),
        ("1M8GDM9A1KP042788", "check digit (9th character) is 1, expected X"),
    ],
)
def test_invalid_vins_say_why(vin: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        normalize_vin(vin)


def test_factory_vins_are_valid_and_distinct() -> None:
    vins = {make_vin(n) for n in range(200)}
    assert len(vins) == 200
    for vin in vins:
        assert normalize_vin(vin) == vin
