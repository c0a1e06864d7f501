"""Assets: create (or reactivate by VIN), update, deactivate, read, list.

A VIN is unique among a fleet's active assets: the VIN claim item is written in the same
transaction as the asset, with a condition, so two racing creates cannot both win.
"""

from __future__ import annotations

from typing import Any

from shared.assets import dal
from shared.assets.groups import dal as groups_dal
from shared.assets.models import Asset, AssetCreate, AssetItem, AssetKind, AssetStatus, AssetUpdate, VinClaimItem
from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.db.base import atomic, expect_version
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.errors import Conflict, NotFound, Unprocessable
from shared.ids import new_id, utc_now

RACE = "the asset was changed by someone else meanwhile; reload it and try again"


def _vin_taken(vin: str, asset_id: str) -> Conflict:
    return Conflict(f"VIN {vin} belongs to active asset {asset_id}",
                    [{"field": "vin", "message": f"in use by active asset {asset_id}"}])


def _check_groups(caller: Principal, group_ids: list[str]) -> None:
    missing = sorted(set(group_ids) - groups_dal.existing_group_ids(caller.org_id, group_ids))
    if missing:
        raise Unprocessable.field("group_ids", f"no such group in your fleet: {', '.join(missing)}")


def create_asset(caller: Principal, body: AssetCreate) -> tuple[Asset, bool]:
    """The new asset and True; or, when the VIN has an inactive asset, that asset reactivated and False."""
    _check_groups(caller, body.group_ids)
    claim = dal.get_vin_claim(caller.org_id, body.vin)
    if claim is not None and claim.active:
        raise _vin_taken(body.vin, claim.asset_id)
    if claim is not None:
        previous = dal.get_asset_item(caller.org_id, claim.asset_id)
        if previous is not None:
            return _reactivate(caller, body, claim, previous), False
    now = utc_now()
    asset_id = new_id("ast")
    item = AssetItem(
        org_pk(caller.org_id), dal.asset_sk(asset_id), asset_id=asset_id, org_id=caller.org_id, created_at=now,
        updated_at=now, group_ids=set(body.group_ids) or None, **_fields(body),
    )
    dal.index_status(item)
    new_claim = VinClaimItem(org_pk(caller.org_id), dal.vin_sk(body.vin), asset_id=asset_id, org_id=caller.org_id)
    dal.set_claim_active(new_claim, True)
    with atomic(f"VIN {body.vin} was just taken by another asset, or a group was deleted; reload and retry") as tx:
        tx.save(new_claim, condition=VinClaimItem.pk.does_not_exist())
        tx.save(item, condition=AssetItem.pk.does_not_exist())
        groups_dal.add_memberships(tx, caller.org_id, asset_id, body.group_ids)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="asset.created", target_type="asset",
                        target_id=asset_id, after=dal.to_asset(item))
    return dal.to_asset(item), True


def _fields(body: AssetCreate | AssetUpdate) -> dict[str, Any]:
    """The stored attributes a create or update body sets (not group_ids, not version)."""
    values = body.model_dump(exclude_unset=isinstance(body, AssetUpdate), exclude={"group_ids", "version"})
    if isinstance(body, AssetCreate):
        values.setdefault("status", body.status)
    for key, value in values.items():
        if hasattr(value, "isoformat"):
            values[key] = value.isoformat()
        elif hasattr(value, "value"):
            values[key] = value.value
    return values


def _reactivate(caller: Principal, body: AssetCreate, claim: VinClaimItem, item: AssetItem) -> Asset:
    before = dal.to_asset(item)
    old_groups = set(item.group_ids or ())
    for key, value in _fields(body).items():
        setattr(item, key, value)
    for optional in ("license_number", "license_state", "license_expiration"):
        if getattr(body, optional) is None:
            setattr(item, optional, None)
    item.group_ids = set(body.group_ids) or None
    item.updated_at = utc_now()
    dal.index_status(item)
    dal.set_claim_active(claim, True)
    new_groups = set(body.group_ids)
    with atomic(f"VIN {body.vin} was just taken by another asset; reload and retry") as tx:
        tx.save(claim, condition=(VinClaimItem.active == False) & (VinClaimItem.asset_id == item.asset_id))  # noqa: E712
        tx.save(item, condition=AssetItem.status == AssetStatus.INACTIVE.value)
        groups_dal.add_memberships(tx, caller.org_id, item.asset_id, new_groups - old_groups)
        groups_dal.remove_memberships(tx, caller.org_id, item.asset_id, old_groups - new_groups)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="asset.reactivated", target_type="asset",
                        target_id=item.asset_id, before=before, after=dal.to_asset(item))
    return dal.to_asset(item)


