"""What other capabilities may use of a fleet's assets and their groups.

Reads, the types they return, and the keys a transaction needs to check an asset or a group
(another capability changes an asset's status only with `save_status`). Nothing else of
shared/assets is imported from outside it (tests/test_architecture.py holds that).
"""

from shared.assets.dal import (
    asset_sk,
    get_asset_item,
    get_asset_items,
    get_vin_claim,
    save_status,
    to_asset,
    vin_sk,
)
from shared.assets.groups.dal import existing_group_ids, group_sk, members_pk
from shared.assets.groups.models import GroupItem, GroupMemberItem
from shared.assets.models import MAX_GROUPS_PER_ASSET, Asset, AssetItem, AssetKind, AssetStatus, VinClaimItem
from shared.assets.vin import Vin, normalize_vin

__all__ = [
    "MAX_GROUPS_PER_ASSET",
    "Asset",
    "AssetItem",
    "AssetKind",
    "AssetStatus",
    "GroupItem",
    "GroupMemberItem",
    "Vin",
    "VinClaimItem",
    "asset_sk",
    "existing_group_ids",
    "get_asset_item",
    "get_asset_items",
    "get_vin_claim",
    "group_sk",
    "members_pk",
    "normalize_vin",
    "save_status",
    "to_asset",
    "vin_sk",
]
