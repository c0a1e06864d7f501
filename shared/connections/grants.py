"""Which of a fleet's asset groups a connected vendor sees, and what the vendor then reads.

The grant lives on its connection (CONN#{id} / GRANT): replaced as a whole, version-checked,
only on an accepted connection, removed with the connection's end in the same transaction.
`expires_at` ends access on its own: every read checks it, and DynamoDB's TTL removes the
item later.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from shared.assets.public import (
    AssetItem,
    AssetStatus,
    GroupItem,
    GroupMemberItem,
    existing_group_ids,
    get_asset_items,
    group_sk,
    members_pk,
)
from shared.audit.public import add_audit_event
from shared.auth.principal import Identity, OrgKind, Principal
from shared.connections import dal, notices, relationships
from shared.connections.logic import visible_connection
from shared.connections.models import ConnectionItem, ConnectionStatus, Grant, GrantItem, GrantUpdate, SharedAsset
from shared.db.base import atomic
from shared.db.pagination import Page
from shared.errors import Conflict, NotFound, Unprocessable
from shared.ids import utc_now


def _empty_grant(item: ConnectionItem) -> Grant:
    return Grant(connection_id=item.connection_id, fleet_id=item.fleet_id, vendor_id=item.vendor_id, group_ids=[],
                 version=0)


def _in_force(grant: GrantItem | None, now: datetime) -> bool:
    return grant is not None and (grant.expires_at is None or grant.expires_at > now)


def get_grant(caller: Principal, connection_id: str) -> Grant:
    item = visible_connection(caller, connection_id)
    grant = dal.get_grant_item(connection_id)
    if not _in_force(grant, utc_now()) or item.status != ConnectionStatus.ACCEPTED.value:
        return _empty_grant(item) if grant is None else Grant.model_validate(grant).model_copy(
            update={"group_ids": []})
    assert grant is not None
    return Grant.model_validate(grant).model_copy(update={"group_ids": _live(item.fleet_id, grant)})


def accepted_connection(fleet_id: str, vendor_id: str) -> ConnectionItem | None:
    """The pair's connection when it is accepted (jobs: a connected vendor works the fleet's units)."""
    connection_id = dal.live_connection_id(fleet_id, vendor_id)
    item = dal.get_connection_item(connection_id) if connection_id else None
    return item if item is not None and item.status == ConnectionStatus.ACCEPTED.value else None


def granted_group_ids(item: ConnectionItem) -> set[str]:
    """The groups the vendor of an accepted connection sees now (none once the grant expired)."""
    grant = dal.get_grant_item(item.connection_id)
    if not _in_force(grant, utc_now()) or item.status != ConnectionStatus.ACCEPTED.value:
        return set()
    assert grant is not None
    return set(_live(item.fleet_id, grant))


def _live(fleet_id: str, grant: GrantItem) -> list[str]:
    """The granted groups that still exist: a deleted group's access ends with it, before the stream
    takes it out of the grant (shared/assets/groups/logic.py: clean_up_deleted_group)."""
    return sorted(existing_group_ids(fleet_id, grant.group_ids or ()))


def set_grant(caller: Principal, connection_id: str, body: GrantUpdate) -> Grant:
    """Replace the groups the vendor of this connection sees (fleet side only)."""
    item = visible_connection(caller, connection_id)
    if caller.org_id != item.fleet_id:
        raise NotFound(f"connection {connection_id} not found")  # a vendor has no say here: not its object
    if item.status != ConnectionStatus.ACCEPTED.value:
        raise Conflict(f"connection {connection_id} is {item.status}: groups are granted on accepted ones only")
    now = utc_now()
    if body.expires_at is not None and body.expires_at <= now:
        raise Unprocessable.field("expires_at", "must be in the future")
    missing = sorted(set(body.group_ids) - existing_group_ids(item.fleet_id, body.group_ids))
    if missing:
        raise Unprocessable.field("group_ids", f"no such group in your fleet: {', '.join(missing)}")
    grant = dal.get_grant_item(connection_id)
    if (grant.version if grant else 0) != body.version:
        raise Conflict(f"the grant is at version {grant.version if grant else 0}, not {body.version}: reload it")
    before = Grant.model_validate(grant) if grant else None
    if grant is None:
        grant = GrantItem(dal.connection_pk(connection_id), dal.GRANT, connection_id=connection_id,
                          fleet_id=item.fleet_id, vendor_id=item.vendor_id)
    grant.group_ids = set(body.group_ids) or None
    grant.expires_at = body.expires_at
    grant.expires_at_epoch = int(body.expires_at.timestamp()) if body.expires_at else None
    grant.updated_at = now
    pair = relationships.get_relationship_item(item.fleet_id, item.vendor_id)
    with atomic("the connection or its grant changed meanwhile; reload and try again") as tx:
        tx.condition_check(ConnectionItem, dal.connection_pk(connection_id), dal.CONN,
                           condition=ConnectionItem.status == ConnectionStatus.ACCEPTED.value)
        tx.save(grant)
        relationships.set_grant_copy(tx, pair, set(body.group_ids), body.expires_at)
        for group_id in body.group_ids:
            tx.condition_check(GroupItem, f"ORG#{item.fleet_id}", group_sk(group_id),
                               condition=GroupItem.pk.exists())
        after = Grant.model_validate(grant)
        for org_id in (item.fleet_id, item.vendor_id):
            add_audit_event(tx, org_id=org_id, actor=caller, action="connection.groups_granted",
                            target_type="connection", target_id=connection_id, before=before, after=after)
        notices.groups_changed(tx, item, after)
    return Grant.model_validate(grant)


GROUPS = Identity(user_id="system:groups")  # the actor of what follows a group's deletion


def deleted_group_record(old_image: dict[str, Any]) -> None:
    """Stream work on a group's REMOVE (shared/streams/router.py): the grants stop naming it."""
    drop_deleted_group(str(old_image["org_id"]), str(old_image["group_id"]))