def get_asset(caller: Principal, asset_id: str) -> Asset:
    item = dal.get_asset_item(caller.org_id, asset_id)
    if item is None:
        raise NotFound(f"asset {asset_id} not found")
    return dal.to_asset(item)


def list_assets(caller: Principal, status: AssetStatus | None, kind: AssetKind | None, limit: int,
                cursor: str | None) -> Page[Asset]:
    return dal.list_asset_items(caller.org_id, status=status, kind=kind, limit=limit, cursor=cursor)


def update_asset(caller: Principal, asset_id: str, body: AssetUpdate) -> Asset:
    item = dal.get_asset_item(caller.org_id, asset_id)
    if item is None:
        raise NotFound(f"asset {asset_id} not found")
    if item.status == AssetStatus.INACTIVE.value:
        raise Conflict(f"asset {asset_id} is inactive: create it again with its VIN to reactivate it")
    expect_version(item, body.version, "asset")
    if body.group_ids is not None:
        _check_groups(caller, body.group_ids)
    before = dal.to_asset(item)
    old_vin, old_groups = item.vin, set(item.group_ids or ())
    for key, value in _fields(body).items():
        setattr(item, key, value)
    new_groups = set(body.group_ids) if body.group_ids is not None else old_groups
    item.group_ids = new_groups or None
    item.updated_at = utc_now()
    dal.index_status(item)
    if item.vin != old_vin:
        _vin_free(caller.org_id, item.vin)
    with atomic(RACE if item.vin == old_vin else f"VIN {item.vin} was just taken by another asset") as tx:
        tx.save(item)
        if item.vin != old_vin:
            claim = VinClaimItem(org_pk(caller.org_id), dal.vin_sk(item.vin), asset_id=asset_id, org_id=caller.org_id)
            dal.set_claim_active(claim, True)
            tx.save(claim, condition=VinClaimItem.pk.does_not_exist())
            tx.delete(VinClaimItem(org_pk(caller.org_id), dal.vin_sk(old_vin)),
                      condition=VinClaimItem.asset_id == asset_id)
        groups_dal.add_memberships(tx, caller.org_id, asset_id, new_groups - old_groups)
        groups_dal.remove_memberships(tx, caller.org_id, asset_id, old_groups - new_groups)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="asset.updated", target_type="asset",
                        target_id=asset_id, before=before, after=dal.to_asset(item))
    return dal.to_asset(item)


def _vin_free(org_id: str, vin: str) -> None:
    """A VIN an asset may change to: nobody's. An inactive asset keeps its VIN's claim, so that creating
    that VIN again reactivates it (README); taking the claim over would orphan that asset."""
    claim = dal.get_vin_claim(org_id, vin)
    if claim is None:
        return
    if claim.active:
        raise Conflict(f"VIN {vin} belongs to another active asset ({claim.asset_id})")
    raise Conflict(f"VIN {vin} belongs to inactive asset {claim.asset_id}: create an asset with this VIN "
                   "(POST /assets) to reactivate that one")


def deactivate_asset(caller: Principal, asset_id: str) -> None:
    """DELETE: the asset becomes inactive and frees its VIN; deleting it again changes nothing."""
    item = dal.get_asset_item(caller.org_id, asset_id)
    if item is None:
        raise NotFound(f"asset {asset_id} not found")
    if item.status == AssetStatus.INACTIVE.value:
        return
    before = dal.to_asset(item)
    item.status = AssetStatus.INACTIVE.value
    item.updated_at = utc_now()
    dal.index_status(item)
    claim = VinClaimItem(org_pk(caller.org_id), dal.vin_sk(item.vin), asset_id=asset_id, org_id=caller.org_id)
    dal.set_claim_active(claim, False)
    with atomic(RACE) as tx:
        tx.save(item)
        tx.save(claim, condition=VinClaimItem.asset_id == asset_id)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="asset.deactivated", target_type="asset",
                        target_id=asset_id, before=before, after=dal.to_asset(item))
