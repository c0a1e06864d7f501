"""The pairs an organization is in: a vendor's fleets, a fleet's vendors (one record per pair)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.connections import pairs
from shared.connections.relationships import Relationship
from shared.db.pagination import Page

router = Router()


@router.get("/vendor/fleets", tags=["connections"],
            summary="The fleets you work with (vendor): how, since when, open jobs, granted assets, pending requests")
def vendor_fleets(
    caller: Annotated[Principal, Depends(requires(Action.FLEETS_WORKED_READ))],
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Page[pairs.VendorFleet]:
    return pairs.vendor_fleets(caller, limit, cursor)


@router.get("/fleet/vendors", tags=["connections"],
            summary="The vendors that work or worked with your fleet (fleet): one record per vendor, however it "
                    "came (connection, partner invitation, internal team)")
def fleet_vendors(
    caller: Annotated[Principal, Depends(requires(Action.VENDORS_WORKING_READ))],
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Page[Relationship]:
    return pairs.fleet_vendors(caller, limit, cursor)
