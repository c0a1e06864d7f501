"""Demo push subscription for `make dev`: the demo fleet subscribed to the local subscriber (dev/push_subscriber.py).

`dev.run` starts the subscriber and calls `use()`; seeding creates the subscription through the
same logic the API runs and hands its secret to the subscriber, whose answer to the verification
delivery (sent by the stream poller) makes it active. Without a subscriber (the seed test)
nothing happens here.
"""

from __future__ import annotations

import time
from typing import Any

from dev.push_subscriber import PushSubscriber
from shared.auth.principal import Principal
from shared.push import subscriptions
from shared.push.models import SubscriptionCreate, SubscriptionStatus

ACTIVE_WITHIN_SECONDS = 15.0
DEMO: dict[str, Any] = {}


def use(subscriber: PushSubscriber) -> None:
    DEMO.update(subscriber=subscriber)


def seed_push(fleet: Principal) -> None:
    subscriber: PushSubscriber | None = DEMO.get("subscriber")
    if subscriber is None:
        return
    created = subscriptions.create(fleet, SubscriptionCreate(url=subscriber.url, description="demo dispatch system"))
    subscriber.secrets.append(created.secret)
    DEMO.update(subscription_id=created.subscription_id, url=subscriber.url)
    deadline = time.monotonic() + ACTIVE_WITHIN_SECONDS  # the stream poller delivers the verification
    while time.monotonic() < deadline:
        if subscriptions.get(fleet, created.subscription_id).status is SubscriptionStatus.ACTIVE:
            return
        time.sleep(0.2)
    print("!! the demo push subscription is not active yet: see the stream poller's log")
