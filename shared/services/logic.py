"""Fleet services and merchants: a fleet's services, merchants' requests to connect, and their orders.

A service connection is `pending` -> `accepted` | `rejected`; `accepted` -> `revoked` (by the
fleet). While pending or accepted, a pair claim (service, merchant) holds its id: one live
request per pair. Accepting, rejecting and revoking change who may place orders: each is
audited in both organizations' trails, and the merchant is notified (dashboard, and email through the
outbox); a request notifies the fleet.

Orders need an accepted connection: a merchant without one (never asked, pending, rejected or
revoked) gets 403 when it places an order. The connection's status is checked again inside the
order's transaction, so an order racing with a revocation cannot slip in after it.
"""

from __future__ import annotations

from typing import Literal

from shared.assets.public import get_asset_item
from shared.audit.public import add_audit_event
from shared.auth.principal import Identity, OrgKind, Principal
from shared.connections.public import count
from shared.db.base import atomic
from shared.db.claims import add_claim
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable, an
from shared.ids import new_id, spoken_code, utc_now
from shared.notifications.public import notify
from shared.orgs.public import OrgItem, get_org_item
from shared.services import dal
from shared.services.models import (
    SERVICE_ID_PREFIX,
    Order,
    OrderCreate,
    Service,
    ServiceConnection,
    ServiceConnectionItem,
    ServiceConnectionRequest,
    ServiceConnectionStatus,
    ServiceCreate,
    ServiceItem,
    ServiceOrderItem,
    normalize_service_id,
)

SERVICE_ID_ATTEMPTS = 5
REQUEST_ATTEMPTS = 4
Decision = Literal["accept", "reject", "revoke"]
# decision -> (the status it applies to, the status it leads to)
TRANSITIONS: dict[Decision, tuple[ServiceConnectionStatus, ServiceConnectionStatus]] = {
    "accept": (ServiceConnectionStatus.PENDING, ServiceConnectionStatus.ACCEPTED),
    "reject": (ServiceConnectionStatus.PENDING, ServiceConnectionStatus.REJECTED),
    "revoke": (ServiceConnectionStatus.ACCEPTED, ServiceConnectionStatus.REVOKED),
}


def new_service_id() -> str:
    """SVC- and 5 characters people read aloud and type without mistakes (no 0/O, 1/I, Q)."""
    return SERVICE_ID_PREFIX + spoken_code(5)


def _own_org(caller: Principal) -> OrgItem:
    org = get_org_item(caller.org_id)
    if org is None:
        raise NotFound("your organization is not registered")
    return org


# -- services (fleet) --------------------------------------------------------------------------
class _ServiceIdTaken(DomainError):
    pass


def create_service(caller: Principal, body: ServiceCreate) -> Service:
    return add_service(caller, caller.org_id, body)


def add_service(actor: Identity, fleet_id: str, body: ServiceCreate, *, first: bool = False) -> Service:
    """A new service with a fresh ID (drawn again when taken). `first`: the fleet's first service, given
    at sign-up (catalog.py), claimed once per fleet: a second try is a Conflict."""
    for _ in range(SERVICE_ID_ATTEMPTS):
        try:
            return _create_service(actor, fleet_id, body, new_service_id(), first)
        except _ServiceIdTaken:
            continue
    raise Conflict("could not allot a unique service ID; try again")


def _create_service(actor: Identity, fleet_id: str, body: ServiceCreate, service_id: str, first: bool) -> Service:
    now = utc_now()
    item = ServiceItem(org_pk(fleet_id), dal.service_sk(service_id), service_id=service_id,
                       org_id=fleet_id, name=body.name, description=body.description, created_at=now,
                       updated_at=now)

    def conflict(failed: set[str]) -> DomainError:
        if dal.service_claim_pk(service_id) in failed:
            return _ServiceIdTaken("service ID taken")
        return Conflict("the service could not be created; try again")

    with atomic(conflict) as tx:
        tx.save(item, condition=ServiceItem.pk.does_not_exist())
        add_claim(tx, dal.service_claim_pk(service_id), service_id, fleet_id)
        if first:
            add_claim(tx, dal.first_service_claim_pk(fleet_id), service_id, fleet_id)
        add_audit_event(tx, org_id=fleet_id, actor=actor, action="service.created", target_type="service",
                        target_id=service_id, after=dal.to_service(item))
    return dal.to_service(item)


def list_services(caller: Principal, limit: int, cursor: str | None) -> Page[Service]:
    return dal.list_service_items(caller.org_id, limit=limit, cursor=cursor)


