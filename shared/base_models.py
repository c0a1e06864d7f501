"""The project's base types: the base classes of request, response and value models, and the
annotated types they share (Email, UtcDatetime, Ids, Version).

Part of the kernel (with shared/db, settings, errors, ids, observability): every capability builds
on it and it imports none of them (the import contract in pyproject.toml holds it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic.networks import validate_email

# a stored item's version: None before its first write
Version = Annotated[int, BeforeValidator(lambda v: v or 0)]


def _email(value: str) -> str:
    return validate_email(value)[1]


# pydantic's EmailStr, checked and normalized the same way, but email-validator (about 13 ms) is
# imported when the first address is checked, not when a model using the type is defined.
Email = Annotated[str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})]


def in_utc(value: datetime) -> datetime:
    """The same instant in UTC, as stored; ValueError for an instant UTC cannot hold (year 1 at +00:01
    is year 0 in UTC)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the dates we can store (years 1 to 9999, in UTC)") from None


# a request's date-time: with a time zone, any offset, held as UTC
UtcDatetime = Annotated[AwareDatetime, AfterValidator(in_utc)]
# ids a request lists: at most 64 characters each, as in a path (a longer one is a 422, never a key
# DynamoDB refuses); DistinctIds keeps each once, since a repeat means nothing more and one
# transaction may not touch an item twice
MAX_ID = 64
Ids = list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]]
DistinctIds = Annotated[Ids, AfterValidator(lambda ids: list(dict.fromkeys(ids)))]


class Model(BaseModel):
    """Base of every body and value model. Its validator is built on first use, not when the class
    is defined (defer_build): a handler builds only the models of the requests it serves, which
    takes a cold start's import from about 2.5x a bare `import boto3` towards 2x (bench/cold_start.py)."""

    model_config = ConfigDict(defer_build=True)


class StoredModel(Model):
    """A response body read straight from a stored item's attributes (`model_validate(item)`)."""

    model_config = ConfigDict(from_attributes=True)


class RequestBody(Model):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartialUpdate(RequestBody):
    """A partial update: fields listed in `not_null` may be left out but not set to null (they cannot be cleared)."""

    not_null: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _required_fields_not_cleared(self) -> Self:
        cleared = [f for f in self.not_null if f in self.model_fields_set and getattr(self, f) is None]
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null: leave it out to keep it")
        return self


class VersionedUpdate(PartialUpdate):
    """A partial update that carries the version the client read, so a concurrent change is a 409, not lost."""

    version: int


# -- value types every capability shares (names, US addresses) --------------------------------------
Name = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
US_STATES = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
        "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
        "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
        "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI",
    }
)


def _us_state(value: str) -> str:
    code = value.strip().upper()
    if code not in US_STATES:
        raise ValueError(f"{value!r} is not a US state or territory code (two letters, e.g. MA)")
    return code


UsState = Annotated[str, AfterValidator(_us_state)]
Zip5 = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]  # ASCII digits: \d matches any script's


class Address(Model):
    line1: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    line2: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)] | None = None
    city: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    state: UsState
    zip: Zip5
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
