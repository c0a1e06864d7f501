"""Outbox messages: work to do after a change, written in the change's transaction."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.db.base import TableItem


class OutboxItem(TableItem, discriminator="outbox"):
    """pk=OUTBOX#{message_id}, sk=MSG. The stream's INSERT record is what triggers the work."""

    message_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    payload = JSONAttribute()
    status = UnicodeAttribute()  # pending | sending | sent
    attempts = NumberAttribute(default=0)
    lease_until = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)  # TTL: sent messages go away after a while
