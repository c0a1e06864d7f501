"""Finding each other: vendor search by ZIP + radius (fleets), fleet lookup by VIN (vendors).

Query parameters are optional to the validator and required by the logic (a 422 naming the
field), so a caller whose role may not use the route gets its 403 whatever it sent.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.api.params import Cursor, Limit
from shared.assets.public import Vin
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.search import logic
from shared.search.models import FleetMatch, VendorHit

router = Router()


@router.get("/vendors/search", tags=["connections"],
            summary="Find vendors within a radius of a ZIP code, nearest first (marks vendors you are connected to)")
def search_vendors(
    caller: Annotated[Principal, Depends(requires(Action.VENDOR_SEARCH))],
    zip: Annotated[str | None, Query(pattern=r"^[0-9]{5}$", description="required: a 5-digit US ZIP code")] = None,
    radius_miles: Annotated[
        float | None,
        Query(ge=logic.MIN_RADIUS_MILES, le=logic.MAX_RADIUS_MILES, description="required: 1 to 500 miles"),
    ] = None,
    limit: Limit = logic.DEFAULT_SEARCH_PAGE,
    cursor: Cursor = None,
) -> Page[VendorHit]:
    return logic.search_vendors(caller, zip, radius_miles, limit, cursor)


@router.get("/fleets/lookup", tags=["connections"],
            summary="Find the fleets running an active asset with a VIN (their id and name only; rate-limited)",
            responses={429: {"description": "too many lookups: wait Retry-After seconds"}})
def lookup_fleets(
    caller: Annotated[Principal, Depends(requires(Action.FLEET_LOOKUP))],
    vin: Annotated[Vin | None, Query(description="required: 17 characters, no I/O/Q, valid check digit")] = None,
) -> list[FleetMatch]:
    return logic.lookup_fleets(caller, vin)
