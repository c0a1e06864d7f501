"""Data access of integrations (pk FLEETROCK#{integration_id}) and the one-per-fleet claim."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from shared.db.base import condition_failed
from shared.db.claims import CLAIM, ClaimItem, add_claim
from shared.db.pagination import Page, query_page
from shared.fleetrock.integration.models import Integration, IntegrationItem, IntegrationStatus

SK = "INTEGRATION"
ACTIVE_PARTITION = "FLEETROCK#ACTIVE"


def integration_pk(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}"


def fleet_claim_pk(org_id: str) -> str:
    """One Fleetrock integration per fleet: assets match by VIN within the fleet."""
    return f"FLEETROCKFLEET#{org_id}"


def fleet_partition(org_id: str) -> str:
    return f"ORG#{org_id}#INTEGRATIONS"


def webhook_path(integration_id: str) -> str:
    return f"/webhooks/fleetrock/{integration_id}"


def index(item: IntegrationItem) -> None:
    """gsi1: the fleet's integrations; gsi2 only while active: every active integration."""
    item.gsi1pk, item.gsi1sk = fleet_partition(item.org_id), item.integration_id
    active = item.status == IntegrationStatus.ACTIVE.value
    item.gsi2pk = ACTIVE_PARTITION if active else None
    item.gsi2sk = f"{item.org_id}#{item.integration_id}" if active else None


def to_integration(item: IntegrationItem) -> Integration:
    stored = {k: v for k, v in item.attribute_values.items() if v is not None}  # unset: the model's default
    return Integration.model_validate(
        {**stored, "webhook_path": webhook_path(item.integration_id), "version": item.version}
    )


def add_fleet_claim(tx: TransactWrite, org_id: str, integration_id: str) -> None:
    add_claim(tx, fleet_claim_pk(org_id), integration_id, org_id)


def get_integration_item(integration_id: str) -> IntegrationItem | None:
    return IntegrationItem.find(integration_pk(integration_id), SK, consistent_read=True)


# The webhook's hot path reads its integration at most once per CACHE_SECONDS per process (warm Lambda):
# the GetItem was half of a webhook's cost. What that delays, at most CACHE_SECONDS, in another process
# (in this one, `forget` at every change): a deactivation (410) and the end of a rotated-out secret. A
# new secret is never refused for it: a signature that fails against a cached item is checked against
# a fresh read (shared/fleetrock/inbox/webhook.py).
CACHE_SECONDS = 5.0
CACHE_SIZE = 1000
_cache: dict[str, tuple[float, IntegrationItem]] = {}


def cached_integration_item(integration_id: str) -> tuple[IntegrationItem | None, bool]:
    """(the integration, whether it came from the cache); unknown ids are never cached."""
    hit = _cache.get(integration_id)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1], True
    item = get_integration_item(integration_id)
    if item is None:
        _cache.pop(integration_id, None)
        return None, False
    if len(_cache) >= CACHE_SIZE:
        _cache.clear()
    _cache[integration_id] = (time.monotonic(), item)
    return item, False


def forget(integration_id: str) -> None:
    """The integration changed: this process's next webhook reads it afresh."""
    _cache.pop(integration_id, None)


def get_fleet_integration(org_id: str) -> IntegrationItem | None:
    """The fleet's integration, through its claim (two GetItems; no index lag)."""
    claim = ClaimItem.find(fleet_claim_pk(org_id), CLAIM, consistent_read=True)
    if claim is None:
        return None
    item = get_integration_item(claim.owner_id)
    return item if item is not None and item.org_id == org_id else None


def list_fleet_integrations(org_id: str, *, limit: int, cursor: str | None) -> Page[Integration]:
    return query_page(IntegrationItem.query, fleet_partition(org_id), index_name="gsi1", limit=limit,
                      cursor=cursor, convert=to_integration)


def list_active_integrations(*, limit: int = 100, cursor: str | None = None) -> Page[Integration]:
    """One page of every fleet's active integration: a Query on the sparse gsi2 (for the daily refresh)."""
    return query_page(IntegrationItem.query, ACTIVE_PARTITION, index_name="gsi2", limit=limit, cursor=cursor,
                      convert=to_integration)


def active_integrations(page_size: int = 100) -> Iterator[Integration]:
    """Every active integration, page by page."""
    cursor: str | None = None
    while True:
        page = list_active_integrations(limit=page_size, cursor=cursor)
        yield from page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _note(integration_id: str, actions: list[Any]) -> None:
    """What we learned of Fleetrock, set without the version: an admin's edit in flight still lands
    (these attributes are ours, never an admin's), and a deleted integration is not re-created."""
    try:
        IntegrationItem._get_connection().update_item(
            integration_pk(integration_id), SK, actions=actions, condition=IntegrationItem.pk.exists())
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def note_created_lookup(integration_id: str, outcome: str, at: datetime) -> None:
    _note(integration_id, [IntegrationItem.created_lookup.set(outcome), IntegrationItem.created_lookup_at.set(at)])


def note_signature_form(integration_id: str, form: str) -> None:
    _note(integration_id, [IntegrationItem.signature_form.set(form)])