# -- service connections ---------------------------------------------------------------------
def request_connection(caller: Principal, body: ServiceConnectionRequest) -> tuple[ServiceConnection, bool]:
    """A merchant asks to connect to a service: the new pending request and True, or its pending one and False."""
    service = dal.find_service_item(body.service_id)
    if service is None:
        raise NotFound(f"no service has the ID {body.service_id}: check it with the fleet",
                       [{"field": "service_id", "message": "unknown service ID"}])
    merchant = _own_org(caller)
    fleet = get_org_item(service.org_id)
    if fleet is None:
        raise NotFound(f"no service has the ID {body.service_id}")
    if service.deactivated_at is not None:
        raise Conflict(f"service {service.service_id} ({service.name}) takes no new requests: {fleet.name} "
                       "deactivated it; ask them for a current service ID")
    for _ in range(REQUEST_ATTEMPTS):
        existing = dal.live_connection_item(service.service_id, caller.org_id)
        if existing is not None:
            if existing.status == ServiceConnectionStatus.PENDING:
                return dal.to_connection(existing), False
            raise Conflict(f"you are connected to service {service.service_id} already "
                           f"(service connection {existing.connection_id})")
        try:
            return _create_request(caller, service, fleet, merchant), True
        except _PairTaken:
            continue  # a racing request won: answer with it
    raise Conflict("the request raced with other changes; try again")


class _PairTaken(DomainError):
    pass


def _create_request(caller: Principal, service: ServiceItem, fleet: OrgItem, merchant: OrgItem) -> ServiceConnection:
    now = utc_now()
    connection_id = new_id("scn")
    item = ServiceConnectionItem(
        dal.connection_pk(connection_id), dal.SVCCONN, connection_id=connection_id, service_id=service.service_id,
        service_name=service.name, fleet_id=fleet.org_id, fleet_name=fleet.name, merchant_id=merchant.org_id,
        merchant_name=merchant.name, requested_by=caller.user_id, status=ServiceConnectionStatus.PENDING.value,
        created_at=now, updated_at=now,
    )
    dal.index_connection(item)
    with atomic(lambda failed: _PairTaken("a live request exists")) as tx:
        tx.save(item, condition=ServiceConnectionItem.pk.does_not_exist())
        dal.claim_pair(tx, item)
        tx.condition_check(ServiceItem, service.pk, service.sk,
                           condition=ServiceItem.deactivated_at.does_not_exist())  # not deactivated meanwhile
        count(tx, fleet.org_id, merchant.org_id, pending_requests=1)  # awaits the fleet, on the pair's record
        notify(
            tx, fleet, kind="service_connection.requested",
            title=f"{merchant.name} asks to connect to your service {service.name}",
            body=(f"Hello {fleet.name},\n\n{merchant.name} asks to connect to your service {service.name} "
                  f"({service.service_id}) as a merchant.\nAccept or reject the request in Fleetbridge "
                  f"under My services (service connection {connection_id}).\n"),
            data={"service_connection_id": connection_id, "service_id": service.service_id,
                  "merchant_id": merchant.org_id},
        )
    return dal.to_connection(item)


def _visible_connection(caller: Principal, connection_id: str) -> ServiceConnectionItem:
    item = dal.get_connection_item(connection_id)
    if item is None or caller.org_id not in (item.fleet_id, item.merchant_id):
        raise NotFound(f"service connection {connection_id} not found")
    return item


def get_connection(caller: Principal, connection_id: str) -> ServiceConnection:
    return dal.to_connection(_visible_connection(caller, connection_id))


def list_connections(
    caller: Principal, status: ServiceConnectionStatus | None, service_id: str | None, limit: int, cursor: str | None
) -> Page[ServiceConnection]:
    return dal.list_connection_items(
        caller.org_id, as_fleet=caller.org_kind is OrgKind.FLEET, status=status,
        service_id=normalize_service_id(service_id) if service_id else None, limit=limit, cursor=cursor,
    )


