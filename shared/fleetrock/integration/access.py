"""Whose an integration is: a caller sees and manages only their own fleet's (else 404)."""

from __future__ import annotations

from shared.auth.principal import Principal
from shared.errors import NotFound
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration.models import IntegrationItem


def owned(caller: Principal, integration_id: str) -> IntegrationItem:
    item = integration_dal.get_integration_item(integration_id)
    if item is None or item.org_id != caller.org_id:
        raise NotFound(f"integration {integration_id} not found")
    return item
