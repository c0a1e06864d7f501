"""Fleetrock's signed webhooks: verified, stored in the inbox, answered 202."""

from __future__ import annotations

from shared.api.catalog import API_HANDLERS
from shared.api.resolver import build_resolver, entry_point
from shared.coldstart import initialized
from shared.fleetrock import WEBHOOK_MAX_BODY_BYTES
from shared.settings import get_settings

settings = get_settings()
app = build_resolver(lazy=API_HANDLERS["fleetrock_webhook"])  # each router is imported on its first request
lambda_handler = entry_point(app, max_body_bytes=WEBHOOK_MAX_BODY_BYTES, json_only=False,
                             answers_metric="FleetrockWebhook")  # the webhook 4xx/5xx rate alarms (infra)
initialized()  # last line: the cold start is over (shared/coldstart.py)
