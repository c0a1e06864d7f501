"""Outbox messages: work to do after a change, written in the change's transaction."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.db.base import TableItem


class OutboxItem(TableItem, discriminator="outbox"):
    """pk=OUTBOX#{message_id}, sk=MSG. The stream's INSERT record is what triggers the work.

    Until it is sent, gsi4 OUTBOXDUE#{shard} / {due}#{message_id} is when the every-minute sweep
    looks at it (shared/outbox/sweep.py): a message the stream gave up on is queued again
    (status `queued`: its MODIFY record sends it); `sweeps` counts those tries.
    """

    message_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    payload = JSONAttribute()
    status = UnicodeAttribute()  # pending | queued (by the sweep) | sending | sent
    attempts = NumberAttribute(default=0)
    sweeps = NumberAttribute(default=0)
    lease_until = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)  # TTL: sent messages go away after a while
