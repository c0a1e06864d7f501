"""The dependencies a route declares: how a route says who may call it (read by auth and the OpenAPI)."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler.depends import Depends


def route_dependencies(func: Callable[..., Any]) -> list[Callable[..., Any]]:
    """The dependencies a route declares (`Annotated[..., Depends(f)]` parameters)."""
    found = []
    for hint in typing.get_type_hints(func, include_extras=True).values():
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, Depends):
                found.append(meta.dependency)
    return found
