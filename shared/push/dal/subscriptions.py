"""Data access of push subscriptions: pk=ORG#{fleet_id}, sk=PUSHSUB#{subscription_id}."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from shared.db.base import condition_failed
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.push.models import PushSubscriptionItem, Subscription, SubscriptionStatus

SK_PREFIX = "PUSHSUB#"


def subscription_sk(subscription_id: str) -> str:
    return f"{SK_PREFIX}{subscription_id}"


def to_subscription(item: PushSubscriptionItem) -> Subscription:
    return Subscription.model_validate(item)


def get_item(fleet_id: str, subscription_id: str) -> PushSubscriptionItem | None:
    return PushSubscriptionItem.find(org_pk(fleet_id), subscription_sk(subscription_id), consistent_read=True)


def list_page(fleet_id: str, *, limit: int, cursor: str | None) -> Page[Subscription]:
    return query_page(PushSubscriptionItem.query, org_pk(fleet_id),
                      range_key_condition=PushSubscriptionItem.sk.startswith(SK_PREFIX),
                      limit=limit, cursor=cursor, convert=to_subscription)


def all_items(fleet_id: str) -> list[PushSubscriptionItem]:
    """Every subscription of a fleet (at most MAX_SUBSCRIPTIONS: one Query)."""
    return list(PushSubscriptionItem.query(org_pk(fleet_id), PushSubscriptionItem.sk.startswith(SK_PREFIX),
                                           consistent_read=True))


def active_items(fleet_id: str) -> list[PushSubscriptionItem]:
    """Every active subscription of a fleet (a handful: one Query, consistent)."""
    return list(PushSubscriptionItem.query(
        org_pk(fleet_id), PushSubscriptionItem.sk.startswith(SK_PREFIX), consistent_read=True,
        filter_condition=PushSubscriptionItem.status == SubscriptionStatus.ACTIVE.value,
    ))


def record_success(item: PushSubscriptionItem, now: datetime) -> None:
    """A delivery went through: the subscription is not failing any more."""
    _update_if_exists(item, [PushSubscriptionItem.last_delivered_at.set(now),
                             PushSubscriptionItem.failing_since.remove()])


def record_failure(item: PushSubscriptionItem, now: datetime) -> None:
    """An attempt failed: remember when the failures began (kept until a success)."""
    _update_if_exists(item, [PushSubscriptionItem.failing_since.set(
        PushSubscriptionItem.failing_since | now)])


def forget_snapshot(item: PushSubscriptionItem, content_hash: str) -> None:
    """A snapshot delivery failed for good: the next refresh pushes that snapshot again. Only while the
    subscription's hash is still that snapshot's: a newer one queued meanwhile is not forgotten."""
    try:
        item.update(actions=[PushSubscriptionItem.snapshot_hash.remove()],
                    condition=PushSubscriptionItem.snapshot_hash == content_hash)
    except UpdateError as exc:
        if not condition_failed(exc):
            raise  # another snapshot's hash, or the subscription is gone: nothing to forget


def _update_if_exists(item: PushSubscriptionItem, actions: list[Any]) -> None:
    try:
        item.update(actions=actions, condition=PushSubscriptionItem.pk.exists())
    except UpdateError as exc:
        if not condition_failed(exc):
            raise  # deleted meanwhile: nothing to record
