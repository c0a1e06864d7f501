"""Every router of the API but the docs': for the committed openapi.json (dev/openapi.py) and the tests."""

from __future__ import annotations

import importlib

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.api.catalog import API_HANDLERS

DOCS_ROUTER_MODULE = "shared.api.docs"


def all_routers() -> tuple[Router, ...]:
    """Each router module of the catalog (shared/api/catalog.py) imported, in its order."""
    modules = [m for routers in API_HANDLERS.values() for m in routers if m != DOCS_ROUTER_MODULE]
    return tuple(importlib.import_module(module).router for module in modules)
