"""Integration set-up: configure, update, activate (import and link), deactivate, rotate the webhook secret.

Secrets go in encrypted and never come out, except a new webhook secret, once, in the answer
that created it (the fleet pastes it into Fleetrock).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.assets.public import AssetItem, get_asset_item, get_vin_claim
from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.db.base import atomic, condition_failed, expect_version, save_if, transaction
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.errors import Conflict, Unprocessable
from shared.fleetrock.inbox import dal as inbox_dal
from shared.fleetrock.inbox.models import InboxItem, InboxStatus
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration.access import owned
from shared.fleetrock.integration.credentials import (
    client_for,
    encrypt_api_key,
    encrypt_webhook_secret,
    new_webhook_secret,
)
from shared.fleetrock.integration.models import (
    Activation,
    Integration,
    IntegrationCreate,
    IntegrationItem,
    IntegrationStatus,
    IntegrationUpdate,
    IntegrationWithSecret,
)
from shared.fleetrock.remote.client import FleetrockAuthError, FleetrockClient, FleetrockError, FleetrockUnavailable
from shared.fleetrock.remote.lookup import list_orders
from shared.fleetrock.sync import dal as sync_dal
from shared.fleetrock.sync.models import UnitSyncItem
from shared.fleetrock.sync.sync import RETRY
from shared.ids import new_id, utc_now
from shared.maintenance.public import OPEN_RO_STATUSES
from shared.observability import logger

TRANSACTION_ITEMS = 100


def configure(caller: Principal, body: IntegrationCreate) -> IntegrationWithSecret:
    """Store the account (API key encrypted) and a new webhook secret; one integration per fleet."""
    now, integration_id, secret = utc_now(), new_id("int"), new_webhook_secret()
    item = IntegrationItem(
        integration_dal.integration_pk(integration_id), integration_dal.SK, integration_id=integration_id,
        org_id=caller.org_id, login_url=str(body.login_url).rstrip("/"), username=body.username,
        api_key_ciphertext=encrypt_api_key(body.api_key.get_secret_value(), integration_id),
        webhook_secret_ciphertext=encrypt_webhook_secret(secret, integration_id), default_group=body.default_group,
        status=IntegrationStatus.CONFIGURED.value, created_at=now, updated_at=now, secret_rotated_at=now,
        time_zone=body.time_zone, lookback_days=body.lookback_days, almost_due_days=body.almost_due_days,
        almost_due_miles=body.almost_due_miles, almost_due_engine_hours=body.almost_due_engine_hours,
    )
    integration_dal.index(item)
    with atomic("your fleet has a Fleetrock integration already: update that one") as tx:
        integration_dal.add_fleet_claim(tx, caller.org_id, integration_id)
        tx.save(item, condition=IntegrationItem.pk.does_not_exist())
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="integration.configured",
                        target_type="integration", target_id=integration_id, after=_public(item))
    return IntegrationWithSecret(**integration_dal.to_integration(item).model_dump(), webhook_secret=secret)


def _public(item: IntegrationItem) -> dict[str, Any]:
    return integration_dal.to_integration(item).model_dump(mode="json")


def get_integration(caller: Principal, integration_id: str) -> Integration:
    return integration_dal.to_integration(owned(caller, integration_id))


def list_integrations(caller: Principal, limit: int, cursor: str | None) -> Page[Integration]:
    return integration_dal.list_fleet_integrations(caller.org_id, limit=limit, cursor=cursor)


def update(caller: Principal, integration_id: str, body: IntegrationUpdate) -> Integration:
    """Change the account; changed credentials of an active integration are checked first."""
    item = owned(caller, integration_id)
    expect_version(item, body.version, "integration")
    before = _public(item)
    if body.login_url is not None:
        item.login_url = str(body.login_url).rstrip("/")
    if body.username is not None:
        item.username = body.username
    if body.default_group is not None:
        item.default_group = body.default_group
    if body.time_zone is not None:
        item.time_zone = body.time_zone
    if body.lookback_days is not None:
        item.lookback_days = body.lookback_days
    for threshold in ("almost_due_days", "almost_due_miles", "almost_due_engine_hours"):
        if getattr(body, threshold) is not None:
            setattr(item, threshold, getattr(body, threshold))
    if body.api_key is not None:
        item.api_key_ciphertext = encrypt_api_key(body.api_key.get_secret_value(), integration_id)
    if item.status == IntegrationStatus.ACTIVE.value and body.model_fields_set & {"login_url", "username", "api_key"}:
        with client_for(item, in_request=True) as client:
            _check_credentials(client)
    item.updated_at = utc_now()
    with atomic("the integration was changed meanwhile: reload it") as tx:
        tx.save(item)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="integration.updated",
                        target_type="integration", target_id=integration_id, before=before, after=_public(item))
    integration_dal.forget(integration_id)
    return integration_dal.to_integration(item)


def _check_credentials(client: FleetrockClient) -> None:
    try:
        client.get_token()
    except FleetrockAuthError:
        raise Unprocessable.field("api_key", "Fleetrock refused this username and API key (generate the key "
                                             "without JWT, for the owner account)") from None
    except FleetrockUnavailable:
        raise Unprocessable.field("login_url", "Fleetrock did not answer at this login URL; check it, or "
                                               "try again in a few minutes") from None
    except FleetrockError:
        raise Unprocessable.field("login_url", "this login URL does not answer as Fleetrock does") from None


def rotate_secret(caller: Principal, integration_id: str) -> IntegrationWithSecret:
    """A new webhook secret, shown once; the old one stops working at once."""
    item = owned(caller, integration_id)
    secret = new_webhook_secret()
    item.webhook_secret_ciphertext = encrypt_webhook_secret(secret, integration_id)
    item.secret_rotated_at = item.updated_at = utc_now()
    with atomic("the integration was changed meanwhile: try again") as tx:
        tx.save(item)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="integration.secret_rotated",
                        target_type="integration", target_id=integration_id)
    integration_dal.forget(integration_id)
    return IntegrationWithSecret(**integration_dal.to_integration(item).model_dump(), webhook_secret=secret)


def activate(caller: Principal, integration_id: str) -> Activation:
    """Check the credentials (GetToken), go active, queue the open repair orders, link units by VIN."""
    item = owned(caller, integration_id)
    if item.status == IntegrationStatus.ACTIVE.value:
        raise Conflict("the integration is active already")
    with client_for(item, in_request=True) as client:
        _check_credentials(client)
        try:
            listing = list_orders(item, client, closed_too=False)
            units = client.get_units()
        except FleetrockError:
            raise Unprocessable.field("login_url", "Fleetrock did not answer the import: try again") from None
    before = _public(item)
    item.status, item.activated_at = IntegrationStatus.ACTIVE.value, utc_now()
    item.updated_at = item.activated_at
    integration_dal.index(item)
    with atomic("the integration was changed meanwhile: reload it") as tx:
        tx.save(item)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="integration.activated",
                        target_type="integration", target_id=integration_id, before=before, after=_public(item))
    integration_dal.forget(integration_id)
    orders = [o for o in listing.orders.values() if o.get("status") in OPEN_RO_STATUSES]
    imported = sum(_queue_import(item, order, listing.read_at) for order in orders)
    linked = _link_units(item, units)
    logger.info("integration activated", extra={"integration_id": integration_id, "imported": imported,
                                                "linked": linked})
    return Activation(integration=integration_dal.to_integration(item), repair_orders_imported=imported,
                      units_linked=linked)


def _queue_import(item: IntegrationItem, order: dict[str, Any], read_at: datetime) -> bool:
    """An open repair order goes through the inbox like a webhook: one path applies both. It carries
    Fleetrock's state as we read it at `read_at` (its `sent_at`), so applying it needs no second read."""
    now = utc_now()
    event_id = f"import-{order['id']}-{item.activated_at.isoformat() if item.activated_at else now.isoformat()}"
    body = json.dumps({"event": "repair_order.imported", "event_id": event_id, "sent_at": read_at.isoformat(),
                       "data": order}, separators=(",", ":"), default=str)
    return inbox_dal.put_event(InboxItem(
        inbox_dal.inbox_pk(item.integration_id, event_id), inbox_dal.SK, integration_id=item.integration_id,
        org_id=item.org_id, event_id=event_id, event_type="repair_order.imported", sent_at=read_at, received_at=now,
        ro_id=str(order["id"]),
        body_zlib=inbox_dal.pack(body), status=InboxStatus.PENDING.value))


