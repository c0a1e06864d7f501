"""Which of the fleet's vehicles a job is for (by asset id or VIN), and the partner's time-boxed read of it."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.transactions import TransactWrite

from shared.assets.public import (
    Asset,
    AssetItem,
    AssetStatus,
    VinClaimItem,
    asset_sk,
    get_asset_item,
    get_vin_claim,
    to_asset,
    vin_sk,
)
from shared.auth.principal import Principal
from shared.db.batch import batch_get_all
from shared.db.keys import org_pk
from shared.errors import NotFound, Unprocessable
from shared.jobs import dal


def resolve(fleet_id: str, asset_id: str | None, vin: str | None) -> AssetItem:
    """The fleet's active (or in-shop) asset named by id or VIN; 422 on the field that does not name one."""
    if asset_id is None and vin is None:
        raise Unprocessable("the job needs a vehicle", [{"field": "asset_id", "message": "give asset_id or vin"}])
    if asset_id is None:
        assert vin is not None
        claim = get_vin_claim(fleet_id, vin)
        if claim is None or not claim.active:
            raise Unprocessable.field("vin", f"no active asset in your fleet has VIN {vin}")
        asset_id = claim.asset_id
    item = get_asset_item(fleet_id, asset_id)
    field = "asset_id" if vin is None else "vin"
    if item is None:
        raise Unprocessable.field(field, f"no asset {asset_id} in your fleet")
    if item.status == AssetStatus.INACTIVE.value:
        raise Unprocessable.field(field, f"asset {asset_id} is inactive")
    if vin is not None and item.vin != vin:
        raise Unprocessable.field("vin", f"asset {asset_id} has VIN {item.vin}, not {vin}")
    return item


def active_claims(fleet_id: str, vins: Iterable[str]) -> dict[str, str]:
    """VIN -> asset id of the fleet's active assets among `vins` (BatchGetItem)."""
    keys = [(org_pk(fleet_id), vin_sk(v)) for v in dict.fromkeys(vins)]
    claims = batch_get_all(VinClaimItem, keys)
    return {c.sk.removeprefix("VIN#"): c.asset_id for c in claims if c.active}


def still_usable(tx: TransactWrite, item: AssetItem) -> None:
    """The asset must still be there and not inactive when the job's transaction commits."""
    tx.condition_check(AssetItem, org_pk(item.org_id), asset_sk(item.asset_id),
                       condition=AssetItem.pk.exists() & (AssetItem.status != AssetStatus.INACTIVE.value))


def read_vehicle(caller: Principal, asset_id: str) -> Asset:
    """GET /vehicles/{asset_id}: only while one of the partner's jobs on it is ASSIGNED or RUNNING."""
    grant = dal.vehicle_grant(caller.org_id, asset_id)
    item = get_asset_item(grant.fleet_id, asset_id) if grant is not None else None
    if item is None:
        raise NotFound(f"vehicle {asset_id} not found (or no open job of yours is on it)")
    return to_asset(item)
