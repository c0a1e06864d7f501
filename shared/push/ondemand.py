"""A test delivery on demand (Fleetrock's "Send Test Webhook"): signed like any, sent now, once.

It is stored, so it shows in the deliveries list, already claimed (status sending, attempt 1): its
stream record does not send it again. Its retry window is over from the start: a crash before the
outcome is recorded gets one more attempt when the lease ends (push_retry), and no retries after.
"""

from __future__ import annotations

import time
from datetime import timedelta

from shared.db.base import atomic
from shared.ids import new_id, utc_now
from shared.push import sender, signing
from shared.push.attempts import LEASE, signing_secrets
from shared.push.dal import deliveries as dal
from shared.push.dal.deliveries import DeliveryContent
from shared.push.events import OnDemandTestEvent, body
from shared.push.models import DeliveryKind, DeliveryStatus, PushSubscriptionItem, TestDeliveryResult

NO_RETRIES = timedelta(0)  # its retry window ends as it starts


def send_test_delivery(subscription: PushSubscriptionItem) -> TestDeliveryResult:
    now = utc_now()
    payload = body(OnDemandTestEvent(fleet_id=subscription.fleet_id, subscription_id=subscription.subscription_id,
                                     generated_at=now))
    new = dal.new_item(delivery_id=new_id("dlv"), subscription_id=subscription.subscription_id,
                       fleet_id=subscription.fleet_id, content=DeliveryContent(DeliveryKind.TEST, payload), now=now,
                       retry_for=NO_RETRIES, queued_grace=LEASE)
    item = new.item
    item.status, item.attempts = DeliveryStatus.SENDING.value, 1
    item.lease_until, item.last_attempt_at = now + LEASE, now
    with atomic("a delivery with this id exists") as tx:
        dal.add(tx, new)
    headers = signing.headers(signing_secrets(subscription, now), int(time.time()), item.delivery_id, payload)
    started = time.monotonic()
    result = sender.send(subscription.url, payload, headers)
    duration_ms = round((time.monotonic() - started) * 1000)
    done = utc_now()
    if result.ok:
        dal.mark_delivered(item, 1, status_code=result.status_code or 200, now=done)
    else:
        dal.mark_failed(item, 1, status_code=result.status_code, error=result.error or "failed", now=done)
    return TestDeliveryResult(delivery_id=item.delivery_id, delivered=result.ok, status_code=result.status_code,
                              duration_ms=duration_ms, error=result.error)


