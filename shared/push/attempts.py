"""One attempt at a delivery: claim it, sign, POST, record the outcome; backoff and the failure policy.

The stream processor makes the first attempt (the delivery's INSERT record, or the MODIFY of a
redelivery); push_retry makes the later ones when they fall due. `now` is the time the attempt is
made for (the scheduled event's time in push_retry); the signature's timestamp is the wall clock,
since that is what the subscriber compares with its own.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

from shared.audit.public import add_audit_event
from shared.auth.principal import Identity
from shared.db.base import atomic
from shared.errors import Conflict
from shared.ids import utc_now
from shared.notifications.public import notify
from shared.observability import logger, metrics
from shared.orgs.public import get_org_item
from shared.push import sender, signing
from shared.push.dal import deliveries as dal
from shared.push.dal import subscriptions as subs_dal
from shared.push.models import (
    DeliveryItem,
    DeliveryKind,
    DeliveryStatus,
    PushSubscriptionItem,
    SubscriptionStatus,
)
from shared.secrets.cipher import decrypt_once
from shared.secrets.purposes import PUSH_SUBSCRIPTION_SECRET

RETRY_FOR = timedelta(hours=24)  # retry window of a delivery, from when it was stored (or redelivered)
QUEUED_GRACE = timedelta(minutes=2)  # a queued delivery the stream has not sent by then: push_retry sends it
LEASE = timedelta(seconds=60)  # an attempt not finished by then (a crashed worker) is made again
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
PAUSE_AFTER = timedelta(days=3)  # failing that long in a row pauses the subscription
SYSTEM = Identity(user_id="system:push")


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential (1 min, 2, 4 ... capped at 1 h) with equal jitter: half fixed, half random."""
    step: timedelta = min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)  # int ** int is Any to mypy
    fraction = rng.random() if rng else random.random()
    return step / 2 + step / 2 * fraction


def signing_secrets(subscription: PushSubscriptionItem, now: datetime) -> list[str]:
    """The current secret, and the previous one while the rotation overlap lasts (newest first)."""
    owner = subscription.subscription_id
    found = [decrypt_once(subscription.secret, purpose=PUSH_SUBSCRIPTION_SECRET, owner=owner)]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > now:
        found.append(decrypt_once(subscription.previous_secret, purpose=PUSH_SUBSCRIPTION_SECRET, owner=owner))
    return found


def send_from_stream(image: dict[str, Any]) -> None:
    """Stream work on a delivery's INSERT or MODIFY: attempt it if it is queued (new, or redelivered)."""
    if image.get("status") != DeliveryStatus.QUEUED.value:
        return
    item = DeliveryItem(str(image["pk"]), str(image["sk"]), delivery_id=str(image["delivery_id"]))
    attempt(item, seen_status=DeliveryStatus.QUEUED.value, seen_attempts=int(image.get("attempts") or 0),
            seen_due=None, now=utc_now())


def _failed_for_good(subscription: PushSubscriptionItem, item: DeliveryItem) -> None:
    """A snapshot that never arrived is not "unchanged data": forget what was queued, so the next
    morning's refresh pushes it again (shared/push/snapshots.py skips only what was sent before)."""
    if item.kind == DeliveryKind.SNAPSHOT.value and item.content_hash:
        subs_dal.forget_snapshot(subscription, item.content_hash)


def attempt(item: DeliveryItem, *, seen_status: str, seen_attempts: int, seen_due: str | None,
            now: datetime) -> DeliveryStatus | None:
    """Make the attempt after `seen_attempts`; None when another worker made it (or the delivery moved on)."""
    if not dal.claim(item, seen_status=seen_status, seen_attempts=seen_attempts, seen_due=seen_due, now=now,
                     lease=LEASE):
        logger.info("delivery attempt already taken", extra={"delivery_id": item.delivery_id})
        return None
    number = seen_attempts + 1
    log = {"delivery_id": item.delivery_id, "subscription_id": item.subscription_id, "attempt": number}
    subscription = subs_dal.get_item(item.fleet_id, item.subscription_id)
    refusal = _refusal(subscription, item)
    if subscription is None or refusal:
        dal.mark_failed(item, number, status_code=None, error=refusal or "subscription deleted", now=now)
        logger.info("delivery not sent", extra={**log, "reason": refusal or "subscription deleted"})
        if subscription is not None:
            _failed_for_good(subscription, item)
        return DeliveryStatus.FAILED
    body = dal.body_of(item)
    if body is None:  # its own item expired (a redelivery long after): nothing to send
        dal.mark_failed(item, number, status_code=None, error="the delivery's body is no longer kept", now=now)
        logger.warning("delivery body missing", extra=log)
        return DeliveryStatus.FAILED
    headers = signing.headers(signing_secrets(subscription, now), int(time.time()), item.delivery_id, body)
    result = sender.send(subscription.url, body, headers)
    if result.ok:
        if dal.mark_delivered(item, number, status_code=result.status_code or 200, now=now):
            _succeeded(subscription, item, now)
        metrics.add_metric(name="PushDelivered", unit="Count", value=1)
        logger.info("delivery accepted", extra={**log, "status_code": result.status_code})
        return DeliveryStatus.DELIVERED
    error = result.error or "failed"
    retry_at = now + backoff(number - int(item.attempts_before_window or 0))  # counted from the last redelivery
    if retry_at < item.retry_until:
        dal.mark_retrying(item, number, status_code=result.status_code, error=error, now=now, next_attempt_at=retry_at)
        outcome = DeliveryStatus.RETRYING
    else:
        dal.mark_failed(item, number, status_code=result.status_code, error=error, now=now)
        metrics.add_metric(name="PushFailed", unit="Count", value=1)
        _failed_for_good(subscription, item)
        outcome = DeliveryStatus.FAILED
    logger.info("delivery attempt failed", extra={**log, "status_code": result.status_code, "error": error,
                                                   "outcome": outcome.value})
    subs_dal.record_failure(subscription, now)
    _pause_if_failing_too_long(subscription, now)
    return outcome


