"""`POST /webhooks/fleetrock/{integration_id}`: Fleetrock's signed webhooks (no user token)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from shared.fleetrock.inbox.models import WebhookAccepted
from shared.fleetrock.inbox.webhook import VerifiedWebhook, accept, webhook_signature

router = Router()


@router.post(
    "/webhooks/fleetrock/<integration_id>",
    tags=["fleetrock"],
    summary="Fleetrock's webhook: HMAC-SHA256 of the raw body with the webhook secret, hex or base64",
    description="The signature (optionally `sha256=`-prefixed) may come in X-Fleetrock-Signature or the other "
    "headers docs/fleetrock-contract.md lists. The body is JSON or form-encoded; it only has to name a repair "
    "order (`id`, `ro_id`, `repair_order_id`, or the same under `data` / `repair_order`): applying it re-reads "
    "the order from Fleetrock. Kept once per event id (or per body within a few seconds when it has none) and "
    "applied asynchronously. 202 accepted, a redelivery, or a signed body we cannot read (kept as "
    "`unrecognized`); 200 for the `test` event; 401 bad signature, 404 unknown integration, 410 inactive, "
    "413 over 1 MB.",
    responses={202: {"description": "accepted, already accepted, or kept as unrecognized"},
               200: {"description": "test event"}, 410: {"description": "integration not active"}},
    security=[],
)
def receive_webhook(
    integration_id: Annotated[str, Path(max_length=64)],
    webhook: Annotated[VerifiedWebhook, Depends(webhook_signature)],
) -> Response[WebhookAccepted]:
    event_id, status, http_status = accept(webhook)
    body = WebhookAccepted(event_id=event_id, status=status)
    return Response(status_code=http_status, content_type=content_types.APPLICATION_JSON, body=body)
