"""A handler's routers, each imported on the first request to one of its path segments.

The routers (shared/api/catalog.py) hold a handler's route functions, their bodies' models and the
domain logic behind them: most of what a handler imports beyond the libraries. Importing a router
when a request first needs it keeps that code out of the cold start's import (bench/cold_start.py)
and spares an instance the routers it never serves; the first request to a router pays its import
once, a few ms.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping, Sequence

from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, Router

from shared.coldstart import loading


class LazyRouters:
    """Router modules by the first path segment they serve; includes them into an app on demand."""

    def __init__(self, routers: Mapping[str, tuple[str, ...]]) -> None:
        self._modules = list(routers)  # included in this order, as the catalog lists them
        self._by_segment: dict[str, list[str]] = {}
        for module, segments in routers.items():
            for segment in segments:
                self._by_segment.setdefault(segment, []).append(module)
        self._included: set[str] = set()
        self._lock = threading.Lock()  # Lambda calls one request at a time; a local server might not

    def include_for(self, app: ApiGatewayResolver, path: str) -> None:
        """Include the routers that serve `path` (by its first segment) unless they already are."""
        first = path.strip("/").split("/", 1)[0]
        self._include(app, self._by_segment.get(first, ()))

    def include_all(self, app: ApiGatewayResolver) -> None:
        self._include(app, self._modules)

    def _include(self, app: ApiGatewayResolver, modules: Sequence[str]) -> None:
        if all(m in self._included for m in modules):
            return
        with self._lock, loading():
            for module in [m for m in modules if m not in self._included]:
                router = importlib.import_module(module).router
                if not isinstance(router, Router):
                    raise TypeError(f"{module}.router is not a Router")
                app.include_router(router)
                self._included.add(module)
