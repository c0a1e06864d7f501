"""Deliver outbox messages; called by the stream processor for each new outbox item, and for each one
the sweep queued again (shared/outbox/sweep.py)."""

from __future__ import annotations

from typing import Any

from shared.mail.mailer import get_mailer
from shared.observability import logger, metrics
from shared.outbox import dal


def deliver_queued(new_image: dict[str, Any]) -> None:
    """A MODIFY record: only the sweep's `queued` means "send it" (a release back to pending does not)."""
    if new_image.get("status") == "queued":
        deliver(new_image)


def deliver(new_image: dict[str, Any]) -> None:
    """Send the message once. Raises (so the record is retried) when the send fails."""
    item = dal.claim(new_image["pk"])
    if item is None:
        logger.info("outbox message already delivered", extra={"message_id": new_image.get("message_id")})
        return
    if item.kind != "email":
        raise ValueError(f"unknown outbox message kind {item.kind!r}")
    try:
        get_mailer().send(to=item.payload["to"], subject=item.payload["subject"], body=item.payload["body"],
                          message_id=item.message_id)
    except Exception:
        dal.release(item)
        raise
    dal.complete(item)
    metrics.add_metric(name="EmailsSent", unit="Count", value=1)
    logger.info("email sent", extra={"message_id": item.message_id})
