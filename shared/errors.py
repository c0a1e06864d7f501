"""Domain errors. Logic raises these; the API layer maps each type to one HTTP status, once."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure the caller can act on; never a bug."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthenticated(DomainError):
    status, code = 401, "unauthenticated"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Gone(DomainError):
    """It worked once and no longer does (a link expired, an invitation accepted by someone else)."""

    status, code = 410, "gone"


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class Unprocessable(DomainError):
    """Validation failed; `details` has one entry per field: {"field": ..., "message": ...}."""

    status, code = 422, "validation_error"

    @classmethod
    def field(cls, field: str, message: str) -> Unprocessable:
        return cls(f"{field}: {message}", [{"field": field, "message": message}])


class TooManyRequests(DomainError):
    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


def an(word: str) -> str:
    """The word with its indefinite article, for messages: "an accepted", "a pending"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
