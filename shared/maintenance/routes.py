"""Dispatch: a fleet's assets with their maintenance statuses, and the check before assigning (fleetrock.md)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.assets.public import AssetKind
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.maintenance import dispatch
from shared.maintenance.models import DispatchAsset, DispatchCheck, DispatchCheckResult

router = Router()
Dispatcher = Annotated[Principal, Depends(requires(Action.DISPATCH_READ))]


@router.get("/dispatch/assets", tags=["dispatch"],
            summary="Your trucks and trailers with asset status and top maintenance status, newest first")
def list_dispatch_assets(caller: Dispatcher, kind: Annotated[AssetKind | None, Query()] = None,
                         limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[DispatchAsset]:
    return dispatch.list_dispatch(caller, limit, cursor, kind)


@router.post("/dispatch/check", tags=["dispatch"],
             summary="Before assigning: every maintenance status of the truck and/or trailer, as warnings",
             description="Never blocks: `blocked` is always false.")
def check_dispatch(body: Annotated[DispatchCheck, Body()], caller: Dispatcher) -> DispatchCheckResult:
    return dispatch.check(caller, body)
