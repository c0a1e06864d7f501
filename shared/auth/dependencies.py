"""The dependencies a route declares: how a route says who may call it (read by auth and the OpenAPI)."""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.request import Request


def route_dependencies(func: Callable[..., Any]) -> list[Callable[..., Any]]:
    """The dependencies a route declares (`Annotated[..., Depends(f)]` parameters)."""
    found = []
    for hint in typing.get_type_hints(func, include_extras=True).values():
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, Depends):
                found.append(meta.dependency)
    return found


@dataclass(frozen=True)
class Credential:
    """What a route dependency asks of its caller, declared with the dependency (`declare`).

    `requirement` is an Action (the caller's role is checked against the table), "signed_in", or
    a scheme the route checks itself ("portal_link", "portal_session", "webhook_signature": no user
    token). `precheck` is what can be checked before the input is, so 401 and 403 come before 422
    (shared/auth/permissions.py check_caller).
    """

    requirement: str
    precheck: Callable[[Request], object] | None = None


_DECLARED: dict[Callable[..., Any], Credential] = {}
D = TypeVar("D", bound=Callable[..., Any])


def declare(dependency: D, credential: Credential) -> D:
    """Say what `dependency` asks of the caller; returns it, so it reads as a declaration."""
    _DECLARED[dependency] = credential
    return dependency


def credential_of(dependency: Callable[..., Any]) -> Credential | None:
    return _DECLARED.get(dependency)


def route_credential(func: Callable[..., Any]) -> tuple[Callable[..., Any], Credential] | None:
    """The route's dependency that authenticates its caller, with what it asks; None when it has none."""
    for dependency in route_dependencies(func):
        if (credential := credential_of(dependency)) is not None:
            return dependency, credential
    return None
