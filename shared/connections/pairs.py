"""Both sides' lists of the pairs they are in (the one record of each pair: relationships.py).

A vendor's fleets (`GET /vendor/fleets`) is one Query of its side of the index per page, and one
BatchGet of the granted groups' counts; a fleet's vendors (`GET /fleet/vendors`) one Query of its
partition per page.
"""

from __future__ import annotations

from pydantic import Field

from shared.assets.public import GroupItem, group_sk
from shared.auth.principal import Principal
from shared.connections.relationships import Relationship, list_fleet_relationships, list_vendor_fleets
from shared.db.batch import batch_get_all
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.ids import utc_now


class VendorFleet(Relationship):
    """A fleet the vendor works with: how, since when, and what is between them now."""

    granted_asset_count: int | None = Field(
        default=None, description="the assets of the groups granted to you now (an asset in two groups counts "
        "twice); None when a granted group was made before groups counted their assets")


def vendor_fleets(caller: Principal, limit: int, cursor: str | None) -> Page[VendorFleet]:
    page = list_vendor_fleets(caller.org_id, limit=limit, cursor=cursor)
    counts = _group_counts(page.items)
    return Page[VendorFleet](items=[_with_count(r, counts) for r in page.items], next_cursor=page.next_cursor)


def fleet_vendors(caller: Principal, limit: int, cursor: str | None) -> Page[Relationship]:
    return list_fleet_relationships(caller.org_id, limit=limit, cursor=cursor)


def _granted_now(relationship: Relationship) -> list[str]:
    expires = relationship.grant_expires_at
    return relationship.granted_group_ids or [] if expires is None or expires > utc_now() else []


def _group_counts(relationships: list[Relationship]) -> dict[tuple[str, str], int | None]:
    keys = [(org_pk(r.fleet_id), group_sk(g)) for r in relationships for g in _granted_now(r)]
    found = batch_get_all(GroupItem, keys) if keys else []
    return {(g.org_id, g.group_id): (int(g.asset_count) if g.asset_count is not None else None) for g in found}


def _with_count(relationship: Relationship, counts: dict[tuple[str, str], int | None]) -> VendorFleet:
    sizes = [counts[(relationship.fleet_id, g)] for g in _granted_now(relationship)
             if (relationship.fleet_id, g) in counts]  # a deleted group is no longer granted
    total = None if None in sizes else sum(s for s in sizes if s is not None)
    return VendorFleet.model_validate({**relationship.model_dump(), "granted_asset_count": total})
