"""Tell "DynamoDB is unreachable or overloaded for a moment" apart from every other database error.

The API answers those with 503 and Retry-After (a sender such as Fleetrock retries; nothing
was half-written: every change is one conditional write or one transaction), and anything
else stays a 500, a bug. Kept apart from base.py so the resolver imports no models.
"""

from __future__ import annotations

from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError
from pynamodb.exceptions import PynamoDBException, TransactWriteError

RETRY_AFTER_SECONDS = 5
# server-side answers that mean "not now", after the client's own retries ran out
_TRANSIENT_CODES = frozenset({
    "InternalServerError",
    "ServiceUnavailable",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
})


def dynamodb_unavailable(exc: BaseException) -> bool:
    """True for a refused/closed connection, a connect or read timeout, or a transient server answer."""
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return True
    if isinstance(exc, PynamoDBException):
        cause = exc.cause
        if isinstance(cause, BotoConnectionError | HTTPClientError):
            return True
        if isinstance(exc, TransactWriteError) and any(
                r is not None and r.code == "ThrottlingError" for r in exc.cancellation_reasons or []):
            return True
        return exc.cause_response_code in _TRANSIENT_CODES
    return False
