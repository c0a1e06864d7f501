"""Fixed-window rate-limit counters."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute

from shared.db.base import TableItem


class RateCounterItem(TableItem, discriminator="rate_counter"):
    """pk=RATE#{name}#{key}, sk={window start, epoch seconds}: hits in one window.

    Written only by an UpdateItem `ADD hits 1` conditioned on `hits < limit`; TTL (expires_at_epoch)
    removes it after its window has ended.
    """

    hits = NumberAttribute()
    expires_at_epoch = NumberAttribute()
