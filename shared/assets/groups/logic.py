"""Asset groups: create, rename, delete, and put assets in and out of them.

Deleting a group removes the group at once; its memberships are cleaned up by the stream
processor (a group can hold any number of assets: more than one transaction can carry).
"""

from __future__ import annotations

from typing import Any

from shared.assets import dal as assets_dal
from shared.assets.groups import dal
from shared.assets.groups.models import Group, GroupCreate, GroupItem, GroupMemberItem, GroupUpdate
from shared.assets.models import Asset, AssetItem
from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.db.base import atomic, expect_version
from shared.db.claims import add_claim, release_claim
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.errors import Conflict, DomainError, NotFound, Unprocessable
from shared.ids import new_id, utc_now


def _get(caller: Principal, group_id: str) -> GroupItem:
    item = dal.get_group_item(caller.org_id, group_id)
    if item is None:
        raise NotFound(f"group {group_id} not found")
    return item


def _name_conflict(caller: Principal, name: str) -> Any:
    def conflict(failed: set[str]) -> DomainError:
        if dal.name_claim_pk(caller.org_id, name) in failed:
            return Conflict(f"your fleet has a group named {name!r} already",
                            [{"field": "name", "message": "already used by another group"}])
        return Conflict("the group or one of its assets changed meanwhile; reload and try again")

    return conflict


def create_group(caller: Principal, body: GroupCreate) -> Group:
    assets = assets_dal.get_asset_items(caller.org_id, body.asset_ids)
    missing = sorted(set(body.asset_ids) - set(assets))
    if missing:
        raise Unprocessable.field("asset_ids", f"no such asset in your fleet: {', '.join(missing)}")
    now = utc_now()
    group_id = new_id("grp")
    item = GroupItem(org_pk(caller.org_id), dal.group_sk(group_id), group_id=group_id, org_id=caller.org_id,
                     name=body.name, description=body.description, asset_count=len(assets), created_at=now,
                     updated_at=now)
    with atomic(_name_conflict(caller, body.name)) as tx:
        tx.save(item, condition=GroupItem.pk.does_not_exist())
        add_claim(tx, dal.name_claim_pk(caller.org_id, body.name), group_id, caller.org_id)
        for asset in assets.values():
            dal.join(tx, asset, group_id, None)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="group.created", target_type="group",
                        target_id=group_id, after={**dal.to_group(item).model_dump(mode="json"),
                                                   "asset_ids": sorted(assets)})
    return dal.to_group(item)


def get_group(caller: Principal, group_id: str) -> Group:
    return dal.to_group(_get(caller, group_id))


def list_groups(caller: Principal, limit: int, cursor: str | None) -> Page[Group]:
    return dal.list_group_items(caller.org_id, limit=limit, cursor=cursor)


def update_group(caller: Principal, group_id: str, body: GroupUpdate) -> Group:
    item = _get(caller, group_id)
    expect_version(item, body.version, "group")
    before = dal.to_group(item)
    old_name = item.name
    if body.name is not None:
        item.name = body.name
    if "description" in body.model_fields_set:
        item.description = body.description
    item.updated_at = utc_now()
    renamed = item.name.casefold() != old_name.casefold()
    with atomic(_name_conflict(caller, item.name)) as tx:
        tx.save(item)
        if renamed:
            release_claim(tx, dal.name_claim_pk(caller.org_id, old_name), group_id)
            add_claim(tx, dal.name_claim_pk(caller.org_id, item.name), group_id, caller.org_id)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="group.updated", target_type="group",
                        target_id=group_id, before=before, after=dal.to_group(item))
    return dal.to_group(item)


def delete_group(caller: Principal, group_id: str) -> None:
    item = _get(caller, group_id)
    with atomic("the group changed meanwhile; reload and try again") as tx:
        tx.delete(item)
        release_claim(tx, dal.name_claim_pk(caller.org_id, item.name), group_id)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="group.deleted", target_type="group",
                        target_id=group_id, before=dal.to_group(item))


def list_group_assets(caller: Principal, group_id: str, limit: int, cursor: str | None) -> Page[Asset]:
    _get(caller, group_id)
    ids = dal.list_member_ids(caller.org_id, group_id, limit=limit, cursor=cursor)
    found = assets_dal.get_asset_items(caller.org_id, ids.items)
    assets = [assets_dal.to_asset(found[a]) for a in ids.items if a in found]
    return Page[Asset](items=assets, next_cursor=ids.next_cursor)


def _asset(caller: Principal, asset_id: str) -> AssetItem:
    asset = assets_dal.get_asset_item(caller.org_id, asset_id)
    if asset is None:
        raise NotFound(f"asset {asset_id} not found")
    return asset


def add_asset(caller: Principal, group_id: str, asset_id: str) -> None:
    """Put an asset in a group; doing it again changes nothing."""
    group = _get(caller, group_id)
    asset = _asset(caller, asset_id)
    if group_id in (asset.group_ids or set()):
        return
    with atomic("the group was deleted meanwhile") as tx:
        dal.join(tx, asset, group_id, group)  # counted on the group, which must still exist
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="group.asset_added", target_type="group",
                        target_id=group_id, after={"asset_id": asset_id})


def remove_asset(caller: Principal, group_id: str, asset_id: str) -> None:
    group = _get(caller, group_id)
    asset = _asset(caller, asset_id)
    if dal.get_member(caller.org_id, group_id, asset_id) is None:
        raise NotFound(f"asset {asset_id} is not in group {group_id}")
    with atomic(f"asset {asset_id} left group {group_id} meanwhile") as tx:
        dal.leave(tx, asset, group_id, group)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="group.asset_removed", target_type="group",
                        target_id=group_id, before={"asset_id": asset_id})


def clean_up_deleted_group(old_image: dict[str, Any]) -> None:
    """Stream work on a group's REMOVE: its assets leave it (idempotent, resumable). The grants that
    named it are connections' work on the same record (shared/streams/router.py)."""
    org_id, group_id = str(old_image["org_id"]), str(old_image["group_id"])
    for member in GroupMemberItem.query(dal.members_pk(org_id, group_id)):
        asset = assets_dal.get_asset_item(org_id, member.asset_id)
        with atomic("membership changed meanwhile") as tx:
            if asset is not None:
                dal.leave(tx, asset, group_id, None)
            else:
                tx.delete(member)
