"""Data access of a vendor's customers (and which customers sit under a primary one)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.transactions import TransactWrite

from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.portal.items import CustomerItem
from shared.portal.setup.models import Customer


def customer_sk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def sub_customers_pk(org_id: str, primary_id: str) -> str:
    return f"ORG#{org_id}#PRIMARY#{primary_id}"


def set_primary_keys(item: CustomerItem) -> None:
    """gsi1 lists the customers under a primary one (sparse: only customers that have one)."""
    if item.primary_customer_id:
        item.gsi1pk = sub_customers_pk(item.org_id, item.primary_customer_id)
        item.gsi1sk = customer_sk(item.customer_id)
    else:
        item.gsi1pk = item.gsi1sk = None


def to_customer(item: CustomerItem) -> Customer:
    return Customer.model_validate(item)


def get_customer_item(org_id: str, customer_id: str) -> CustomerItem | None:
    return CustomerItem.find(org_pk(org_id), customer_sk(customer_id), consistent_read=True)


def get_customer_items(org_id: str, customer_ids: Iterable[str]) -> dict[str, CustomerItem]:
    keys = [(org_pk(org_id), customer_sk(c)) for c in dict.fromkeys(customer_ids)]
    return {item.customer_id: item for item in CustomerItem.batch_get(keys)} if keys else {}


def list_customers(org_id: str, *, limit: int, cursor: str | None) -> Page[Customer]:
    return query_page(CustomerItem.query, org_pk(org_id), range_key_condition=CustomerItem.sk.startswith("CUSTOMER#"),
                      limit=limit, cursor=cursor, convert=to_customer)


def sub_customer_ids(org_id: str, primary_id: str, limit: int | None = None) -> list[str]:
    query = CustomerItem.query(sub_customers_pk(org_id, primary_id), index_name="gsi1", limit=limit)
    return [item.customer_id for item in query]


def mark_user_added(tx: TransactWrite, customer: CustomerItem, at: datetime) -> None:
    """Links issued before `at` now need a refresh (the customer must still exist)."""
    tx.update(customer, actions=[CustomerItem.users_added_at.set(at)], condition=CustomerItem.pk.exists(),
              add_version_condition=False)
