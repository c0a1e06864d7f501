"""Fleetrock's webhooks in: verified, kept once, answered at once; built for an envelope nobody has seen.

Nothing about Fleetrock's webhook payload or signature is public (docs/fleetrock-contract.md), so
the intake accepts what a signed hint could plausibly look like and depends on none of it:
- the signature is HMAC-SHA256 of the raw body with the integration's secret, hex or base64, with
  or without `sha256=`, in any header of contract.SIGNATURE_HEADERS; which form came is recorded;
- the body is JSON or form-encoded; the repair order's id is looked for at contract.RO_ID_PATHS;
  an event name, id and time are used when present, never required;
- a signed body we cannot read is answered 202 and kept as `unrecognized` (a 4xx would make
  Fleetrock disable the webhook); a late delivery is accepted (applying re-reads Fleetrock).
Checks, in order: unknown integration 404; bad or missing signature 401; inactive 410. A body over
1 MB never gets here (the handler's entry point answers 413). The answer costs one conditional
write (the integration is read at most every few seconds per process: integration_dal.CACHE_SECONDS);
applying, the webhook's sample and the unrecognized count are the stream's work (apply.py), from
the stored event.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler.request import Request
from pydantic import ConfigDict

from shared.auth.dependencies import Credential, declare
from shared.base_models import Model
from shared.errors import DomainError, NotFound, PayloadTooLarge, Unauthenticated
from shared.fleetrock import WEBHOOK_MAX_BODY_BYTES
from shared.fleetrock.inbox import dal as inbox_dal
from shared.fleetrock.inbox.models import InboxItem, InboxStatus
from shared.fleetrock.inbox.samples import kept_headers
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration import trouble
from shared.fleetrock.integration.credentials import webhook_secret
from shared.fleetrock.integration.models import IntegrationItem, IntegrationStatus
from shared.fleetrock.remote.contract import (
    EVENT_ID_KEYS,
    EVENT_NAME_KEYS,
    RO_ID_PATHS,
    SENT_AT_KEYS,
    SIGNATURE_HEADERS,
)
from shared.fleetrock.remote.dates import parse_time
from shared.ids import utc_now
from shared.observability import logger, metrics

MAX_BODY_BYTES = WEBHOOK_MAX_BODY_BYTES
SIGNATURE_HEADER = SIGNATURE_HEADERS[0]
PRINTABLE_ID = re.compile(r"^[\x21-\x7e]{1,200}$")
SHORT_ID = re.compile(r"^[\x20-\x7e]{1,100}$")


class IntegrationGone(DomainError):
    status, code = 410, "gone"


class VerifiedWebhook(Model):
    """A webhook whose signature holds, with what we could read of it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    integration: IntegrationItem
    raw: bytes
    headers: dict[str, str]
    content_type: str | None
    signature_form: str


class ReadWebhook(Model):
    """What a verified body says, as far as we can tell."""

    kind: str  # test | scheduled_maintenance | repair_order | unrecognized
    event_type: str
    event_id: str | None = None
    ro_id: str | None = None
    sent_at: datetime | None = None


