"""push_retry's work: every minute, attempt the deliveries that have fallen due.

Due are retries whose backoff has passed, attempts whose lease ran out (a crashed worker), and
queued deliveries the stream did not send within a grace period. Each attempt is claimed
conditionally, so overlapping runs, or a run and the stream, never make the same attempt twice.
A run makes at most MAX_PER_RUN attempts, WORKERS at a time (each at most 10 s), well inside the
function's timeout; the rest is due for the next run.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from shared.observability import logger
from shared.push.attempts import attempt
from shared.push.dal import deliveries as dal
from shared.push.models import DeliveryItem

MAX_PER_RUN = 128
WORKERS = 16


class RetryRunError(RuntimeError):
    """Some attempts raised (they stay due and are retried next run); the run reports failure."""


def retry_due(now: datetime) -> dict[str, int]:
    """Attempt what is due at `now`; counts by outcome (delivered, retrying, failed, skipped)."""
    due = list(dal.due_items(now, limit_per_shard=MAX_PER_RUN // dal.DUE.shards))
    if not due:
        return {}
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(due))) as pool:
        futures = [(item, pool.submit(_attempt, item, now)) for item in due]
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    for item, future in futures:  # one delivery's error does not stop the others
        error = future.exception()
        if error is None:
            outcomes[future.result()] += 1
        else:
            errors.append(error)
            logger.error("delivery attempt raised", extra={"delivery_id": item.delivery_id}, exc_info=error)
    logger.info("push retry run", extra={"due": len(due), "errors": len(errors), **outcomes})
    if errors:
        raise RetryRunError(f"{len(errors)} of {len(due)} due deliveries raised; they stay due") from errors[0]
    return dict(outcomes)


def _attempt(item: DeliveryItem, now: datetime) -> str:
    outcome = attempt(item, seen_status=item.status, seen_attempts=int(item.attempts or 0), seen_due=item.gsi4sk,
                      now=now)
    return outcome.value if outcome else "skipped"
