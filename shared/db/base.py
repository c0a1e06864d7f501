"""The PynamoDB base model of the single table, and the lazily bound connection.

Nothing here reads settings at import: `connection()` binds the table name and endpoint on
first use, so tests and the dev server point the models at DynamoDB Local by environment.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, Self

from pynamodb.attributes import DiscriminatorAttribute, UnicodeAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import DoesNotExist, PutError, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shared.errors import Conflict, DomainError
from shared.settings import get_settings

# A DynamoDB that does not answer must cost an API call seconds, not its whole 15 s Lambda timeout:
# at most 3 tries of 2 s (plus backoff), then the resolver answers 503 (docs/reliability.md).
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 2
MAX_RETRY_ATTEMPTS = 2
PK = "pk"


class Gsi1(GlobalSecondaryIndex["TableItem"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["TableItem"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex["TableItem"]):
    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Gsi4(GlobalSecondaryIndex["TableItem"]):
    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    """Every item of the table: generic keys plus `type`, the discriminator."""

    class Meta:
        table_name = "unbound"  # replaced by connection() before first use
        host: str | None = None
        region: str | None = None
        connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
        read_timeout_seconds = READ_TIMEOUT_SECONDS
        max_retry_attempts = MAX_RETRY_ATTEMPTS

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()
    gsi4 = Gsi4()

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """Every model operation binds the table first, so no caller has to remember to."""
        connection()
        return super()._get_connection()

    @classmethod
    def find(cls, hash_key: str, range_key: str | None = None, consistent_read: bool = False) -> Self | None:
        """The item under these keys, or None: the one get-or-None of the project."""
        try:
            return cls.get(hash_key, range_key, consistent_read=consistent_read)
        except DoesNotExist:
            return None


@cache
def connection() -> Connection:
    """Bind the models to the configured table once, and return the connection transactions use."""
    settings = get_settings()
    TableItem.Meta.table_name = settings.table_name
    TableItem.Meta.host = settings.dynamodb_endpoint
    TableItem.Meta.region = settings.aws_region
    return Connection(
        region=settings.aws_region,
        host=settings.dynamodb_endpoint,
        connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS,
        read_timeout_seconds=READ_TIMEOUT_SECONDS,
        max_retry_attempts=MAX_RETRY_ATTEMPTS,
    )


class _Transaction(TransactWrite):
    """A transaction that nothing was added to commits nothing (DynamoDB refuses an empty one): a
    step that found nothing to write need not be told apart by its caller.

    A transaction cancelled only because another one was touching one of its items at that moment
    (TransactionConflict, no condition failed) wrote nothing: it is sent again, a few times, and its
    conditions are judged anew. Items many changes write (an organization's unread notification
    count) would otherwise turn two unrelated changes at the same instant into a 409.
    """

    def _commit(self) -> Any:
        if not (self._condition_check_items or self._delete_items or self._put_items or self._update_items):
            return None
        for attempt in range(CONFLICT_RETRIES):
            try:
                return super()._commit()
            except TransactWriteError as exc:
                if attempt == CONFLICT_RETRIES - 1 or not _only_conflicts(exc):
                    raise
                time.sleep(random.uniform(0.01, 0.03) * 2**attempt)
        raise AssertionError("unreachable")


CONFLICT_RETRIES = 4


def _only_conflicts(exc: TransactWriteError) -> bool:
    codes = {r.code for r in (exc.cancellation_reasons or []) if r is not None and r.code not in (None, "None")}
    return codes == {"TransactionConflict"}


def transaction() -> TransactWrite:
    """A write transaction on the bound connection (transactions do not use Meta.host)."""
    return _Transaction(connection=connection())


_LOST_RACE = {"ConditionalCheckFailed", "TransactionConflict"}


def condition_failed(exc: PynamoDBException) -> bool:
    """True when a write failed because a condition did not hold or a concurrent transaction won."""
    if isinstance(exc, TransactWriteError):
        reasons: list[Any] = exc.cancellation_reasons or []
        return any(r is not None and r.code in _LOST_RACE for r in reasons)
    return exc.cause_response_code in ("ConditionalCheckFailedException", "TransactionConflictException")


def expect_version(item: TableItem, version: int, what: str) -> None:
    """409 unless the stored item is at the version the client read (an update body's `version`)."""
    current = getattr(item, "version", None) or 0
    if current != version:
        raise Conflict(f"the {what} is at version {current}, not {version}: reload it and try again")


def save_if(item: TableItem, condition: Condition) -> bool:
    """Put the item if the condition holds; False when it does not (e.g. the item exists already)."""
    connection()
    try:
        item.save(condition=condition)
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def update_if(item: TableItem, actions: list[Any], condition: Condition | None = None) -> bool:
    """Apply the update if the condition (and the item's version, when it has one) holds; False when not."""
    connection()
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def failed_keys(tx: TransactWrite, exc: TransactWriteError) -> set[str]:
    """The partition keys of the transaction's items whose condition failed.

    PynamoDB sends condition checks, deletes, puts and updates in that order, whatever order
    they were added in; cancellation reasons follow the sent order.
    """
    sent = [*tx._condition_check_items, *tx._delete_items, *tx._put_items, *tx._update_items]
    reasons: list[Any] = exc.cancellation_reasons or []
    failed = set()
    for operation, reason in zip(sent, reasons, strict=False):
        if reason is not None and reason.code == "ConditionalCheckFailed":
            key = operation.get("Key") or operation.get("Item") or {}
            failed.add(key.get(PK, {}).get("S", ""))
    return failed


@contextmanager
def atomic(conflict: str | Callable[[set[str]], DomainError]) -> Iterator[TransactWrite]:
    """A write transaction whose lost condition becomes a domain error (409 by default).

    `conflict` is the message of the Conflict, or a function of the failed items' partition keys
    that says more precisely what went wrong.
    """
    tx = transaction()
    try:
        with tx:
            yield tx
    except TransactWriteError as exc:
        if not condition_failed(exc):
            raise
        if isinstance(conflict, str):
            raise Conflict(conflict) from exc
        raise conflict(failed_keys(tx, exc)) from exc