def drop_deleted_group(fleet_id: str, group_id: str) -> None:
    """Stream work on a group's REMOVE: take it out of every grant that names it, with an audit event
    on both sides. (Access to it ended with the deletion: reads skip groups that are gone.)"""
    for item in dal.accepted_connection_items(fleet_id):
        grant = dal.get_grant_item(item.connection_id)
        if grant is None or group_id not in (grant.group_ids or ()):
            continue
        before = Grant.model_validate(grant)
        grant.group_ids = set(grant.group_ids or ()) - {group_id} or None
        grant.updated_at = utc_now()
        pair = relationships.get_relationship_item(item.fleet_id, item.vendor_id)
        with atomic("the grant changed meanwhile: the stream retries") as tx:  # raises: the record is retried
            tx.save(grant)
            relationships.set_grant_copy(tx, pair, set(grant.group_ids or ()), grant.expires_at)
            for org_id in (item.fleet_id, item.vendor_id):
                add_audit_event(tx, org_id=org_id, actor=GROUPS, action="connection.group_deleted",
                                target_type="connection", target_id=item.connection_id, before=before,
                                after=Grant.model_validate(grant))


def _granted_groups(caller: Principal, fleet_id: str) -> list[str]:
    """The groups of `fleet_id` the caller (a vendor) sees now; 404 when it sees none of the fleet."""
    if caller.org_kind is not OrgKind.VENDOR:
        raise NotFound(f"fleet {fleet_id} not found")
    live_id = dal.live_connection_id(fleet_id, caller.org_id)
    item = dal.get_connection_item(live_id) if live_id else None
    if item is None or item.status != ConnectionStatus.ACCEPTED.value:
        raise NotFound(f"fleet {fleet_id} not found")
    grant = dal.get_grant_item(item.connection_id)
    return _live(fleet_id, grant) if grant is not None and _in_force(grant, utc_now()) else []


def _cursor(position: int, last_key: dict[str, Any] | None) -> str:
    raw = json.dumps({"g": position, "k": last_key}, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_cursor(cursor: str | None, groups: list[str], fleet_id: str) -> tuple[int, dict[str, Any] | None]:
    if not cursor:
        return 0, None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        position, key = int(data["g"]), data["k"]
        partition = members_pk(fleet_id, groups[position]) if 0 <= position < len(groups) else None
        if partition is None or (key is not None and key.get("pk", {}).get("S") != partition):
            raise ValueError("cursor out of this list")
        return position, key
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Unprocessable.field("cursor", "not a cursor of this list; start again without it") from None


def list_shared_assets(caller: Principal, fleet_id: str, limit: int, cursor: str | None) -> Page[SharedAsset]:
    """The active assets of the groups granted to the caller, each once, group by group."""
    groups = _granted_groups(caller, fleet_id)
    position, last_key = _parse_cursor(cursor, groups, fleet_id)
    assets: list[SharedAsset] = []
    while position < len(groups) and len(assets) < limit:
        group_id = groups[position]
        members = GroupMemberItem.query(members_pk(fleet_id, group_id), limit=limit - len(assets),
                                        last_evaluated_key=last_key)
        ids = [m.asset_id for m in members]
        found = get_asset_items(fleet_id, ids)
        assets += [SharedAsset.model_validate(found[a]) for a in ids if a in found and _first_granted(
            found[a], group_id, groups)]
        last_key = members.last_evaluated_key
        if last_key is None:
            position, last_key = position + 1, None
    more = position < len(groups)
    return Page[SharedAsset](items=assets, next_cursor=_cursor(position, last_key) if more else None)


def _first_granted(asset: AssetItem, group_id: str, granted: list[str]) -> bool:
    """Active, and listed under the first granted group it belongs to (an asset in two is listed once)."""
    if asset.status == AssetStatus.INACTIVE.value:
        return False
    mine = [g for g in granted if g in (asset.group_ids or ())]
    return bool(mine) and mine[0] == group_id
