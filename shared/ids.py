"""Identifiers: ULIDs, so ids sort by creation time (newest-first lists come free)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from ulid import ULID


def new_id(prefix: str) -> str:
    """A new id such as `ast_01J9...`: the prefix says what it names."""
    return f"{prefix}_{ULID()}"


SPOKEN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"  # no 0/O, 1/I, Q: read aloud and typed by people


def spoken_code(length: int) -> str:
    """A random code people read aloud and type (partner and service IDs)."""
    return "".join(secrets.choice(SPOKEN_ALPHABET) for _ in range(length))


def utc_now() -> datetime:
    return datetime.now(UTC)


def scheduled_time(event: dict[str, Any]) -> datetime:
    """A scheduled run's "now": the event's `time` (EventBridge Scheduler's <aws.scheduler.scheduled-time>),
    so a retried or late invocation works on the time it was meant for; the clock when there is none."""
    raw = event.get("time")
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else utc_now()