def sign(secret: str | bytes, body: bytes) -> str:
    """Our own envelope's header value: `sha256=<hex HMAC-SHA256 of the raw body>`."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def _raw_body(request: Request) -> bytes:
    event = request.resolved_event
    body = event.body or ""
    if event.is_base64_encoded:
        return base64.b64decode(body)
    return body.encode()


def _digest(value: str) -> tuple[bytes, str] | None:
    """The 32 bytes a signature value carries and how they were written (hex or base64), or None."""
    if re.fullmatch(r"[0-9a-fA-F]{64}", value):
        return bytes.fromhex(value), "hex"
    try:
        decoded = base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return (decoded, "base64") if len(decoded) == 32 else None


def signature_form(headers: dict[str, str], secret: bytes, raw: bytes) -> str | None:
    """How the body is validly signed ("<header>: <hex|base64>[ with sha256=]"), or None when it is not."""
    expected = hmac.new(secret, raw, hashlib.sha256).digest()
    for name in SIGNATURE_HEADERS:
        value = headers.get(name.lower(), "").strip()
        prefixed = value[:7].lower() == "sha256="
        found = _digest(value[7:].strip() if prefixed else value) if value else None
        if found is not None and hmac.compare_digest(found[0], expected):
            return f"{name}: {found[1]}" + (" with sha256=" if prefixed else "")
    return None


def webhook_signature(request: Request) -> VerifiedWebhook:
    """Route dependency: the request is Fleetrock's, for this integration, or it goes no further."""
    integration_id = str(request.path_parameters.get("integration_id", ""))
    metrics.add_metric(name="FleetrockWebhookReceived", unit="Count", value=1)
    item, cached = integration_dal.cached_integration_item(integration_id)
    if item is None:
        raise NotFound(f"integration {integration_id} not found")
    raw = _raw_body(request)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is over {MAX_BODY_BYTES} bytes")
    headers = {str(k).lower(): str(v) for k, v in (request.resolved_event.headers or {}).items()}
    form = signature_form(headers, webhook_secret(item.integration_id, item.webhook_secret_ciphertext), raw)
    if cached and (form is None or item.status != IntegrationStatus.ACTIVE.value):
        # a secret rotated, or a (re)activation, since this process read it: never refuse on a stale copy
        integration_dal.forget(integration_id)
        item, _ = integration_dal.cached_integration_item(integration_id)
        if item is None:
            raise NotFound(f"integration {integration_id} not found")
        form = signature_form(headers, webhook_secret(item.integration_id, item.webhook_secret_ciphertext), raw)
    if form is None:
        metrics.add_metric(name="FleetrockWebhookUnauthorized", unit="Count", value=1)
        trouble.webhook_signatures_failing(item.org_id, item.integration_id)
        logger.warning("webhook signature rejected", extra={
            "integration_id": integration_id,
            "signature_headers": [h for h in SIGNATURE_HEADERS if h.lower() in headers]})
        raise Unauthenticated(f"missing or bad signature: HMAC-SHA256 of the body with the webhook secret, hex or "
                              f"base64, in {SIGNATURE_HEADER} or {', '.join(SIGNATURE_HEADERS[1:])}")
    if item.status != IntegrationStatus.ACTIVE.value:
        raise IntegrationGone("this integration is not active: webhooks are ignored")
    return VerifiedWebhook(integration=item, raw=raw, headers=headers, content_type=headers.get("content-type"),
                           signature_form=form)


declare(webhook_signature, Credential("webhook_signature"))


# -- reading the body ----------------------------------------------------------------------------
def parse_body(raw: bytes) -> dict[str, Any] | None:
    """A JSON object or a form-encoded body as a dict (a form field holding JSON is opened), else None."""
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            return None
        return parsed if isinstance(parsed, dict) else None
    if "=" not in text:
        return None
    try:
        fields = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True, strict_parsing=True,
                                                 max_num_fields=1000).items()}
    except ValueError:
        return None
    for key in ("payload", "data"):  # a form that carries a JSON document in one field
        nested = fields.get(key, "").strip()
        if nested.startswith("{"):
            try:
                parsed = json.loads(nested)
            except (ValueError, RecursionError):
                continue
            if isinstance(parsed, dict):
                return {**{k: v for k, v in fields.items() if k != key}, **parsed}
    return fields


def _at(body: dict[str, Any], path: str) -> Any:
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _short(value: Any, pattern: re.Pattern[str] = SHORT_ID) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text if pattern.match(text) else None


