"""Pacing a burst of writes so one partition key stays under its share of DynamoDB's per-key limit.

DynamoDB serves at most 1,000 write units per second on one partition key, of a table or of an
index. A burst that writes many items under one key (a 1,000-row import puts every job under the
fleet's job index keys) is spread over time here instead of throttling there (docs/capacity.md).
Virtual scheduling: each write is given the next free slot of the budget, and waits for it; the
writes given slots in any second hold at most `units_per_second` plus one request's units.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping


class Pace:
    """A budget of write units per second, shared by the threads of one burst."""

    def __init__(self, units_per_second: float) -> None:
        self.units_per_second = units_per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def take(self, units: float) -> float:
        """Wait for the slot of a request of `units` write units; returns the slot's start (monotonic)."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + units / self.units_per_second
        if start > now:
            time.sleep(start - now)
        return start


def write_units(serialized: Mapping[str, object]) -> int:
    """The write units of one item (1 per KB, rounded up), from its serialized attributes' size."""
    size = sum(len(name) + len(str(value)) for name, value in serialized.items())
    return max(1, -(-size // 1024))
