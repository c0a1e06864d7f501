"""Data access of customer users, their links, and when each link was last used."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from shared.db.keys import org_pk
from shared.portal.items import CustomerUserItem, LinkUseItem


def user_sk(customer_user_id: str) -> str:
    return f"CUSTUSER#{customer_user_id}"


def customer_users_pk(org_id: str, customer_id: str) -> str:
    return f"ORG#{org_id}#CUSTOMER#{customer_id}#USERS"


def link_use_sk(customer_user_id: str) -> str:
    return f"LINKUSE#{customer_user_id}"


def get_user_item(org_id: str, customer_user_id: str) -> CustomerUserItem | None:
    return CustomerUserItem.find(org_pk(org_id), user_sk(customer_user_id), consistent_read=True)


def query_users(org_id: str, customer_id: str | None, *, limit: int, last_key: dict[str, Any] | None
                ) -> tuple[list[Any], dict[str, Any] | None]:
    """One page of a vendor's (or one customer's) users: (items, LastEvaluatedKey)."""
    if customer_id:
        results = CustomerUserItem.query(customer_users_pk(org_id, customer_id), index_name="gsi1", limit=limit,
                                         last_evaluated_key=last_key)
    else:
        results = CustomerUserItem.query(org_pk(org_id), CustomerUserItem.sk.startswith("CUSTUSER#"), limit=limit,
                                         last_evaluated_key=last_key)
    items = list(results)
    return items, results.last_evaluated_key


def last_used(org_id: str, customer_user_ids: Iterable[str]) -> dict[str, datetime]:
    keys = [(org_pk(org_id), link_use_sk(u)) for u in dict.fromkeys(customer_user_ids)]
    return {item.customer_user_id: item.last_used_at for item in LinkUseItem.batch_get(keys)} if keys else {}


def link_use_item(org_id: str, customer_user_id: str, at: datetime) -> LinkUseItem:
    return LinkUseItem(org_pk(org_id), link_use_sk(customer_user_id), customer_user_id=customer_user_id,
                       last_used_at=at)
