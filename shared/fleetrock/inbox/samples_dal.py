"""Data access of webhook samples: the last 20 raw webhooks of an integration, and its count of
unrecognized ones.

One partition per integration, `FLEETROCK#{integration_id}#SAMPLES`:
- a sample: sk `AT#{received_at, fixed-width UTC}#{event_id}`, newest last;
- the counts (sk `COUNTS`): unrecognized webhooks, written only by `ADD`;
- a counted marker (sk `COUNTED#{event_id}`, TTL 2 days): this unrecognized event is counted.

"Last 20": a sample is put under its own time-ordered key, then the partition's samples beyond the
20 newest are deleted. Samples are recorded by the stream (apply.py), which may deliver an inbox
record twice: the put is idempotent (same event, same key, same content), and a redelivery of an
event already trimmed away is trimmed again at once. Concurrent trims cannot delete too much: each
deletes only samples it saw 20 newer ones of, and only a trim or TTL (oldest first) removes a
sample. No counter, no read-modify-write; the partition holds about 20 samples, so trimming reads
little and reading them is one Query. TTL removes a sample 30 days on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError

from shared.db.base import TableItem, condition_failed, save_if
from shared.db.due import iso
from shared.fleetrock.integration.dal import SK as INTEGRATION_SK
from shared.fleetrock.integration.dal import integration_pk
from shared.fleetrock.integration.models import IntegrationItem

KEPT = 20  # samples per integration
SAMPLE_PREFIX = "AT#"
COUNTS_SK = "COUNTS"
COUNTED_PREFIX = "COUNTED#"
COUNTED_KEPT_SECONDS = 2 * 24 * 3600  # longer than the stream keeps a record (24 h): redeliveries are seen


class WebhookSampleItem(TableItem, discriminator="fleetrock_webhook_sample"):
    """pk=FLEETROCK#{integration_id}#SAMPLES, sk=AT#{received_at}#{event_id}: one raw webhook.

    `body_zlib`: the raw body (at most samples.BODY_KEPT_BYTES of it, `truncated` when cut), zlib;
    `size`: the body's full length. `headers`: as received, without signatures and credentials.
    """

    integration_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    outcome = UnicodeAttribute()
    event_id = UnicodeAttribute(null=True)
    content_type = UnicodeAttribute(null=True)
    headers = JSONAttribute(default=dict)
    body_zlib = BinaryAttribute(legacy_encoding=False)
    size = NumberAttribute()
    truncated = BooleanAttribute(default=False)
    expires_at_epoch = NumberAttribute()  # TTL: 30 days after it arrived


class WebhookCountsItem(TableItem, discriminator="fleetrock_webhook_counts"):
    """pk=FLEETROCK#{integration_id}#SAMPLES, sk=COUNTS: the true count of unrecognized webhooks (`ADD`
    only; admins never write it), which the integration shows a copy of."""

    unrecognized = NumberAttribute(null=True)
    last_unrecognized_at = UTCDateTimeAttribute(null=True)


class CountedItem(TableItem, discriminator="fleetrock_webhook_counted"):
    """pk=FLEETROCK#{integration_id}#SAMPLES, sk=COUNTED#{event_id}: that unrecognized event is counted."""

    expires_at_epoch = NumberAttribute()


def samples_pk(integration_id: str) -> str:
    return f"FLEETROCK#{integration_id}#SAMPLES"


def sample_sk(received_at: datetime, key: str) -> str:
    return f"{SAMPLE_PREFIX}{iso(received_at)}#{key}"


def put_sample(item: WebhookSampleItem, key: str) -> None:
    """Put the sample under its time-ordered key (a second put of the same event writes the same item)."""
    item.pk, item.sk = samples_pk(item.integration_id), sample_sk(item.received_at, key)
    item.save()


def trim(integration_id: str) -> int:
    """Delete the integration's samples beyond the 20 newest; how many were deleted."""
    newest_first = WebhookSampleItem.query(
        samples_pk(integration_id), WebhookSampleItem.sk.startswith(SAMPLE_PREFIX), consistent_read=True,
        scan_index_forward=False, attributes_to_get=["pk", "sk", "type"])
    deleted = 0
    for n, item in enumerate(newest_first):
        if n >= KEPT:
            item.delete()
            deleted += 1
    return deleted


def newest_samples(integration_id: str) -> Iterator[WebhookSampleItem]:
    """The integration's samples, newest first (about 20: trimming keeps it so)."""
    return iter(WebhookSampleItem.query(samples_pk(integration_id), WebhookSampleItem.sk.startswith(SAMPLE_PREFIX),
                                        scan_index_forward=False))


def count_unrecognized(integration_id: str, at: datetime, event_id: str | None) -> bool:
    """Count one unrecognized webhook on the integration's counts item; with its event id, once (False when
    that event was counted already: a redelivered stream record).

    The marker is put first, then the count added: two single-item writes, which concurrent events of one
    integration never make conflict (a transaction over the counts item would). A failure between the two
    leaves the count one short, never one over.
    """
    pk = samples_pk(integration_id)
    if event_id is not None:
        marker = CountedItem(pk, f"{COUNTED_PREFIX}{event_id}",
                             expires_at_epoch=int(at.timestamp()) + COUNTED_KEPT_SECONDS)
        if not save_if(marker, CountedItem.pk.does_not_exist()):
            return False
    WebhookCountsItem(pk, COUNTS_SK).update(actions=[
        WebhookCountsItem.unrecognized.add(1), WebhookCountsItem.last_unrecognized_at.set(at),
        WebhookCountsItem.type.set(WebhookCountsItem)])
    return True


def unrecognized_counts(integration_id: str) -> tuple[int, datetime | None]:
    """(unrecognized webhooks, the last one's time), as counted."""
    counts = WebhookCountsItem.find(samples_pk(integration_id), COUNTS_SK, consistent_read=True)
    if counts is None:
        return 0, None
    return int(counts.unrecognized or 0), counts.last_unrecognized_at


def show_unrecognized(integration_id: str, count: int, at: datetime | None) -> bool:
    """Copy the count onto the integration, without its version (an admin's edit in flight still lands),
    only upwards (of two concurrent copies the larger count stays), never re-creating a deleted one.
    A count an admin's save wrote back from an older read is set right by the next copy."""
    if count <= 0:
        return False
    condition = IntegrationItem.pk.exists() & (
        IntegrationItem.unrecognized_webhooks.does_not_exist() | (IntegrationItem.unrecognized_webhooks < count))
    actions: list[Any] = [IntegrationItem.unrecognized_webhooks.set(count)]
    if at is not None:
        actions.append(IntegrationItem.last_unrecognized_at.set(at))
    try:
        IntegrationItem._get_connection().update_item(integration_pk(integration_id), INTEGRATION_SK,
                                                      condition=condition, actions=actions)
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        return False
    return True
