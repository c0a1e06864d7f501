"""An asset's repair orders from Fleetrock, as its events (fleetrock.md; Alvys' "Asset Events")."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.fleetrock.history.models import AssetEvent

router = Router()
Reader = Annotated[Principal, Depends(requires(Action.ASSET_READ))]
AssetId = Annotated[str, Path(max_length=64)]


@router.get("/assets/<asset_id>/events", tags=["assets"],
            summary="The asset's repair orders from Fleetrock, open and closed, newest first",
            description="Every repair order Fleetrock has for the asset's VIN, newest created first: Fleetrock's "
            "status and ours (null once closed), dates (UTC), priority, vendor, meters, tasks and notes (bounded: "
            "what is left out is counted). 404 for an asset not in your fleet.")
def list_asset_events(asset_id: AssetId, caller: Reader, limit: Limit = DEFAULT_PAGE_SIZE,
                      cursor: Cursor = None) -> Page[AssetEvent]:
    # imported here: the assets handler includes this router with every /assets request (one catalog
    # segment), and the Fleetrock models behind it would cost that first request ~30 ms
    from shared.fleetrock.history import events as history

    return history.asset_events(caller, asset_id, limit, cursor)
