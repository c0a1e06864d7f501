"""Connection requests between a fleet and a vendor: request, accept, reject, cancel, disconnect.

One live (pending or accepted) connection per pair: the pair claim PAIR#{fleet}#{vendor} is
written with the request and released when the connection ends, in the same transactions.
Every transition is conditional on the status it leaves, so two racing callers cannot both
win: the loser gets 409. Each transition is audited in both organizations' trails.
"""

from __future__ import annotations

from typing import Any

from pynamodb.transactions import TransactWrite

from shared.audit.public import add_audit_event
from shared.auth.principal import OrgKind, Principal
from shared.connections import dal, relationships
from shared.connections.models import (
    Connection,
    ConnectionItem,
    ConnectionRequest,
    ConnectionStatus,
    GrantItem,
)
from shared.db.base import atomic
from shared.db.claims import add_claim, release_claim
from shared.db.pagination import Page, query_page
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable, an
from shared.ids import new_id, utc_now
from shared.notifications.public import notify
from shared.orgs.public import OrgItem, get_org_item


def to_connection(item: ConnectionItem) -> Connection:
    return Connection.model_validate(item)


def visible_connection(caller: Principal, connection_id: str) -> ConnectionItem:
    """The connection when the caller's organization is one of its two sides; 404 otherwise."""
    item = dal.get_connection_item(connection_id)
    if item is None or caller.org_id not in (item.fleet_id, item.vendor_id):
        raise NotFound(f"connection {connection_id} not found")
    return item


def _org(org_id: str) -> OrgItem:
    org = get_org_item(org_id)
    if org is None:
        raise NotFound(f"organization {org_id} not found")
    return org


def get_connection(caller: Principal, connection_id: str) -> Connection:
    return to_connection(visible_connection(caller, connection_id))


def list_connections(
    caller: Principal, status: ConnectionStatus | None, limit: int, cursor: str | None
) -> Page[Connection]:
    """The caller's connections with one status, newest first, or all of them (grouped by status, each
    newest first): a Query on its side's index."""
    index = "gsi1" if caller.org_kind is OrgKind.FLEET else "gsi2"
    sort_key = ConnectionItem.gsi1sk if index == "gsi1" else ConnectionItem.gsi2sk
    condition = sort_key.startswith(f"{status.value}#") if status else None
    return query_page(ConnectionItem.query, dal.org_connections_partition(caller.org_id), index_name=index,
                      range_key_condition=condition, limit=limit, cursor=cursor, convert=to_connection,
                      scan_index_forward=False)


def request_connection(caller: Principal, body: ConnectionRequest) -> tuple[Connection, bool]:
    """A new pending request (True), or the other side's pending request to us (False)."""
    if body.org_id == caller.org_id:
        raise Unprocessable.field("org_id", "you cannot connect to your own organization")
    other = get_org_item(body.org_id)
    wanted = OrgKind.VENDOR if caller.org_kind is OrgKind.FLEET else OrgKind.FLEET
    if other is None:
        raise NotFound(f"organization {body.org_id} not found")
    if other.kind != wanted.value:
        raise Unprocessable.field("org_id", f"a {caller.org_kind.value} connects to a {wanted.value}")
    mine = _org(caller.org_id)
    if mine.team_of or other.team_of:
        raise Unprocessable.field("org_id", "an internal team works only for its own fleet: it has no connections "
                                            "(its fleet assigns it jobs by its partner ID)")
    fleet, vendor = (mine, other) if caller.org_kind is OrgKind.FLEET else (other, mine)

    existing = _live_connection(fleet.org_id, vendor.org_id)
    if existing is not None:
        return _existing_or_conflict(caller, existing), False
    now = utc_now()
    connection_id = new_id("con")
    item = ConnectionItem(
        dal.connection_pk(connection_id), dal.CONN, connection_id=connection_id, fleet_id=fleet.org_id,
        fleet_name=fleet.name, vendor_id=vendor.org_id, vendor_name=vendor.name, requested_by_org=caller.org_id,
        requested_by_user=caller.user_id, message=body.message, status=ConnectionStatus.PENDING.value,
        created_at=now, updated_at=now,
    )
    dal.index_connection(item)
    try:
        with atomic("a connection between these organizations was just requested") as tx:
            tx.save(item, condition=ConnectionItem.pk.does_not_exist())
            add_claim(tx, dal.pair_claim_pk(fleet.org_id, vendor.org_id), connection_id, fleet.org_id)
            relationships.count(tx, fleet.org_id, vendor.org_id, pending_requests=1)
            _audit_both(tx, caller, item, "connection.requested", before=None)
            notify(tx, other, kind="connection.requested", title=f"{mine.name} wants to connect on Fleetbridge",
                   body=(f"{mine.name} sent your organization a connection request on Fleetbridge."
                         f"{' Their message: ' + body.message if body.message else ''}\n\n"
                         "Open Fleetbridge to accept or reject it.\n"),
                   data={"connection_id": connection_id, "from_org_id": mine.org_id})
    except Conflict:
        # the pair's claim was taken meanwhile: answer as if we had come second
        existing = _live_connection(fleet.org_id, vendor.org_id)
        if existing is None:
            raise
        return _existing_or_conflict(caller, existing), False
    return to_connection(item), True


