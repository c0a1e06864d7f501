"""A vendor's customers: create, read, change (permissions and primary customer are audited)."""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.db.base import atomic, expect_version
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.errors import NotFound, Unprocessable
from shared.ids import new_id, utc_now
from shared.portal.items import CustomerItem
from shared.portal.setup import customers_dal as dal
from shared.portal.setup.models import Customer, CustomerCreate, CustomerUpdate

_RACE = "a customer changed meanwhile; reload and try again"


def get_item(caller: Principal, customer_id: str) -> CustomerItem:
    item = dal.get_customer_item(caller.org_id, customer_id)
    if item is None:
        raise NotFound(f"customer {customer_id} not found")
    return item


def _check_primary(caller: Principal, customer_id: str, primary_id: str) -> CustomerItem:
    """One level only: a primary is not under another, and a customer with customers under it gets no primary;
    the primary, as read."""
    if primary_id == customer_id:
        raise Unprocessable.field("primary_customer_id", "a customer cannot be its own primary customer")
    primary = dal.get_customer_item(caller.org_id, primary_id)
    if primary is None:
        raise Unprocessable.field("primary_customer_id", f"no customer {primary_id} among your customers")
    if primary.primary_customer_id:
        raise Unprocessable.field("primary_customer_id", "that customer is itself under a primary customer")
    if dal.sub_customer_ids(caller.org_id, customer_id, limit=1):
        raise Unprocessable.field("primary_customer_id", "this customer is a primary customer of others")
    return primary


def _primary_still_top_level(tx: TransactWrite, caller: Principal, primary_id: str) -> None:
    tx.condition_check(CustomerItem, org_pk(caller.org_id), dal.customer_sk(primary_id),
                       condition=CustomerItem.pk.exists() & CustomerItem.primary_customer_id.does_not_exist())


def _join_primary(tx: TransactWrite, primary: CustomerItem) -> None:
    """A customer goes under `primary`: its version goes up in the same transaction, still top level, so
    that the primary gaining a primary of its own at the same moment (a versioned save) loses with a 409."""
    tx.update(primary, actions=[CustomerItem.updated_at.set(utc_now())],
              condition=CustomerItem.primary_customer_id.does_not_exist())


def create_customer(caller: Principal, body: CustomerCreate) -> Customer:
    customer_id = new_id("cus")
    primary = _check_primary(caller, customer_id, body.primary_customer_id) if body.primary_customer_id else None
    now = utc_now()
    item = CustomerItem(org_pk(caller.org_id), dal.customer_sk(customer_id), customer_id=customer_id,
                        org_id=caller.org_id, name=body.name, contact_name=body.contact_name,
                        contact_email=body.contact_email, contact_phone=body.contact_phone,
                        permissions=body.permissions.model_dump(), primary_customer_id=body.primary_customer_id,
                        created_at=now, updated_at=now)
    dal.set_primary_keys(item)
    with atomic(_RACE) as tx:
        tx.save(item, condition=CustomerItem.pk.does_not_exist())
        if primary is not None:
            _join_primary(tx, primary)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="customer.created", target_type="customer",
                        target_id=customer_id, after=dal.to_customer(item))
    return dal.to_customer(item)


def get_customer(caller: Principal, customer_id: str) -> Customer:
    return dal.to_customer(get_item(caller, customer_id))


def list_customers(caller: Principal, limit: int, cursor: str | None) -> Page[Customer]:
    return dal.list_customers(caller.org_id, limit=limit, cursor=cursor)


def update_customer(caller: Principal, customer_id: str, body: CustomerUpdate) -> Customer:
    item = get_item(caller, customer_id)
    expect_version(item, body.version, "customer")
    before = dal.to_customer(item)
    fields = body.model_fields_set
    new_primary = body.primary_customer_id if "primary_customer_id" in fields else item.primary_customer_id
    joined = None  # the primary it goes under now
    if new_primary and new_primary != item.primary_customer_id:
        joined = _check_primary(caller, customer_id, new_primary)
    for name in ("name", "contact_name", "contact_email", "contact_phone"):
        if name in fields:
            setattr(item, name, getattr(body, name))
    if body.permissions is not None:
        item.permissions = body.permissions.model_dump()
    item.primary_customer_id = new_primary
    dal.set_primary_keys(item)
    item.updated_at = utc_now()
    with atomic(_RACE) as tx:
        tx.save(item)
        if joined is not None:
            _join_primary(tx, joined)
        elif new_primary:
            _primary_still_top_level(tx, caller, new_primary)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="customer.updated", target_type="customer",
                        target_id=customer_id, before=before, after=dal.to_customer(item))
    return dal.to_customer(item)
