"""Fleet services ("My services"), merchants' service connections, and merchants' orders."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.services import catalog, logic
from shared.services.models import (
    GuideSend,
    Order,
    OrderCreate,
    Service,
    ServiceConnection,
    ServiceConnectionRequest,
    ServiceConnectionStatus,
    ServiceCreate,
    ServiceGuide,
    ServiceUpdate,
)

router = Router()
ServiceIdPath = Annotated[str, Path(max_length=16, description="the service ID, e.g. SVC-4K9P2")]
ConnectionId = Annotated[str, Path(max_length=64)]
FleetManager = Annotated[Principal, Depends(requires(Action.SERVICE_MANAGE))]
Merchant = Annotated[Principal, Depends(requires(Action.MERCHANT))]
Reader = Annotated[Principal, Depends(requires(Action.CONNECTION_READ))]
TAGS = ["services"]


@router.post("/services", tags=TAGS, summary="Create a service of your fleet; it gets a shareable service ID",
             responses={201: {"description": "created"}})
def create_service(body: Annotated[ServiceCreate, Body()], caller: FleetManager) -> tuple[Service, int]:
    return logic.create_service(caller, body), 201


@router.get("/services", tags=TAGS, summary="My services: your fleet's services and their IDs")
def list_services(caller: FleetManager, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[Service]:
    return logic.list_services(caller, limit, cursor)


@router.patch("/services/<service_id>", tags=TAGS, summary="Rename a service or change its description")
def update_service(service_id: ServiceIdPath, body: Annotated[ServiceUpdate, Body()], caller: FleetManager) -> Service:
    return catalog.update_service(caller, service_id, body)


@router.post("/services/<service_id>/deactivate", tags=TAGS,
             summary="Deactivate a service: no new merchant requests (accepted merchants keep ordering)")
def deactivate_service(service_id: ServiceIdPath, caller: FleetManager) -> Service:
    return catalog.set_active(caller, service_id, False)


@router.post("/services/<service_id>/reactivate", tags=TAGS, summary="Take merchant requests on a service again")
def reactivate_service(service_id: ServiceIdPath, caller: FleetManager) -> Service:
    return catalog.set_active(caller, service_id, True)


@router.get("/services/<service_id>/guide", tags=TAGS,
            summary="The service connection guide for a merchant: the service ID and the steps")
def service_guide(service_id: ServiceIdPath, caller: FleetManager) -> ServiceGuide:
    return catalog.guide(caller, service_id)


@router.post("/services/<service_id>/guide/send", tags=TAGS, responses={202: {"description": "queued"}},
             summary="Email the service connection guide to a merchant")
def send_service_guide(service_id: ServiceIdPath, body: Annotated[GuideSend, Body()],
                       caller: FleetManager) -> tuple[ServiceGuide, int]:
    return catalog.send_guide(caller, service_id, body), 202


@router.post(
    "/service-connections",
    tags=TAGS,
    summary="Merchant: ask to connect to a fleet's service, by its service ID",
    responses={
        201: {"description": "requested; the fleet gets an email"},
        200: {"description": "you have a pending request for this service already: that one"},
    },
)
def request_service_connection(
    body: Annotated[ServiceConnectionRequest, Body()], caller: Merchant
) -> Response[ServiceConnection]:
    conn, created = logic.request_connection(caller, body)
    return Response(status_code=201 if created else 200, content_type=content_types.APPLICATION_JSON, body=conn)


@router.get("/service-connections", tags=TAGS,
            summary="Your service connections: a fleet's merchants, or a merchant's fleet services")
def list_service_connections(
    caller: Reader,
    status: Annotated[ServiceConnectionStatus | None, Query()] = None,
    service_id: Annotated[str | None, Query(max_length=16, description="only this service's")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Page[ServiceConnection]:
    return logic.list_connections(caller, status, service_id, limit, cursor)


@router.get("/service-connections/<service_connection_id>", tags=TAGS, summary="Get a service connection")
def get_service_connection(service_connection_id: ConnectionId, caller: Reader) -> ServiceConnection:
    return logic.get_connection(caller, service_connection_id)


@router.post("/service-connections/<service_connection_id>/accept", tags=TAGS,
             summary="Fleet: accept a pending merchant request (the merchant may place orders)")
def accept_service_connection(service_connection_id: ConnectionId, caller: FleetManager) -> ServiceConnection:
    return logic.decide(caller, service_connection_id, "accept")


@router.post("/service-connections/<service_connection_id>/reject", tags=TAGS,
             summary="Fleet: reject a pending merchant request")
def reject_service_connection(service_connection_id: ConnectionId, caller: FleetManager) -> ServiceConnection:
    return logic.decide(caller, service_connection_id, "reject")


@router.post("/service-connections/<service_connection_id>/revoke", tags=TAGS,
             summary="Fleet: revoke an accepted merchant (no more orders)")
def revoke_service_connection(service_connection_id: ConnectionId, caller: FleetManager) -> ServiceConnection:
    return logic.decide(caller, service_connection_id, "revoke")


@router.post(
    "/services/<service_id>/orders",
    tags=TAGS,
    summary="Merchant: record an order on a service you are accepted on",
    responses={201: {"description": "recorded"}},
)
def place_order(service_id: ServiceIdPath, body: Annotated[OrderCreate, Body()], caller: Merchant) -> tuple[Order, int]:
    return logic.place_order(caller, service_id, body), 201


@router.get("/services/<service_id>/orders", tags=TAGS,
            summary="Orders on a service, newest first: all of them for the fleet, its own for a merchant")
def list_orders(
    service_id: ServiceIdPath, caller: Reader, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None
) -> Page[Order]:
    return logic.list_orders(caller, service_id, limit, cursor)