def _link_units(item: IntegrationItem, units: list[dict[str, Any]]) -> int:
    """Units whose VIN is an active asset of the fleet are linked (no unit is created here); each link is
    written as a retry, so its stream record sends the unit our fields (UpdateUnit) at once."""
    by_vin = {str(u.get("vin", "")).strip().upper(): u for u in units if u.get("vin") and u.get("id")}
    linked = 0
    batch: list[tuple[AssetItem, str]] = []
    for vin, unit in by_vin.items():
        claim = get_vin_claim(item.org_id, vin)
        if claim is None or not claim.active:
            continue
        asset = get_asset_item(item.org_id, claim.asset_id)
        if asset is None or sync_dal.get_sync(item.org_id, asset.asset_id) is not None:
            continue
        batch.append((asset, str(unit["id"])))

    def linked_state(asset: AssetItem, unit_id: str) -> UnitSyncItem:
        return UnitSyncItem(org_pk(item.org_id), sync_dal.sync_sk(asset.asset_id), org_id=item.org_id,
                            asset_id=asset.asset_id, integration_id=item.integration_id, unit_id=unit_id,
                            synced_version=asset.version or 0, updated_at=utc_now(), state=RETRY)

    for start in range(0, len(batch), TRANSACTION_ITEMS):
        chunk = batch[start:start + TRANSACTION_ITEMS]
        try:
            with transaction() as tx:
                for asset, unit_id in chunk:
                    tx.save(linked_state(asset, unit_id))  # new: version condition = attribute_not_exists
            linked += len(chunk)
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            # a stream sync wrote one of them meanwhile (it finds its unit by VIN itself): link the others
            linked += sum(save_if(linked_state(asset, unit_id), UnitSyncItem.pk.does_not_exist())
                          for asset, unit_id in chunk)
    return linked


def deactivate(caller: Principal, integration_id: str) -> Integration:
    """Stop: webhooks are answered 410 and assets no longer sync; statuses stay as they are."""
    item = owned(caller, integration_id)
    if item.status != IntegrationStatus.ACTIVE.value:
        return integration_dal.to_integration(item)
    before = _public(item)
    item.status, item.updated_at = IntegrationStatus.INACTIVE.value, utc_now()
    integration_dal.index(item)
    with atomic("the integration was changed meanwhile: reload it") as tx:
        tx.save(item)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="integration.deactivated",
                        target_type="integration", target_id=integration_id, before=before, after=_public(item))
    integration_dal.forget(integration_id)
    return integration_dal.to_integration(item)
