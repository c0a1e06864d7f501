"""Base classes of request and response bodies."""

from __future__ import annotations

from typing import Annotated, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

# a stored item's version: None before its first write
Version = Annotated[int, BeforeValidator(lambda v: v or 0)]


class StoredModel(BaseModel):
    """A response body read straight from a stored item's attributes (`model_validate(item)`)."""

    model_config = ConfigDict(from_attributes=True)


class RequestBody(BaseModel):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class VersionedUpdate(RequestBody):
    """A partial update: carries the version the client read, so a concurrent change is a 409, not lost.

    Fields listed in `not_null` may be left out but not set to null (they cannot be cleared).
    """

    not_null: ClassVar[tuple[str, ...]] = ()
    version: int

    @model_validator(mode="after")
    def _required_fields_not_cleared(self) -> Self:
        cleared = [f for f in self.not_null if f in self.model_fields_set and getattr(self, f) is None]
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null: leave it out to keep it")
        return self
