"""Customer users: who at a customer may open the portal, and which of the customer's sites they see."""

from __future__ import annotations

from datetime import datetime

from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.db.base import atomic, expect_version
from shared.db.keys import org_pk
from shared.db.pagination import Page, decode_cursor, encode_cursor
from shared.errors import NotFound, Unprocessable
from shared.ids import new_id, utc_now
from shared.portal.items import CustomerItem, CustomerUserItem
from shared.portal.setup import customers_dal, sites_dal
from shared.portal.setup import users_dal as dal
from shared.portal.setup.models import CustomerUser, CustomerUserCreate, CustomerUserUpdate, PortalLinkState


def get_item(caller: Principal, customer_user_id: str) -> CustomerUserItem:
    item = dal.get_user_item(caller.org_id, customer_user_id)
    if item is None:
        raise NotFound(f"customer user {customer_user_id} not found")
    return item


def link_state(item: CustomerUserItem, customer: CustomerItem | None, last_used: datetime | None) -> PortalLinkState:
    added = customer.users_added_at if customer else None
    needs_refresh = bool(item.link_enabled and item.link_activated_at and added and added > item.link_activated_at)
    return PortalLinkState(enabled=bool(item.link_enabled), version=int(item.link_version or 0),
                           activated_at=item.link_activated_at, expires_at=item.link_expires_at,
                           needs_refresh=needs_refresh, last_used_at=last_used)


def to_user(item: CustomerUserItem, customer: CustomerItem | None, last_used: datetime | None) -> CustomerUser:
    return CustomerUser(customer_user_id=item.customer_user_id, org_id=item.org_id, customer_id=item.customer_id,
                        name=item.name, email=item.email, site_ids=list(item.site_ids or []),
                        portal_link=link_state(item, customer, last_used), created_at=item.created_at,
                        updated_at=item.updated_at, version=int(item.version or 0))


def snapshot(item: CustomerUserItem) -> dict[str, object]:
    """What the audit trail keeps of a user: who, which customer, which sites, the link's state."""
    return {"customer_id": item.customer_id, "name": item.name, "email": item.email,
            "site_ids": list(item.site_ids or []), "link_enabled": bool(item.link_enabled),
            "link_version": int(item.link_version or 0),
            "link_expires_at": item.link_expires_at.isoformat() if item.link_expires_at else None}


def _check_sites(caller: Principal, customer_id: str, site_ids: list[str]) -> list[str]:
    """Only sites of the user's own customer may be chosen (422 otherwise)."""
    wanted = list(dict.fromkeys(site_ids))
    found = sites_dal.get_site_items(caller.org_id, wanted)
    wrong = [s for s in wanted if s not in found or found[s].customer_id != customer_id]
    if wrong:
        raise Unprocessable.field("site_ids", f"not sites of customer {customer_id}: {', '.join(wrong)}")
    return wanted


def create_user(caller: Principal, body: CustomerUserCreate) -> CustomerUser:
    customer = customers_dal.get_customer_item(caller.org_id, body.customer_id)
    if customer is None:
        raise Unprocessable.field("customer_id", f"no customer {body.customer_id} among your customers")
    site_ids = _check_sites(caller, body.customer_id, body.site_ids)
    now = utc_now()
    user_id = new_id("cu")
    item = CustomerUserItem(org_pk(caller.org_id), dal.user_sk(user_id), customer_user_id=user_id,
                            org_id=caller.org_id, customer_id=body.customer_id, name=body.name, email=body.email,
                            site_ids=site_ids, link_enabled=False, link_version=0, created_at=now, updated_at=now,
                            gsi1pk=dal.customer_users_pk(caller.org_id, body.customer_id), gsi1sk=dal.user_sk(user_id))
    with atomic("the customer changed meanwhile; try again") as tx:
        tx.save(item, condition=CustomerUserItem.pk.does_not_exist())
        customers_dal.mark_user_added(tx, customer, now)  # the existing links now need a refresh
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="customer_user.created",
                        target_type="customer_user", target_id=user_id, after=snapshot(item))
    customer.users_added_at = now
    return to_user(item, customer, None)


def get_user(caller: Principal, customer_user_id: str) -> CustomerUser:
    item = get_item(caller, customer_user_id)
    customer = customers_dal.get_customer_item(caller.org_id, item.customer_id)
    return to_user(item, customer, dal.last_used(caller.org_id, [customer_user_id]).get(customer_user_id))


def list_users(caller: Principal, customer_id: str | None, limit: int, cursor: str | None) -> Page[CustomerUser]:
    partition = dal.customer_users_pk(caller.org_id, customer_id) if customer_id else org_pk(caller.org_id)
    attr = "gsi1pk" if customer_id else "pk"
    items, last_key = dal.query_users(caller.org_id, customer_id, limit=limit,
                                      last_key=decode_cursor(cursor, partition, attr))
    customers = customers_dal.get_customer_items(caller.org_id, [i.customer_id for i in items])
    used = dal.last_used(caller.org_id, [i.customer_user_id for i in items])
    return Page[CustomerUser](
        items=[to_user(i, customers.get(i.customer_id), used.get(i.customer_user_id)) for i in items],
        next_cursor=encode_cursor(last_key, partition))


def update_user(caller: Principal, customer_user_id: str, body: CustomerUserUpdate) -> CustomerUser:
    item = get_item(caller, customer_user_id)
    expect_version(item, body.version, "customer user")
    before = snapshot(item)
    if body.name is not None:
        item.name = body.name
    if body.email is not None:
        item.email = body.email
    if body.site_ids is not None:
        item.site_ids = _check_sites(caller, item.customer_id, body.site_ids)
    item.updated_at = utc_now()
    with atomic("the customer user changed meanwhile; reload and try again") as tx:
        tx.save(item)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="customer_user.updated",
                        target_type="customer_user", target_id=customer_user_id, before=before, after=snapshot(item))
    return get_user(caller, customer_user_id)
