"""Connection requests between fleets and vendors, their groups, the vendor's view of assets."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.connections import grants, logic
from shared.connections.models import (
    Connection,
    ConnectionRequest,
    ConnectionStatus,
    Grant,
    GrantUpdate,
    SharedAsset,
)
from shared.db.pagination import Page

router = Router()
ConnectionId = Annotated[str, Path(max_length=64)]
Reader = Annotated[Principal, Depends(requires(Action.CONNECTION_READ))]
Writer = Annotated[Principal, Depends(requires(Action.CONNECTION_WRITE))]


@router.post("/connections", tags=["connections"], summary="Ask another organization to connect",
             responses={201: {"description": "request created"},
                        200: {"description": "they had asked you already: their pending request"}})
def request_connection(body: Annotated[ConnectionRequest, Body()], caller: Writer) -> Response[Connection]:
    item, created = logic.request_connection(caller, body)
    return Response(status_code=201 if created else 200, content_type=content_types.APPLICATION_JSON, body=item)


@router.get("/connections", tags=["connections"], summary="List your connections, newest first")
def list_connections(
    caller: Reader,
    status: Annotated[ConnectionStatus | None, Query()] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Page[Connection]:
    return logic.list_connections(caller, status, limit, cursor)


@router.get("/connections/<connection_id>", tags=["connections"], summary="Get a connection")
def get_connection(connection_id: ConnectionId, caller: Reader) -> Connection:
    return logic.get_connection(caller, connection_id)


@router.post("/connections/<connection_id>/accept", tags=["connections"], summary="Accept a request (recipient)")
def accept(connection_id: ConnectionId, caller: Writer) -> Connection:
    return logic.accept(caller, connection_id)


@router.post("/connections/<connection_id>/reject", tags=["connections"], summary="Reject a request (recipient)")
def reject(connection_id: ConnectionId, caller: Writer) -> Connection:
    return logic.reject(caller, connection_id)


@router.post("/connections/<connection_id>/cancel", tags=["connections"], summary="Cancel your pending request")
def cancel(connection_id: ConnectionId, caller: Writer) -> Connection:
    return logic.cancel(caller, connection_id)


@router.post("/connections/<connection_id>/disconnect", tags=["connections"],
             summary="End an accepted connection: the vendor's access to your groups ends with it")
def disconnect(connection_id: ConnectionId, caller: Writer) -> Connection:
    return logic.disconnect(caller, connection_id)


@router.get("/connections/<connection_id>/groups", tags=["connections"],
            summary="The asset groups the vendor of this connection sees")
def get_grant(connection_id: ConnectionId, caller: Reader) -> Grant:
    return grants.get_grant(caller, connection_id)


@router.put("/connections/<connection_id>/groups", tags=["connections"],
            summary="Set the asset groups the vendor sees (fleet; replaces them; send the version you read)")
def set_grant(
    connection_id: ConnectionId,
    body: Annotated[GrantUpdate, Body()],
    caller: Annotated[Principal, Depends(requires(Action.CONNECTION_GRANT))],
) -> Grant:
    return grants.set_grant(caller, connection_id, body)


@router.get("/fleets/<fleet_id>/assets", tags=["connections"],
            summary="A connected fleet's assets in the groups it granted you (vendor)")
def list_shared_assets(
    fleet_id: Annotated[str, Path(max_length=64)],
    caller: Annotated[Principal, Depends(requires(Action.SHARED_ASSET_READ))],
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Page[SharedAsset]:
    return grants.list_shared_assets(caller, fleet_id, limit, cursor)
