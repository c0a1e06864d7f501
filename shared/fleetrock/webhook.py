"""Fleetrock's webhooks in: verify (in the spec's order), store in the inbox once, answer at once.

Checks, in order: unknown integration 404; bad or missing signature 401 (HMAC-SHA256 of the raw
body, compared in constant time); inactive 410; not JSON 400; `sent_at` more than 5 minutes off
400 unless the event was accepted before. A body over 1 MB never gets here: the handler's entry
point answers 413 before anything is parsed or hashed. Applying happens in the stream processor.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.event_handler.request import Request
from pydantic import ConfigDict, Field, ValidationError

from shared.api.models import Model, UtcDatetime
from shared.errors import BadRequest, DomainError, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable
from shared.fleetrock import WEBHOOK_MAX_BODY_BYTES, inbox_dal, integration_dal
from shared.fleetrock.apply import KNOWN_EVENTS
from shared.fleetrock.credentials import webhook_secret
from shared.fleetrock.models import InboxItem, InboxStatus, IntegrationItem, IntegrationStatus
from shared.ids import utc_now
from shared.observability import logger, metrics

MAX_BODY_BYTES = WEBHOOK_MAX_BODY_BYTES
MAX_SKEW = timedelta(minutes=5)
SIGNATURE_HEADER = "X-Fleetrock-Signature"


class IntegrationGone(DomainError):
    status, code = 410, "gone"


class StaleEvent(DomainError):
    status, code = 400, "stale_event"


class Envelope(Model):
    model_config = ConfigDict(extra="allow")
    event: str = Field(min_length=1, max_length=100)
    event_id: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    sent_at: UtcDatetime
    data: Any = None


class VerifiedWebhook(Model):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    integration: IntegrationItem
    envelope: Envelope
    body: str


def sign(secret: str | bytes, body: bytes) -> str:
    """The header value Fleetrock sends: `sha256=<hex HMAC-SHA256 of the raw body>`."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def _raw_body(request: Request) -> bytes:
    event = request.resolved_event
    body = event.body or ""
    if event.is_base64_encoded:
        return base64.b64decode(body)
    return body.encode()


def webhook_signature(request: Request) -> VerifiedWebhook:
    """Route dependency: the request is Fleetrock's, for this integration, or it goes no further."""
    integration_id = str(request.path_parameters.get("integration_id", ""))
    metrics.add_metric(name="FleetrockWebhookReceived", unit="Count", value=1)
    item = integration_dal.get_integration_item(integration_id)
    if item is None:
        raise NotFound(f"integration {integration_id} not found")
    raw = _raw_body(request)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is over {MAX_BODY_BYTES} bytes")
    given = request.resolved_event.headers.get(SIGNATURE_HEADER) or ""
    expected = sign(webhook_secret(item.integration_id, item.webhook_secret_ciphertext), raw)
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        metrics.add_metric(name="FleetrockWebhookUnauthorized", unit="Count", value=1)
        logger.warning("webhook signature rejected", extra={"integration_id": integration_id,
                                                            "signature_present": bool(given)})
        raise Unauthenticated(f"missing or bad {SIGNATURE_HEADER}")
    if item.status != IntegrationStatus.ACTIVE.value:
        raise IntegrationGone("this integration is not active: webhooks are ignored")
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    except RecursionError:
        raise BadRequest("the body's JSON is nested too deeply") from None
    try:
        envelope = Envelope.model_validate(parsed)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in exc.errors()]
        raise Unprocessable("the body is not a Fleetrock event", details) from None
    return VerifiedWebhook(integration=item, envelope=envelope, body=raw.decode())


webhook_signature.requirement = "webhook_signature"  # type: ignore[attr-defined]


def accept(webhook: VerifiedWebhook) -> tuple[str, int]:
    """Store the event once; (status, HTTP status): 202 accepted or duplicate, 200 for a test."""
    item, envelope = webhook.integration, webhook.envelope
    now = utc_now()
    if abs(now - envelope.sent_at) > MAX_SKEW:
        if inbox_dal.get_event(item.integration_id, envelope.event_id) is not None:
            return "duplicate", 202
        raise StaleEvent(f"sent_at is more than {int(MAX_SKEW.total_seconds() // 60)} minutes off our clock")
    body = inbox_dal.pack(webhook.body)
    if len(body) > inbox_dal.STORED_BODY_BYTES:  # 1 MB of JSON that zlib cannot shrink to a third
        raise PayloadTooLarge(f"the event is too large to store ({len(body)} bytes compressed, at most "
                              f"{inbox_dal.STORED_BODY_BYTES}): send it in parts")
    kind = envelope.event
    status = (InboxStatus.TEST if kind == "test" else
              InboxStatus.PENDING if kind in KNOWN_EVENTS else InboxStatus.UNKNOWN_TYPE)
    stored = inbox_dal.put_event(InboxItem(
        inbox_dal.inbox_pk(item.integration_id, envelope.event_id), inbox_dal.SK, integration_id=item.integration_id,
        org_id=item.org_id, event_id=envelope.event_id, event_type=kind, sent_at=envelope.sent_at, received_at=now,
        body_zlib=body, status=status.value))
    if not stored:
        metrics.add_metric(name="FleetrockWebhookDuplicate", unit="Count", value=1)
    elif status is InboxStatus.UNKNOWN_TYPE:
        metrics.add_metric(name="FleetrockWebhookUnknownType", unit="Count", value=1)
        logger.warning("unknown Fleetrock event type stored, not applied",
                       extra={"integration_id": item.integration_id, "event_id": envelope.event_id,
                              "event_type": kind[:100]})
    if status is InboxStatus.TEST:
        logger.info("Fleetrock test webhook arrived", extra={"integration_id": item.integration_id})
        return "test_received", 200
    return ("accepted" if stored else "duplicate"), 202
