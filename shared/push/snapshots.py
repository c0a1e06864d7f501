"""Push a fleet's maintenance snapshot to its active subscriptions that want it: the daily refresh's push.

The snapshot is paged (500 assets, and at most ~1 MB of JSON, per page); for each active
subscription one delivery per page is stored, in transactions, with the subscription's content
hash; the deliveries' stream records send them. A subscription whose last snapshot had the same
content (whatever `generated_at`) gets nothing: unchanged data is not pushed twice. A snapshot
that failed for good (24 h of retries) is forgotten, so the next morning pushes it again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from pynamodb.transactions import TransactWrite

from shared.db.base import atomic
from shared.errors import Conflict
from shared.ids import new_id, utc_now
from shared.maintenance.public import AssetState
from shared.observability import logger
from shared.push.attempts import QUEUED_GRACE, RETRY_FOR
from shared.push.dal import deliveries as deliveries_dal
from shared.push.dal import subscriptions as subs_dal
from shared.push.dal.deliveries import DeliveryContent, NewDelivery
from shared.push.models import DeliveryKind, EventType, PushSubscriptionItem, SubscriptionStatus

PAGE_ASSETS = 500
PAGE_BYTES = 1_000_000  # raw JSON; stored compressed, well under DynamoDB's 400 KB item limit
TX_ITEMS = 90  # DynamoDB allows 100 items per transaction
TX_BYTES = 3_000_000  # and 4 MB


def content_hash(assets: Sequence[AssetState]) -> str:
    """What the snapshot says, independent of when it was generated and of the assets' order."""
    canonical = sorted((a.model_dump(mode="json") for a in assets), key=lambda a: a["asset_id"])
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def pages(assets: Sequence[AssetState]) -> list[list[dict[str, object]]]:
    """Assets in pages of at most PAGE_ASSETS and about PAGE_BYTES of JSON; one (empty) page for no assets."""
    result: list[list[dict[str, object]]] = [[]]
    size = 0
    for asset in sorted(assets, key=lambda a: a.asset_id):
        data = asset.model_dump(mode="json")
        length = len(json.dumps(data, separators=(",", ":")))
        if result[-1] and (len(result[-1]) >= PAGE_ASSETS or size + length > PAGE_BYTES):
            result.append([])
            size = 0
        result[-1].append(data)
        size += length
    return result


def page_body(fleet_id: str, generated_at: datetime, page: int, total: int, assets: list[dict[str, object]]) -> bytes:
    """A SnapshotEvent's JSON (shared/push/events.py), from assets already dumped (they were measured)."""
    return json.dumps({"type": DeliveryKind.SNAPSHOT.value, "fleet_id": fleet_id,
                       "generated_at": generated_at.isoformat(), "page": page, "pages": total, "assets": assets},
                      separators=(",", ":")).encode()


def push_snapshot(fleet_id: str, assets: Sequence[AssetState], generated_at: datetime,
                  now: datetime | None = None) -> list[str]:
    """Store one delivery per page for every active subscription whose data changed; their ids.

    `now` (default: the clock) starts the deliveries' 24 h retry window.
    """
    digest = content_hash(assets)
    paged = pages(assets)
    bodies = [page_body(fleet_id, generated_at, n, len(paged), p) for n, p in enumerate(paged, start=1)]
    queued: list[str] = []
    for subscription in subs_dal.active_items(fleet_id):
        if not subscription.wants(EventType.SNAPSHOT):
            continue
        if subscription.snapshot_hash == digest:
            logger.info("snapshot unchanged: not pushed", extra={"subscription_id": subscription.subscription_id})
            continue
        queued += _queue(subscription, bodies, digest, now or utc_now())
    return queued


def _queue(subscription: PushSubscriptionItem, bodies: list[bytes], digest: str, now: datetime) -> list[str]:
    items = [
        deliveries_dal.new_item(delivery_id=new_id("dlv"), subscription_id=subscription.subscription_id,
                                fleet_id=subscription.fleet_id,
                                content=DeliveryContent(DeliveryKind.SNAPSHOT, body, page=n, pages=len(bodies),
                                                        content_hash=digest),
                                now=now, retry_for=RETRY_FOR, queued_grace=QUEUED_GRACE)
        for n, body in enumerate(bodies, start=1)
    ]
    chunks = _chunks(items)
    try:
        for index, chunk in enumerate(chunks):
            with atomic("the subscription changed meanwhile") as tx:
                for new in chunk:
                    deliveries_dal.add(tx, new)
                if index == len(chunks) - 1:  # the hash goes with the last page: a half-queued snapshot is redone
                    _claim_hash(tx, subscription, digest)
    except Conflict:
        logger.info("subscription changed while its snapshot was queued: skipped",
                    extra={"subscription_id": subscription.subscription_id})
        return []
    return [new.item.delivery_id for new in items]


def _claim_hash(tx: TransactWrite, subscription: PushSubscriptionItem, digest: str) -> None:
    """Record the content sent, if the subscription is still active and nobody queued it meanwhile."""
    seen = subscription.snapshot_hash
    field = PushSubscriptionItem.snapshot_hash
    # the hash read, or none: a snapshot that failed for good may have been forgotten meanwhile (attempts.py)
    unchanged = ((field == seen) | field.does_not_exist()) if seen else field.does_not_exist()
    tx.update(subscription, actions=[PushSubscriptionItem.snapshot_hash.set(digest)],
              condition=(PushSubscriptionItem.status == SubscriptionStatus.ACTIVE.value) & unchanged)


def _chunks(items: list[NewDelivery]) -> list[list[NewDelivery]]:
    """Deliveries in transactions of at most TX_ITEMS items (a delivery and its body's item: 2) and TX_BYTES."""
    chunks: list[list[NewDelivery]] = [[]]
    size = 0
    for item in items:
        length = item.size
        if chunks[-1] and (2 * (len(chunks[-1]) + 1) > TX_ITEMS or size + length > TX_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += length
    return chunks
