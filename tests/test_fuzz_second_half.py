"""The fuzz's second half of the operations (tests/test_fuzz.py), in its own file: pytest-xdist keeps a
file on one worker, so the two halves run on both cores at once."""

from __future__ import annotations

import pytest

from tests.test_fuzz import fuzz_half

pytestmark = pytest.mark.usefixtures("dynamodb")


def test_fuzz_every_operation_as_every_role_second_half(dev_server, fleetrock):
    fuzz_half(dev_server, fleetrock, 1)
