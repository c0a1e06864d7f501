"""Connection requests between fleets and vendors, their groups, and the vendor's view of assets."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()
