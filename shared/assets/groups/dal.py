"""Data access of asset groups and memberships.

A membership is written twice, in one transaction: a member item in the group's partition
(to list a group's assets) and the group id in the asset's `group_ids` (to show an asset's
groups without another read).
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.expressions.condition import size
from pynamodb.transactions import TransactWrite

from shared.assets.groups.models import Group, GroupItem, GroupMemberItem
from shared.assets.models import MAX_GROUPS_PER_ASSET, AssetItem
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.errors import Conflict
from shared.ids import utc_now


def group_sk(group_id: str) -> str:
    return f"GROUP#{group_id}"


def members_pk(org_id: str, group_id: str) -> str:
    return f"ORG#{org_id}#GROUP#{group_id}"


def name_claim_pk(org_id: str, name: str) -> str:
    """Group names are unique per fleet, ignoring case."""
    return f"GROUPNAME#{org_id}#{name.casefold()}"


def to_group(item: GroupItem) -> Group:
    return Group.model_validate(item)

def get_group_item(org_id: str, group_id: str) -> GroupItem | None:
    return GroupItem.find(org_pk(org_id), group_sk(group_id), consistent_read=True)


def existing_group_ids(org_id: str, group_ids: Iterable[str]) -> set[str]:
    """Those of `group_ids` that are groups of the org now (consistent: a deleted group is gone at once)."""
    keys = [(org_pk(org_id), group_sk(g)) for g in dict.fromkeys(group_ids)]
    return {item.group_id for item in GroupItem.batch_get(keys, consistent_read=True)} if keys else set()


def list_group_items(org_id: str, *, limit: int, cursor: str | None) -> Page[Group]:
    return query_page(GroupItem.query, org_pk(org_id), range_key_condition=GroupItem.sk.startswith("GROUP#"),
                      limit=limit, cursor=cursor, convert=to_group)


def list_member_ids(org_id: str, group_id: str, *, limit: int, cursor: str | None) -> Page[str]:
    return query_page(GroupMemberItem.query, members_pk(org_id, group_id), limit=limit, cursor=cursor,
                      convert=lambda m: m.asset_id)


def member_item(org_id: str, group_id: str, asset_id: str) -> GroupMemberItem:
    return GroupMemberItem(members_pk(org_id, group_id), f"ASSET#{asset_id}", org_id=org_id, group_id=group_id,
                           asset_id=asset_id, added_at=utc_now())


def get_member(org_id: str, group_id: str, asset_id: str) -> GroupMemberItem | None:
    return GroupMemberItem.find(members_pk(org_id, group_id), f"ASSET#{asset_id}", consistent_read=True)


def group_items(org_id: str, group_ids: Iterable[str]) -> dict[str, GroupItem]:
    """Those of `group_ids` that are groups of the org now, by id (one consistent BatchGet)."""
    keys = [(org_pk(org_id), group_sk(g)) for g in dict.fromkeys(group_ids)]
    return {item.group_id: item for item in GroupItem.batch_get(keys, consistent_read=True)} if keys else {}


def count_members(tx: TransactWrite, group: GroupItem, delta: int) -> None:
    """The group's asset count follows its memberships, in their transaction; the group must still exist
    (its version is bumped, not checked: ADD is atomic)."""
    tx.update(group, actions=[GroupItem.asset_count.add(delta)], condition=GroupItem.pk.exists(),
              add_version_condition=False)


def add_memberships(tx: TransactWrite, org_id: str, asset_id: str, group_ids: Iterable[str]) -> None:
    """Member items for a new asset's groups, each counted; each group must still exist when the tx commits."""
    found = group_items(org_id, group_ids)
    for group_id in group_ids:
        if group_id in found:
            count_members(tx, found[group_id], 1)
        else:  # gone: the transaction fails on it
            tx.condition_check(GroupItem, org_pk(org_id), group_sk(group_id), condition=GroupItem.pk.exists())
        tx.save(member_item(org_id, group_id, asset_id))


def remove_memberships(tx: TransactWrite, org_id: str, asset_id: str, group_ids: Iterable[str]) -> None:
    """The asset leaves these groups; those that still exist count one asset less (a deleted group's
    members are the stream's to clean up)."""
    found = group_items(org_id, group_ids)
    for group_id in group_ids:
        tx.delete(GroupMemberItem(members_pk(org_id, group_id), f"ASSET#{asset_id}"))
        if group_id in found:
            count_members(tx, found[group_id], -1)


def join(tx: TransactWrite, asset: AssetItem, group_id: str, group: GroupItem | None) -> None:
    """Put an existing asset in a group (the asset's version is bumped, not checked: ADD is atomic), while
    it is in fewer than MAX_GROUPS_PER_ASSET: an asset's groups must fit one transaction when it changes.
    `group`, as read, counts it (None: the group is written in this transaction with its count)."""
    if len(asset.group_ids or ()) >= MAX_GROUPS_PER_ASSET:
        raise Conflict(f"asset {asset.asset_id} is in {MAX_GROUPS_PER_ASSET} groups, the most an asset may be in: "
                       "take it out of one first")
    tx.save(member_item(asset.org_id, group_id, asset.asset_id))
    if group is not None:
        count_members(tx, group, 1)
    room = AssetItem.group_ids.does_not_exist() | (size(AssetItem.group_ids) < MAX_GROUPS_PER_ASSET)
    tx.update(asset, actions=[AssetItem.group_ids.add({group_id})], condition=AssetItem.pk.exists() & room,
              add_version_condition=False)


def leave(tx: TransactWrite, asset: AssetItem, group_id: str, group: GroupItem | None) -> None:
    """Take an asset out of a group; `group`, as read, counts it (None: the group was deleted)."""
    tx.delete(GroupMemberItem(members_pk(asset.org_id, group_id), f"ASSET#{asset.asset_id}"),
              condition=GroupMemberItem.pk.exists())
    tx.update(asset, actions=[AssetItem.group_ids.delete({group_id})], condition=AssetItem.pk.exists(),
              add_version_condition=False)
    if group is not None:
        count_members(tx, group, -1)
