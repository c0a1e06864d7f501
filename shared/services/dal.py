"""Data access of fleet services, service connections and orders."""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from shared.db.claims import CLAIM, ClaimItem
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.services.models import (
    Order,
    Service,
    ServiceConnection,
    ServiceConnectionItem,
    ServiceConnectionStatus,
    ServiceItem,
    ServiceOrderItem,
)

SVCCONN = "SVCCONN"


def service_sk(service_id: str) -> str:
    return f"SERVICE#{service_id}"


def service_claim_pk(service_id: str) -> str:
    return f"SERVICE#{service_id}"


def connection_pk(connection_id: str) -> str:
    return f"SVCCONN#{connection_id}"


def pair_claim_pk(service_id: str, merchant_id: str) -> str:
    return f"SVCPAIR#{service_id}#{merchant_id}"


def org_connections_partition(org_id: str) -> str:
    return f"ORG#{org_id}#SVCCONNS"


def orders_pk(service_id: str) -> str:
    return f"SERVICE#{service_id}#ORDERS"


def merchant_orders_partition(merchant_id: str, service_id: str) -> str:
    return f"ORG#{merchant_id}#SERVICE#{service_id}#ORDERS"


def order_sk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def index_connection(item: ServiceConnectionItem) -> None:
    """Keep both sides' list keys (gsi1 fleet, gsi2 merchant) in step with the status."""
    item.gsi1pk = org_connections_partition(item.fleet_id)
    item.gsi2pk = org_connections_partition(item.merchant_id)
    item.gsi1sk = item.gsi2sk = f"{item.status}#{item.connection_id}"


def to_service(item: ServiceItem) -> Service:
    return Service.model_validate(item)


def to_connection(item: ServiceConnectionItem) -> ServiceConnection:
    return ServiceConnection.model_validate(item)


def to_order(item: ServiceOrderItem) -> Order:
    return Order.model_validate(item)


# -- services --
def get_service_item(fleet_id: str, service_id: str) -> ServiceItem | None:
    return ServiceItem.find(org_pk(fleet_id), service_sk(service_id), consistent_read=True)


def first_service_claim_pk(fleet_id: str) -> str:
    return f"ORG#{fleet_id}#FIRSTSERVICE"


def first_service_given(fleet_id: str) -> bool:
    """Whether the fleet got its first service (the claim written with it: logic.add_service, first)."""
    return ClaimItem.find(first_service_claim_pk(fleet_id), CLAIM, consistent_read=True) is not None


def find_service_item(service_id: str) -> ServiceItem | None:
    """A service by its ID alone (what a merchant knows): its claim names the fleet."""
    claim = ClaimItem.find(service_claim_pk(service_id), CLAIM, consistent_read=True)
    if claim is None:
        return None
    return get_service_item(claim.org_id, service_id)


def list_service_items(fleet_id: str, *, limit: int, cursor: str | None) -> Page[Service]:
    return query_page(ServiceItem.query, org_pk(fleet_id), range_key_condition=ServiceItem.sk.startswith("SERVICE#"),
                      limit=limit, cursor=cursor, convert=to_service)


# -- service connections --
def get_connection_item(connection_id: str) -> ServiceConnectionItem | None:
    return ServiceConnectionItem.find(connection_pk(connection_id), SVCCONN, consistent_read=True)


def live_connection_item(service_id: str, merchant_id: str) -> ServiceConnectionItem | None:
    """The merchant's pending or accepted connection to the service, if there is one."""
    claim = ClaimItem.find(pair_claim_pk(service_id, merchant_id), CLAIM, consistent_read=True)
    if claim is None:
        return None
    return get_connection_item(claim.owner_id)


def closed_connection_item(service_id: str, merchant_id: str) -> ServiceConnectionItem | None:
    """The merchant's latest rejected or revoked connection to the service (what an order is told), if any:
    a Query per status on the merchant's partition of gsi2, filtered to the service."""
    found = [item for status in (ServiceConnectionStatus.REVOKED, ServiceConnectionStatus.REJECTED)
             for item in ServiceConnectionItem.query(
                 org_connections_partition(merchant_id), ServiceConnectionItem.gsi2sk.startswith(f"{status.value}#"),
                 index_name="gsi2", filter_condition=ServiceConnectionItem.service_id == service_id,
                 scan_index_forward=False)]
    return max(found, key=lambda item: item.updated_at, default=None)


def list_connection_items(
    org_id: str,
    *,
    as_fleet: bool,
    status: ServiceConnectionStatus | None,
    service_id: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ServiceConnection]:
    """The fleet's (gsi1) or the merchant's (gsi2) service connections, by status, newest first within one."""
    index = "gsi1" if as_fleet else "gsi2"
    sort_key = ServiceConnectionItem.gsi1sk if as_fleet else ServiceConnectionItem.gsi2sk
    return query_page(
        ServiceConnectionItem.query,
        org_connections_partition(org_id),
        index_name=index,
        range_key_condition=sort_key.startswith(f"{status.value}#") if status else None,
        filter_condition=(ServiceConnectionItem.service_id == service_id) if service_id else None,
        scan_index_forward=False,
        limit=limit,
        cursor=cursor,
        convert=to_connection,
    )


def claim_pair(tx: TransactWrite, item: ServiceConnectionItem) -> None:
    tx.save(ClaimItem(pair_claim_pk(item.service_id, item.merchant_id), CLAIM, owner_id=item.connection_id,
                      org_id=item.merchant_id),
            condition=ClaimItem.pk.does_not_exist())


def release_pair(tx: TransactWrite, item: ServiceConnectionItem) -> None:
    tx.delete(ClaimItem(pair_claim_pk(item.service_id, item.merchant_id), CLAIM),
              condition=ClaimItem.owner_id == item.connection_id)


# -- orders --
def index_order(item: ServiceOrderItem) -> None:
    """The merchant's list key (gsi1)."""
    item.gsi1pk = merchant_orders_partition(item.merchant_id, item.service_id)
    item.gsi1sk = order_sk(item.order_id)


def list_order_items(
    service_id: str, *, merchant_id: str | None, limit: int, cursor: str | None
) -> Page[Order]:
    """Newest first: every order on the service (the fleet), or one merchant's (gsi1)."""
    if merchant_id is None:
        return query_page(ServiceOrderItem.query, orders_pk(service_id), scan_index_forward=False, limit=limit,
                          cursor=cursor, convert=to_order)
    return query_page(ServiceOrderItem.query, merchant_orders_partition(merchant_id, service_id), index_name="gsi1",
                      scan_index_forward=False, limit=limit, cursor=cursor, convert=to_order)
