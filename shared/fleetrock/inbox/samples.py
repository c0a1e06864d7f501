"""Webhook samples: the last 20 raw webhooks of an integration, as they arrived, for its admins.

Nothing about Fleetrock's webhook envelope is public (docs/fleetrock-contract.md), so every
verified webhook, "Send Test Webhook" and unrecognized ones included, is kept as it came: headers
(without signatures and credentials), content type, raw body, and what the intake made of it.
The first real delivery shows its true shape at `GET /integrations/{id}/webhook-samples`.

The stream calls `record_sample` for every webhook the intake stored (apply.py, from the inbox
item's INSERT) and `note_unrecognized` for a signed body the intake could not read. Both are
idempotent (a stream record may come twice) and never fail the caller: a database error here is
logged and counted (FleetrockWebhookSampleFailed), and the event is applied as if nothing happened.
Keys and the "last 20" design: samples_dal.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from datetime import datetime, timedelta
from itertools import islice

from pynamodb.exceptions import PynamoDBException

from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.errors import NotFound
from shared.fleetrock.inbox import samples_dal
from shared.fleetrock.inbox.models import WebhookSample
from shared.fleetrock.inbox.samples_dal import WebhookSampleItem
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration.models import IntegrationItem
from shared.fleetrock.remote.contract import SIGNATURE_HEADERS
from shared.ids import utc_now
from shared.observability import logger, metrics

KEEP_FOR = timedelta(days=30)
# Of a body, the first 64 KiB are kept: enough to see any envelope's shape, and 20 of them in one answer
# stay within Lambda's 6 MB response even with JSON escaping (at most 3x for text, 4/3 for base64).
BODY_KEPT_BYTES = 64 * 1024
MAX_HEADERS, MAX_HEADER_NAME, MAX_HEADER_VALUE = 50, 100, 1000
REDACTED = "[redacted]"
# never stored: the signature in any header the intake verifies, and credentials
DROPPED_HEADERS = frozenset({*(h.lower() for h in SIGNATURE_HEADERS), "authorization", "proxy-authorization",
                             "cookie", "x-api-key"})
# kept by name only: a header that may carry a credential or another signature we do not verify
SECRET_LOOKING = re.compile(r"signature|secret|token|auth|password|api-?key|cookie|hmac", re.IGNORECASE)
# text with these would be escaped 6 bytes each in JSON: shown as base64 instead
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers to keep: no signature or credential, names lower case, sizes capped."""
    kept: dict[str, str] = {}
    for name, value in headers.items():
        key = str(name).strip().lower()[:MAX_HEADER_NAME]
        if not key or key in DROPPED_HEADERS or len(kept) >= MAX_HEADERS:
            continue
        kept[key] = REDACTED if SECRET_LOOKING.search(key) else str(value)[:MAX_HEADER_VALUE]
    return kept


def _content_type(headers: dict[str, str]) -> str | None:
    value = next((str(v) for k, v in headers.items() if str(k).lower() == "content-type"), "")
    return value.strip()[:200] or None


def kept_body(body: bytes) -> tuple[bytes, bool]:
    """The body's first BODY_KEPT_BYTES (cut on a UTF-8 character boundary), and whether it was cut."""
    if len(body) <= BODY_KEPT_BYTES:
        return body, False
    cut = BODY_KEPT_BYTES
    while cut > BODY_KEPT_BYTES - 3 and (body[cut] & 0xC0) == 0x80:  # inside a multi-byte character
        cut -= 1
    return body[:cut], True


def record_sample(integration: IntegrationItem, *, headers: dict[str, str], body: bytes, received_at: datetime,
                  outcome: str, event_id: str | None) -> None:
    """Keep this verified webhook as one of the integration's last 20 samples; never raises for the database.
    Idempotent: the same event recorded again (a redelivered stream record) is the same sample."""
    kept, truncated = kept_body(body)
    key = event_id[:200] if event_id else "h" + hashlib.sha256(body).hexdigest()[:40]
    item = WebhookSampleItem(
        integration_id=integration.integration_id, org_id=integration.org_id, received_at=received_at,
        outcome=outcome[:40], event_id=event_id[:200] if event_id else None, content_type=_content_type(headers),
        headers=kept_headers(headers), body_zlib=zlib.compress(kept), size=len(body), truncated=truncated,
        expires_at_epoch=int((received_at + KEEP_FOR).timestamp()))
    try:
        samples_dal.put_sample(item, key)
        samples_dal.trim(integration.integration_id)
    except PynamoDBException as exc:
        metrics.add_metric(name="FleetrockWebhookSampleFailed", unit="Count", value=1)
        logger.warning("webhook sample not recorded", extra={
            "integration_id": integration.integration_id, "event_id": event_id, "error": str(exc)[:300]})


def note_unrecognized(integration_id: str, at: datetime, *, event_id: str | None = None) -> None:
    """One more signed webhook we could not read, shown on the integration; never raises for the database.

    Counted on the samples' counts item (admins never write it), once per `event_id` when given (a
    redelivered stream record is not counted twice), then copied onto the integration
    (samples_dal.show_unrecognized): an admin's save of the integration, a Put of what it read before,
    can write an older count back, and the next copy sets it right.
    """
    try:
        samples_dal.count_unrecognized(integration_id, at, event_id)
        samples_dal.show_unrecognized(integration_id, *samples_dal.unrecognized_counts(integration_id))
    except PynamoDBException as exc:
        metrics.add_metric(name="FleetrockWebhookSampleFailed", unit="Count", value=1)
        logger.warning("unrecognized webhook not counted on its integration", extra={
            "integration_id": integration_id, "event_id": event_id, "error": str(exc)[:300]})


def to_sample(item: WebhookSampleItem) -> WebhookSample:
    raw = zlib.decompress(item.body_zlib)
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and CONTROL.search(text):
        text = None
    return WebhookSample(
        received_at=item.received_at, outcome=item.outcome, event_id=item.event_id, content_type=item.content_type,
        headers=item.headers or {}, body=text if text is not None else base64.b64encode(raw).decode(),
        body_base64=text is None, size=int(item.size), truncated=bool(item.truncated))


def list_samples(caller: Principal, integration_id: str) -> Page[WebhookSample]:
    """The integration's last 20 webhooks, newest first (one page: there are never more)."""
    integration = integration_dal.get_integration_item(integration_id)
    if integration is None or integration.org_id != caller.org_id:
        raise NotFound(f"integration {integration_id} not found")
    now = int(utc_now().timestamp())
    live = (i for i in samples_dal.newest_samples(integration_id) if int(i.expires_at_epoch) > now)  # TTL is lazy
    return Page[WebhookSample](items=[to_sample(i) for i in islice(live, samples_dal.KEPT)])
