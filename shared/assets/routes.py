"""A fleet's assets (trucks and trailers)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.assets import logic
from shared.assets.models import Asset, AssetCreate, AssetKind, AssetStatus, AssetUpdate
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page

router = Router()
AssetId = Annotated[str, Path(max_length=64)]
Reader = Annotated[Principal, Depends(requires(Action.ASSET_READ))]
Writer = Annotated[Principal, Depends(requires(Action.ASSET_WRITE))]


@router.post(
    "/assets",
    tags=["assets"],
    summary="Create an asset; an inactive asset with the same VIN is reactivated instead",
    responses={201: {"description": "created"}, 200: {"description": "an inactive asset with this VIN reactivated"}},
)
def create_asset(body: Annotated[AssetCreate, Body()], caller: Writer) -> Response[Asset]:
    asset, created = logic.create_asset(caller, body)
    return Response(status_code=201 if created else 200, content_type=content_types.APPLICATION_JSON, body=asset)


@router.get("/assets", tags=["assets"], summary="List your fleet's assets, newest first")
def list_assets(
    caller: Reader,
    status: Annotated[AssetStatus | None, Query()] = None,
    kind: Annotated[AssetKind | None, Query()] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Page[Asset]:
    return logic.list_assets(caller, status, kind, limit, cursor)


@router.get("/assets/<asset_id>", tags=["assets"], summary="Get an asset")
def get_asset(asset_id: AssetId, caller: Reader) -> Asset:
    return logic.get_asset(caller, asset_id)


@router.patch("/assets/<asset_id>", tags=["assets"], summary="Update an asset (send the version you read)")
def update_asset(asset_id: AssetId, body: Annotated[AssetUpdate, Body()], caller: Writer) -> Asset:
    return logic.update_asset(caller, asset_id, body)


@router.delete("/assets/<asset_id>", tags=["assets"], summary="Delete an asset: it becomes inactive")
def delete_asset(asset_id: AssetId, caller: Writer) -> tuple[None, int]:
    logic.deactivate_asset(caller, asset_id)
    return None, 204
