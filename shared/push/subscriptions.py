"""Push subscriptions of a fleet (its admins): create, list, pause, resume, delete, rotate the secret; deliveries.

A subscription starts pending; a verification delivery, stored in the same transaction, must
reach its URL before it becomes active and receives snapshots. The secret is generated here,
stored encrypted, and shown once (create, rotate). Every change is audited: a subscription sends
the fleet's data out of Fleetbridge.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.db.base import atomic
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.errors import Conflict, NotFound
from shared.ids import new_id, utc_now
from shared.push import signing
from shared.push.attempts import QUEUED_GRACE, RETRY_FOR
from shared.push.dal import deliveries as deliveries_dal
from shared.push.dal import subscriptions as dal
from shared.push.dal.deliveries import DeliveryContent
from shared.push.models import (
    IN_FLIGHT,
    Delivery,
    DeliveryKind,
    PushSubscriptionItem,
    Subscription,
    SubscriptionCreate,
    SubscriptionStatus,
    SubscriptionUpdate,
    SubscriptionWithSecret,
    TestDeliveryResult,
)
from shared.push.ondemand import send_test_delivery
from shared.push.urls import check_push_url
from shared.secrets.cipher import get_cipher
from shared.secrets.purposes import PUSH_SUBSCRIPTION_SECRET
from shared.settings import get_settings

ROTATION_OVERLAP = timedelta(hours=24)
MAX_SUBSCRIPTIONS = 20  # a change's deliveries to all of them are stored in one transaction (changes.py)
CHANGED = "the subscription changed meanwhile; reload it and try again"


def _get(caller: Principal, subscription_id: str) -> PushSubscriptionItem:
    item = dal.get_item(caller.org_id, subscription_id)
    if item is None:
        raise NotFound(f"subscription {subscription_id} not found")
    return item


def _audit(tx: TransactWrite, caller: Principal, action: str, item: PushSubscriptionItem,
           before: Subscription | None = None, after: Subscription | dict[str, Any] | None = None) -> None:
    add_audit_event(tx, org_id=caller.org_id, actor=caller, action=f"push_subscription.{action}",
                    target_type="push_subscription", target_id=item.subscription_id, before=before, after=after)


def _with_secret(item: PushSubscriptionItem, secret: str) -> SubscriptionWithSecret:
    return SubscriptionWithSecret(**dal.to_subscription(item).model_dump(), secret=secret)


def _encrypt(secret: str, subscription_id: str) -> str:
    return get_cipher().encrypt(secret, purpose=PUSH_SUBSCRIPTION_SECRET, owner=subscription_id)


def _add_verification(tx: TransactWrite, item: PushSubscriptionItem, now: datetime) -> None:
    """The delivery that proves the URL is ours to push to: stored now, sent by the stream processor."""
    delivery_id = new_id("dlv")
    body = json.dumps({"type": DeliveryKind.VERIFICATION.value, "fleet_id": item.fleet_id,
                       "subscription_id": item.subscription_id, "generated_at": now.isoformat()},
                      separators=(",", ":")).encode()
    delivery = deliveries_dal.new_item(delivery_id=delivery_id, subscription_id=item.subscription_id,
                                       fleet_id=item.fleet_id, content=DeliveryContent(DeliveryKind.VERIFICATION, body),
                                       now=now, retry_for=RETRY_FOR, queued_grace=QUEUED_GRACE)
    deliveries_dal.add(tx, delivery)


def create(caller: Principal, body: SubscriptionCreate) -> SubscriptionWithSecret:
    url = check_push_url(body.url, allow_loopback_http=get_settings().allow_loopback_http)
    now = utc_now()
    subscription_id = new_id("psub")
    secret = signing.new_secret()
    item = PushSubscriptionItem(
        org_pk(caller.org_id), dal.subscription_sk(subscription_id), subscription_id=subscription_id,
        fleet_id=caller.org_id, url=url, description=body.description, status=SubscriptionStatus.PENDING.value,
        secret=_encrypt(secret, subscription_id), created_by=caller.user_id, created_at=now, updated_at=now,
        events={e.value for e in body.events},
    )
    if len(dal.all_items(caller.org_id)) >= MAX_SUBSCRIPTIONS:
        raise Conflict(f"a fleet has at most {MAX_SUBSCRIPTIONS} push subscriptions: delete one first")
    with atomic(CHANGED) as tx:
        tx.save(item, condition=PushSubscriptionItem.pk.does_not_exist())
        _add_verification(tx, item, now)
        _audit(tx, caller, "created", item, after=dal.to_subscription(item))
    return _with_secret(item, secret)


def get(caller: Principal, subscription_id: str) -> Subscription:
    return dal.to_subscription(_get(caller, subscription_id))


def list_subscriptions(caller: Principal, limit: int, cursor: str | None) -> Page[Subscription]:
    return dal.list_page(caller.org_id, limit=limit, cursor=cursor)


def update(caller: Principal, subscription_id: str, body: SubscriptionUpdate) -> Subscription:
    """Change what it receives (e.g. an older subscription opting in to status_changed) or its description."""
    item = _get(caller, subscription_id)
    before, now = dal.to_subscription(item), utc_now()
    actions: list[Action] = [PushSubscriptionItem.updated_at.set(now)]
    if body.events is not None:
        item.events = {e.value for e in body.events}
        actions.append(PushSubscriptionItem.events.set(item.events))
    if "description" in body.model_fields_set:
        item.description = body.description
        actions.append(PushSubscriptionItem.description.set(body.description) if body.description
                       else PushSubscriptionItem.description.remove())
    item.updated_at = now
    with atomic(CHANGED) as tx:
        tx.update(item, actions=actions, condition=PushSubscriptionItem.updated_at == before.updated_at)
        _audit(tx, caller, "updated", item, before, dal.to_subscription(item))
    return dal.to_subscription(item)


def send_test(caller: Principal, subscription_id: str) -> TestDeliveryResult:
    """One signed `test` delivery now, whatever the subscription's status; its outcome, never retried."""
    return send_test_delivery(_get(caller, subscription_id))