def _refusal(subscription: PushSubscriptionItem | None, item: DeliveryItem) -> str | None:
    """Why this delivery must not go out now (it fails, and is replayable), or None."""
    if subscription is None:
        return "subscription deleted"
    if item.kind == DeliveryKind.TEST.value:
        return None  # asked for by an admin, whatever the subscription's status
    if subscription.status == SubscriptionStatus.PAUSED.value:
        return "subscription paused"
    if subscription.status == SubscriptionStatus.PENDING.value and item.kind != DeliveryKind.VERIFICATION.value:
        return "subscription not verified"
    return None


def _succeeded(subscription: PushSubscriptionItem, item: DeliveryItem, now: datetime) -> None:
    if item.kind == DeliveryKind.VERIFICATION.value and subscription.status == SubscriptionStatus.PENDING.value:
        try:
            with atomic("the subscription changed meanwhile") as tx:
                tx.update(subscription, actions=[
                    PushSubscriptionItem.status.set(SubscriptionStatus.ACTIVE.value),
                    PushSubscriptionItem.verified_at.set(now),
                    PushSubscriptionItem.updated_at.set(now),
                ], condition=PushSubscriptionItem.status == SubscriptionStatus.PENDING.value)
                add_audit_event(tx, org_id=subscription.fleet_id, actor=SYSTEM, action="push_subscription.verified",
                                target_type="push_subscription", target_id=subscription.subscription_id,
                                after={"url": subscription.url, "status": SubscriptionStatus.ACTIVE.value})
        except Conflict:
            logger.info("subscription changed before verification", extra={"subscription_id": item.subscription_id})
    subs_dal.record_success(subscription, now)


def _pause_if_failing_too_long(subscription: PushSubscriptionItem, now: datetime) -> None:
    """Pause an active subscription failing for 3 days in a row; tell its fleet (dashboard and email)."""
    since = subscription.failing_since
    if subscription.status != SubscriptionStatus.ACTIVE.value or since is None or now - since < PAUSE_AFTER:
        return
    org = get_org_item(subscription.fleet_id)
    try:
        with atomic("the subscription changed meanwhile") as tx:
            tx.update(subscription, actions=[
                PushSubscriptionItem.status.set(SubscriptionStatus.PAUSED.value),
                PushSubscriptionItem.paused_reason.set("failing"),
                PushSubscriptionItem.updated_at.set(now),
            ], condition=(PushSubscriptionItem.status == SubscriptionStatus.ACTIVE.value)
                & (PushSubscriptionItem.failing_since == since))
            add_audit_event(tx, org_id=subscription.fleet_id, actor=SYSTEM, action="push_subscription.paused",
                            target_type="push_subscription", target_id=subscription.subscription_id,
                            before={"status": SubscriptionStatus.ACTIVE.value},
                            after={"status": SubscriptionStatus.PAUSED.value, "paused_reason": "failing"})
            if org is not None:
                notify(tx, org, kind="push_subscription_paused", title="A push subscription was paused",
                       body=(f"Deliveries to {subscription.url} have failed since {since.isoformat()}, so we paused "
                             "the subscription. Fix the endpoint, then resume the subscription and redeliver the "
                             "failed deliveries."),
                       data={"subscription_id": subscription.subscription_id, "url": subscription.url})
    except Conflict:
        return  # paused, resumed or delivered meanwhile: nothing to do
    metrics.add_metric(name="PushSubscriptionsPaused", unit="Count", value=1)
    logger.warning("push subscription paused after failing for 3 days",
                   extra={"subscription_id": subscription.subscription_id, "failing_since": since.isoformat()})