def read_webhook(body: dict[str, Any] | None, time_zone: str | None) -> ReadWebhook:
    """What the body says: an event name, id and time when it has them, and what it is about."""
    if body is None:
        return ReadWebhook(kind="unrecognized", event_type="unrecognized")
    event = next((e for k in EVENT_NAME_KEYS if (e := _short(body.get(k))) is not None), None)
    event_id = next((_short(body.get(k), PRINTABLE_ID) for k in EVENT_ID_KEYS if body.get(k) is not None), None)
    sent_at = None
    for key in SENT_AT_KEYS:
        try:
            sent_at = parse_time(body.get(key), time_zone, field=key)
        except ValueError:
            sent_at = None
        if sent_at is not None:
            break
    common = {"event_id": event_id, "sent_at": sent_at}
    if event == "test":
        return ReadWebhook(kind="test", event_type="test", **common)
    data = body.get("data")
    if event and event.startswith("scheduled_maintenance") and (
            isinstance(data, list) or (isinstance(data, dict) and isinstance(data.get("items"), list))):
        return ReadWebhook(kind="scheduled_maintenance", event_type="scheduled_maintenance.updated", **common)
    ro_id = next((r for path in RO_ID_PATHS if (r := _short(_at(body, path))) is not None), None)
    if ro_id is not None:
        return ReadWebhook(kind="repair_order", event_type=event or "repair_order.hint", ro_id=ro_id, **common)
    return ReadWebhook(kind="unrecognized", event_type=event or "unrecognized", **common)


def stored_event_id(read: ReadWebhook, raw: bytes, received_at: datetime) -> str:
    """The event's own id; else one of its own for each arrival (the body's hash, the time, a nonce).

    The same bare body (`ro_id=…`) announces every new change of its order, so it is never dropped as
    a duplicate: coalescing it with a copy that was already read would lose the change it announces.
    Copies arriving together cost one GetRO all the same (apply.py reuses a read made after they came)."""
    if read.event_id:
        return read.event_id
    return f"h{hashlib.sha256(raw).hexdigest()[:24]}-{received_at.strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(3)}"


# -- accepting -----------------------------------------------------------------------------------
STATUS_OF_KIND = {"test": InboxStatus.TEST, "scheduled_maintenance": InboxStatus.PENDING,
                  "repair_order": InboxStatus.PENDING, "unrecognized": InboxStatus.UNRECOGNIZED}


def accept(webhook: VerifiedWebhook) -> tuple[str, str, int]:
    """Keep the event once; (event id, outcome, HTTP status): 202 accepted, duplicate or unrecognized, 200 test."""
    item, now = webhook.integration, utc_now()
    read = read_webhook(parse_body(webhook.raw), item.time_zone)
    event_id = stored_event_id(read, webhook.raw, now)
    body = inbox_dal.pack(webhook.raw)
    if len(body) > inbox_dal.STORED_BODY_BYTES:  # 1 MB that zlib cannot shrink to a third
        raise PayloadTooLarge(f"the event is too large to store ({len(body)} bytes compressed, at most "
                              f"{inbox_dal.STORED_BODY_BYTES}): send it in parts")
    status = STATUS_OF_KIND[read.kind]
    stored = inbox_dal.put_event(InboxItem(
        inbox_dal.inbox_pk(item.integration_id, event_id), inbox_dal.SK, integration_id=item.integration_id,
        org_id=item.org_id, event_id=event_id, event_type=read.event_type[:100], ro_id=read.ro_id,
        content_type=(webhook.content_type or "")[:100] or None, sent_at=read.sent_at, received_at=now,
        body_zlib=body, status=status.value, headers=kept_headers(webhook.headers)))
    if webhook.signature_form != item.signature_form:
        integration_dal.note_signature_form(item.integration_id, webhook.signature_form)
        item.signature_form = webhook.signature_form  # the cached copy too
    outcome = _outcome(item, read, stored, event_id)
    if read.kind == "test":
        return event_id, "test_received", 200
    return event_id, outcome, 202


def _outcome(item: IntegrationItem, read: ReadWebhook, stored: bool, event_id: str) -> str:
    if not stored:
        metrics.add_metric(name="FleetrockWebhookDuplicate", unit="Count", value=1)
        return "duplicate"
    if read.kind == "unrecognized":
        metrics.add_metric(name="FleetrockWebhookUnrecognized", unit="Count", value=1)
        logger.warning("signed Fleetrock webhook of a shape we do not recognise: kept, not applied",
                       extra={"integration_id": item.integration_id, "event_id": event_id})
        return "unrecognized"
    if read.kind == "test":
        logger.info("Fleetrock test webhook arrived", extra={"integration_id": item.integration_id})
        return "test"
    return "accepted"
