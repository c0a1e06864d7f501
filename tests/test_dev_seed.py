"""The demo seed `make dev` loads: a user of every role, a fleet with trucks, trailers and two groups."""

from __future__ import annotations

import pytest

from dev.seed import seed_demo
from shared.auth.principal import Role
from tests.conftest import call_api

pytestmark = pytest.mark.usefixtures("dynamodb")


def test_seed_has_every_role_and_the_fleet_data():
    users = seed_demo()
    assert {u.role for u in users} == set(Role)
    manager = next(u for u in users if u.role is Role.MANAGER)
    assets = call_api("GET", "/assets", as_user=manager).json()["items"]
    assert {a["kind"] for a in assets} == {"truck", "trailer"} and len(assets) == 7
    groups = call_api("GET", "/groups", as_user=manager).json()["items"]
    assert sorted(g["name"] for g in groups) == ["Boston yard", "Long haul"]
    for group in groups:
        assert call_api("GET", f"/groups/{group['group_id']}/assets", as_user=manager).json()["items"]
    vendor = next(u for u in users if u.role is Role.VENDOR)
    assert call_api("GET", "/me", as_user=vendor).json()["organization"]["kind"] == "vendor"
    shared = call_api("GET", f"/fleets/{manager.org_id}/assets", as_user=vendor).json()["items"]
    assert len(shared) == 4  # the Boston yard group, granted to the connected demo vendor
