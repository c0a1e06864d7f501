"""The PynamoDB base model of the single table, and the lazily bound connection.

Nothing here reads settings at import: `connection()` binds the table name and endpoint on
first use, so tests and the dev server point the models at DynamoDB Local by environment.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pynamodb.attributes import DiscriminatorAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shared.settings import get_settings

CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_RETRY_ATTEMPTS = 3


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


class TableItem(Model):
    """Every item of the table: generic keys plus `type`, the discriminator."""

    class Meta:
        table_name = "unbound"  # replaced by connection() before first use
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

    gsi1 = Gsi1()
    gsi2 = Gsi2()


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


def transaction() -> TransactWrite:
    """A write transaction on the bound connection (transactions do not use Meta.host)."""
    return TransactWrite(connection=connection())


def condition_failed(exc: PynamoDBException) -> bool:
    """True when a write failed only because one of its conditions did not hold."""
    if isinstance(exc, TransactWriteError):
        reasons = exc.cancellation_reasons or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    return exc.cause_response_code == "ConditionalCheckFailedException"


def failed_transaction_items(exc: TransactWriteError) -> list[int]:
    """Positions of the transaction's items whose condition failed, in the order they were added."""
    reasons: list[Any] = exc.cancellation_reasons or []
    return [i for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"]
