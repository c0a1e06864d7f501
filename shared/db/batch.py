"""BatchGetItem over many keys: requests of 100 keys, a few in flight at once.

PynamoDB's `batch_get` sends its 100-key requests one after the other; a CSV import looks up
thousands of keys (VIN claims, then assets), so those requests run side by side here.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

from shared.db.base import TableItem

M = TypeVar("M", bound=TableItem)
KEYS_PER_REQUEST = 100  # BatchGetItem's limit
WORKERS = 4


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="batch-get")


def batch_get_all(model: type[M], keys: Sequence[tuple[str, str]], **kwargs: Any) -> list[M]:
    """Every existing item among `keys` (unprocessed keys are retried by PynamoDB), in no particular order."""
    chunks = [keys[n : n + KEYS_PER_REQUEST] for n in range(0, len(keys), KEYS_PER_REQUEST)]
    if len(chunks) <= 1:
        return list(model.batch_get(keys, **kwargs)) if keys else []
    return [item for part in _pool().map(lambda c: list(model.batch_get(c, **kwargs)), chunks) for item in part]
