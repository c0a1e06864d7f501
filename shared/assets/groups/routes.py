"""Asset groups and their members."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.assets.groups import logic
from shared.assets.groups.models import Group, GroupCreate, GroupUpdate
from shared.assets.models import Asset
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page

router = Router()
GroupId = Annotated[str, Path(max_length=64)]
AssetId = Annotated[str, Path(max_length=64)]
Reader = Annotated[Principal, Depends(requires(Action.GROUP_READ))]
Writer = Annotated[Principal, Depends(requires(Action.GROUP_WRITE))]


@router.post("/groups", tags=["groups"], summary="Create an asset group",
             responses={201: {"description": "created"}})
def create_group(body: Annotated[GroupCreate, Body()], caller: Writer) -> tuple[Group, int]:
    return logic.create_group(caller, body), 201


@router.get("/groups", tags=["groups"], summary="List your fleet's asset groups")
def list_groups(caller: Reader, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[Group]:
    return logic.list_groups(caller, limit, cursor)


@router.get("/groups/<group_id>", tags=["groups"], summary="Get an asset group")
def get_group(group_id: GroupId, caller: Reader) -> Group:
    return logic.get_group(caller, group_id)


@router.patch("/groups/<group_id>", tags=["groups"], summary="Rename or describe an asset group")
def update_group(group_id: GroupId, body: Annotated[GroupUpdate, Body()], caller: Writer) -> Group:
    return logic.update_group(caller, group_id, body)


@router.delete("/groups/<group_id>", tags=["groups"], summary="Delete an asset group (its assets stay)")
def delete_group(group_id: GroupId, caller: Writer) -> tuple[None, int]:
    logic.delete_group(caller, group_id)
    return None, 204


@router.get("/groups/<group_id>/assets", tags=["groups"], summary="List the assets in a group")
def list_group_assets(
    group_id: GroupId, caller: Reader, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None
) -> Page[Asset]:
    return logic.list_group_assets(caller, group_id, limit, cursor)


@router.put("/groups/<group_id>/assets/<asset_id>", tags=["groups"], summary="Put an asset in a group")
def add_group_asset(group_id: GroupId, asset_id: AssetId, caller: Writer) -> tuple[None, int]:
    logic.add_asset(caller, group_id, asset_id)
    return None, 204


@router.delete("/groups/<group_id>/assets/<asset_id>", tags=["groups"], summary="Take an asset out of a group")
def remove_group_asset(group_id: GroupId, asset_id: AssetId, caller: Writer) -> tuple[None, int]:
    logic.remove_asset(caller, group_id, asset_id)
    return None, 204
