"""A fixed-window rate limiter on the table: one counter item per key and window, updated atomically.

`hit` is one UpdateItem (`ADD hits :1`, condition `attribute_not_exists(hits) OR hits < :limit`):
concurrent callers serialize on the item, so at most `limit` calls pass per window, on any number
of Lambda instances. Over the limit: TooManyRequests, which the API answers 429 with Retry-After.
"""

from __future__ import annotations

import math
import time

from pynamodb.exceptions import UpdateError

from shared.db.base import condition_failed
from shared.errors import TooManyRequests
from shared.ratelimit.models import RateCounterItem

EXPIRY_GRACE_SECONDS = 60  # keep a window's item a little past its end (TTL deletion is lazy anyway)


def counter_pk(name: str, key: str) -> str:
    return f"RATE#{name}#{key}"


def hit(name: str, key: str, *, limit: int, window_seconds: int, now: float | None = None) -> int:
    """Count one call of `key` against `name`'s limit: the calls so far in this window, or TooManyRequests."""
    now = time.time() if now is None else now
    window_start = int(now // window_seconds) * window_seconds
    window_end = window_start + window_seconds
    counter = RateCounterItem(counter_pk(name, key), str(window_start))
    try:
        counter.update(
            actions=[
                RateCounterItem.hits.add(1),
                RateCounterItem.expires_at_epoch.set(window_end + EXPIRY_GRACE_SECONDS),
                RateCounterItem.type.set(RateCounterItem),
            ],
            condition=RateCounterItem.hits.does_not_exist() | (RateCounterItem.hits < limit),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        retry_after = max(1, math.ceil(window_end - now))
        raise TooManyRequests(
            f"at most {limit} calls per {window_seconds} s; try again in {retry_after} s", retry_after
        ) from exc
    return int(counter.hits)