def pause(caller: Principal, subscription_id: str) -> Subscription:
    item = _get(caller, subscription_id)
    if item.status == SubscriptionStatus.PAUSED.value:
        return dal.to_subscription(item)
    before, now = dal.to_subscription(item), utc_now()
    item.status, item.paused_reason, item.updated_at = SubscriptionStatus.PAUSED.value, "manual", now
    with atomic(CHANGED) as tx:
        tx.update(item, actions=[PushSubscriptionItem.status.set(item.status),
                                 PushSubscriptionItem.paused_reason.set("manual"),
                                 PushSubscriptionItem.updated_at.set(now)],
                  condition=PushSubscriptionItem.status == before.status.value)
        _audit(tx, caller, "paused", item, before, dal.to_subscription(item))
    return dal.to_subscription(item)


def resume(caller: Principal, subscription_id: str) -> Subscription:
    """Paused -> pending: a new verification delivery must succeed before snapshots flow again."""
    item = _get(caller, subscription_id)
    if item.status != SubscriptionStatus.PAUSED.value:
        raise Conflict(f"the subscription is {item.status}, not paused")
    before, now = dal.to_subscription(item), utc_now()
    item.status, item.paused_reason, item.updated_at = SubscriptionStatus.PENDING.value, None, now
    with atomic(CHANGED) as tx:
        tx.update(item, actions=[PushSubscriptionItem.status.set(item.status),
                                 PushSubscriptionItem.paused_reason.remove(),
                                 PushSubscriptionItem.snapshot_hash.remove(),  # the next snapshot goes out in full
                                 PushSubscriptionItem.updated_at.set(now)],
                  condition=PushSubscriptionItem.status == SubscriptionStatus.PAUSED.value)
        _add_verification(tx, item, now)
        _audit(tx, caller, "resumed", item, before, dal.to_subscription(item))
    return dal.to_subscription(item)


def delete(caller: Principal, subscription_id: str) -> None:
    """Deliveries still in flight fail on their next attempt ("subscription deleted")."""
    item = _get(caller, subscription_id)
    with atomic(CHANGED) as tx:
        tx.delete(item, condition=PushSubscriptionItem.pk.exists())
        _audit(tx, caller, "deleted", item, before=dal.to_subscription(item))


def rotate_secret(caller: Principal, subscription_id: str) -> SubscriptionWithSecret:
    """A new secret, shown once; the one it replaces signs too for 24 h, so subscribers can switch over."""
    item = _get(caller, subscription_id)
    now, secret, old = utc_now(), signing.new_secret(), item.secret
    item.previous_secret, item.previous_secret_expires_at = old, now + ROTATION_OVERLAP
    item.secret, item.updated_at = _encrypt(secret, subscription_id), now
    with atomic(CHANGED) as tx:
        tx.update(item, actions=[PushSubscriptionItem.secret.set(item.secret),
                                 PushSubscriptionItem.previous_secret.set(old),
                                 PushSubscriptionItem.previous_secret_expires_at.set(item.previous_secret_expires_at),
                                 PushSubscriptionItem.updated_at.set(now)],
                  condition=PushSubscriptionItem.secret == old)  # two racing rotations: one wins
        _audit(tx, caller, "secret_rotated", item,
               after={"previous_secret_expires_at": item.previous_secret_expires_at.isoformat()})
    return _with_secret(item, secret)


def list_deliveries(caller: Principal, subscription_id: str, limit: int, cursor: str | None) -> Page[Delivery]:
    _get(caller, subscription_id)
    return deliveries_dal.list_page(subscription_id, limit=limit, cursor=cursor)


def get_delivery(caller: Principal, subscription_id: str, delivery_id: str) -> Delivery:
    _get(caller, subscription_id)
    delivery = deliveries_dal.get_item(subscription_id, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    return deliveries_dal.to_delivery(delivery)


def redeliver(caller: Principal, subscription_id: str, delivery_id: str) -> Delivery:
    """Send a delivered or failed delivery again, same id and body (subscribers dedupe by id)."""
    subscription = _get(caller, subscription_id)
    delivery = deliveries_dal.get_item(subscription_id, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    if delivery.status in IN_FLIGHT:
        raise Conflict(f"the delivery is {delivery.status}: it is being delivered already")
    verifying = (subscription.status == SubscriptionStatus.PENDING.value
                 and delivery.kind == DeliveryKind.VERIFICATION.value)
    if subscription.status != SubscriptionStatus.ACTIVE.value and not verifying:
        raise Conflict(f"the subscription is {subscription.status}: resume it (and let it verify) first")
    if not deliveries_dal.requeue(delivery, now=utc_now(), retry_for=RETRY_FOR, queued_grace=QUEUED_GRACE):
        raise Conflict("the delivery changed meanwhile (or its body is no longer kept); reload it and try again")
    return deliveries_dal.to_delivery(delivery)

