"""Deliver outbox messages; called by the stream processor for each new outbox item, and for each one
the sweep queued again (shared/outbox/sweep.py).

An email is sent here. A message of another kind is handed to the sender the stream's router names
for it (`senders`: kind -> function of the message id and payload), e.g. a notification's emails, which
the notifications capability fans out to its users at send time: the outbox sits below the
capabilities that write such messages and imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from shared.mail.mailer import get_mailer
from shared.observability import logger, metrics
from shared.outbox import dal

Sender = Callable[[str, dict[str, Any]], None]  # (message id, payload); raises when it must be retried


def deliver_queued(new_image: dict[str, Any], senders: Mapping[str, Sender] | None = None) -> None:
    """A MODIFY record: only the sweep's `queued` means "send it" (a release back to pending does not)."""
    if new_image.get("status") == "queued":
        deliver(new_image, senders)


def deliver(new_image: dict[str, Any], senders: Mapping[str, Sender] | None = None) -> None:
    """Send the message once. Raises (so the record is retried) when the send fails."""
    kind = str(new_image.get("kind", ""))
    send = _send_email if kind == dal.EMAIL else (senders or {}).get(kind)
    if send is None:
        raise ValueError(f"unknown outbox message kind {kind!r}")
    item = dal.claim(new_image["pk"])
    if item is None:
        logger.info("outbox message already delivered", extra={"message_id": new_image.get("message_id")})
        return
    try:
        send(item.message_id, dict(item.payload))
    except Exception:
        dal.release(item)
        raise
    dal.complete(item)
    logger.info("outbox message delivered", extra={"message_id": item.message_id, "kind": item.kind})


def _send_email(message_id: str, payload: dict[str, Any]) -> None:
    get_mailer().send(to=payload["to"], subject=payload["subject"], body=payload["body"], message_id=message_id)
    metrics.add_metric(name="EmailsSent", unit="Count", value=1)