def _live_connection(fleet_id: str, vendor_id: str) -> ConnectionItem | None:
    live_id = dal.live_connection_id(fleet_id, vendor_id)
    return dal.get_connection_item(live_id) if live_id else None


def _existing_or_conflict(caller: Principal, existing: ConnectionItem) -> Connection:
    if existing.status == ConnectionStatus.PENDING.value and existing.requested_by_org != caller.org_id:
        return to_connection(existing)  # they asked first: here is their request, for you to accept
    raise Conflict(f"these organizations already have a {existing.status} connection ({existing.connection_id})",
                   [{"field": "org_id", "message": f"connection {existing.connection_id} is {existing.status}"}])


def _audit_both(
    tx: TransactWrite, caller: Principal, item: ConnectionItem, action: str, before: Connection | dict[str, Any] | None
) -> None:
    after = to_connection(item)
    for org_id in (item.fleet_id, item.vendor_id):
        add_audit_event(tx, org_id=org_id, actor=caller, action=action,
                        target_type="connection", target_id=item.connection_id, before=before, after=after)


def _transition(
    caller: Principal, connection_id: str, *, action: str, allowed_from: ConnectionStatus, to: ConnectionStatus,
    by: str,
) -> Connection:
    """Move a connection from `allowed_from` to `to`; `by` is who may: recipient, requester or either."""
    item = visible_connection(caller, connection_id)
    is_requester = item.requested_by_org == caller.org_id
    if (by == "recipient" and is_requester) or (by == "requester" and not is_requester):
        raise Forbidden(f"only the {by} of a connection request may {action} it")
    if item.status != allowed_from.value:
        raise Conflict(f"connection {connection_id} is {item.status}: only {an(allowed_from.value)} one can be "
                       f"{to.value}")
    before = to_connection(item)
    item.status = to.value
    item.updated_at = utc_now()
    dal.index_connection(item)
    ends = to is not ConnectionStatus.ACCEPTED
    grant = dal.get_grant_item(connection_id) if ends and allowed_from is ConnectionStatus.ACCEPTED else None
    audited: Connection | dict[str, Any] = before
    pair = relationships.get_relationship_item(item.fleet_id, item.vendor_id)
    if grant is not None:  # the trail says which groups the vendor lost with the connection
        audited = before.model_dump(mode="json") | {"group_ids": sorted(grant.group_ids or ())}
    with atomic(f"connection {connection_id} was changed by someone else meanwhile; reload it") as tx:
        tx.save(item, condition=ConnectionItem.status == allowed_from.value)
        if ends:
            release_claim(tx, dal.pair_claim_pk(item.fleet_id, item.vendor_id), connection_id)
            if allowed_from is ConnectionStatus.ACCEPTED:  # access ends with it: the grant as read, or none
                if grant is not None:
                    tx.delete(grant)
                else:
                    tx.condition_check(GrantItem, dal.connection_pk(connection_id), dal.GRANT,
                                       condition=GrantItem.pk.does_not_exist())
        _keep_pair(tx, item, pair, allowed_from, to)
        _audit_both(tx, caller, item, f"connection.{to.value}", audited)
        other_id = item.vendor_id if caller.org_id == item.fleet_id else item.fleet_id
        mine = item.fleet_name if caller.org_id == item.fleet_id else item.vendor_name
        notify(tx, _org(other_id), kind=f"connection.{to.value}", title=f"{mine}: connection {to.value}",
               body=f"{mine} {to.value} the connection between your organizations on Fleetbridge.\n",
               data={"connection_id": connection_id})
    return to_connection(item)


def _keep_pair(tx: TransactWrite, item: ConnectionItem, pair: relationships.RelationshipItem | None,
               allowed_from: ConnectionStatus, to: ConnectionStatus) -> None:
    """The pair's one record follows the connection: accepted, it is a way the vendor works with the
    fleet; disconnected, that way is closed; any answer to a request leaves one request less pending."""
    if to is ConnectionStatus.ACCEPTED:
        vendor = get_org_item(item.vendor_id)
        who = relationships.Pair(item.fleet_id, item.fleet_name, item.vendor_id, item.vendor_name,
                                 vendor.partner_id if vendor else None)
        relationships.open_way(tx, pair, who, relationships.Way.CONNECTION, item.connection_id, pending_requests=-1)
    elif allowed_from is ConnectionStatus.PENDING:
        relationships.count(tx, item.fleet_id, item.vendor_id, pending_requests=-1)
    else:
        relationships.close_way(tx, pair, relationships.Way.CONNECTION)


def accept(caller: Principal, connection_id: str) -> Connection:
    return _transition(caller, connection_id, action="accept", allowed_from=ConnectionStatus.PENDING,
                       to=ConnectionStatus.ACCEPTED, by="recipient")


def reject(caller: Principal, connection_id: str) -> Connection:
    return _transition(caller, connection_id, action="reject", allowed_from=ConnectionStatus.PENDING,
                       to=ConnectionStatus.REJECTED, by="recipient")


def cancel(caller: Principal, connection_id: str) -> Connection:
    return _transition(caller, connection_id, action="cancel", allowed_from=ConnectionStatus.PENDING,
                       to=ConnectionStatus.CANCELLED, by="requester")


def disconnect(caller: Principal, connection_id: str) -> Connection:
    return _transition(caller, connection_id, action="disconnect", allowed_from=ConnectionStatus.ACCEPTED,
                       to=ConnectionStatus.DISCONNECTED, by="either")