def decide(caller: Principal, connection_id: str, decision: Decision) -> ServiceConnection:
    """The fleet accepts or rejects a pending request, or revokes an accepted one."""
    item = dal.get_connection_item(connection_id)
    if item is None or item.fleet_id != caller.org_id:
        raise NotFound(f"service connection {connection_id} not found")
    source, target = TRANSITIONS[decision]
    if item.status != source.value:
        raise Conflict(f"the service connection is {item.status}: only {an(source.value)} one can be {target.value}")
    merchant = get_org_item(item.merchant_id)
    before = dal.to_connection(item)
    item.status = target.value
    item.decided_by = caller.user_id
    item.updated_at = utc_now()
    dal.index_connection(item)
    after = dal.to_connection(item)
    with atomic("the service connection changed meanwhile; reload it and try again") as tx:
        tx.save(item)
        if target is not ServiceConnectionStatus.ACCEPTED:
            dal.release_pair(tx, item)
        if source is ServiceConnectionStatus.PENDING:
            count(tx, item.fleet_id, item.merchant_id, pending_requests=-1)  # answered
        for org_id in (item.fleet_id, item.merchant_id):
            add_audit_event(tx, org_id=org_id, actor=caller, action=f"service_connection.{target.value}",
                            target_type="service_connection", target_id=connection_id, before=before, after=after)
        if merchant is not None:
            subject, body = _decision_email(item, merchant.name, target)
            notify(tx, merchant, kind=f"service_connection.{target.value}", title=subject, body=body,
                   data={"service_connection_id": connection_id, "service_id": item.service_id,
                         "fleet_id": item.fleet_id})
    return dal.to_connection(item)


def _decision_email(item: ServiceConnectionItem, merchant_name: str, target: ServiceConnectionStatus
                    ) -> tuple[str, str]:
    service = f"{item.fleet_name}'s service {item.service_name} ({item.service_id})"
    what = {
        ServiceConnectionStatus.ACCEPTED: (f"{item.fleet_name} accepted your request",
                                           f"{service} accepted your request: you can place orders on it now."),
        ServiceConnectionStatus.REJECTED: (f"{item.fleet_name} declined your request",
                                           f"{service} declined your request to connect."),
        ServiceConnectionStatus.REVOKED: (f"{item.fleet_name} ended your connection",
                                          f"{service} revoked your connection: you can no longer place orders on it."),
    }
    subject, text = what[target]
    return subject, f"Hello {merchant_name},\n\n{text}\n"


# -- orders ----------------------------------------------------------------------------------
def _state_of(service: ServiceItem, live: ServiceConnectionItem | None, caller: Principal) -> str:
    """Why there is no accepted connection, in the merchant's words: pending, or rejected / revoked when."""
    if live is not None:
        return f"is {live.status}"
    closed = dal.closed_connection_item(service.service_id, caller.org_id)
    if closed is None:
        return "does not exist: request one first"
    return f"was {closed.status} on {closed.updated_at.date().isoformat()}: request a new one"

def place_order(caller: Principal, service_id: str, body: OrderCreate) -> Order:
    service = dal.find_service_item(normalize_service_id(service_id))
    if service is None:
        raise NotFound(f"service {service_id} not found")
    conn = dal.live_connection_item(service.service_id, caller.org_id)
    if conn is None or conn.status != ServiceConnectionStatus.ACCEPTED.value:
        raise Forbidden(f"your merchant connection to service {service.service_id} {_state_of(service, conn, caller)}"
                        ": orders need an accepted one")
    if body.asset_id is not None and get_asset_item(service.org_id, body.asset_id) is None:
        raise Unprocessable.field("asset_id", f"no asset {body.asset_id} in this service's fleet")
    order_id = new_id("ord")
    item = ServiceOrderItem(
        dal.orders_pk(service.service_id), dal.order_sk(order_id), order_id=order_id, service_id=service.service_id,
        fleet_id=service.org_id, merchant_id=caller.org_id, merchant_name=conn.merchant_name,
        connection_id=conn.connection_id, description=body.description, asset_id=body.asset_id,
        amount=f"{body.amount:.2f}", created_by=caller.user_id, created_at=utc_now(),
    )
    dal.index_order(item)

    def revoked(failed: set[str]) -> DomainError:
        return Forbidden(f"your merchant connection to service {service.service_id} ended meanwhile: "
                         "orders need an accepted one")

    with atomic(revoked) as tx:
        tx.condition_check(ServiceConnectionItem, conn.pk, conn.sk,
                           condition=ServiceConnectionItem.status == ServiceConnectionStatus.ACCEPTED.value)
        tx.save(item, condition=ServiceOrderItem.pk.does_not_exist())
    return dal.to_order(item)


def list_orders(caller: Principal, service_id: str, limit: int, cursor: str | None) -> Page[Order]:
    """The fleet sees every order on its service; a merchant sees its own orders only."""
    code = normalize_service_id(service_id)
    if caller.org_kind is OrgKind.FLEET:
        if dal.get_service_item(caller.org_id, code) is None:
            raise NotFound(f"service {service_id} not found")
        return dal.list_order_items(code, merchant_id=None, limit=limit, cursor=cursor)
    if dal.find_service_item(code) is None:
        raise NotFound(f"service {service_id} not found")
    return dal.list_order_items(code, merchant_id=caller.org_id, limit=limit, cursor=cursor)
