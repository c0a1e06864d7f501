"""Identifiers: ULIDs, so ids sort by creation time (newest-first lists come free)."""

from __future__ import annotations

from datetime import UTC, datetime

from ulid import ULID


def new_id(prefix: str) -> str:
    """A new id such as `ast_01J9...`: the prefix says what it names."""
    return f"{prefix}_{ULID()}"


def utc_now() -> datetime:
    return datetime.now(UTC)
