"""`POST /webhooks/fleetrock/{integration_id}`: Fleetrock's signed webhooks (no user token)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from shared.fleetrock.models import WebhookAccepted
from shared.fleetrock.webhook import VerifiedWebhook, accept, webhook_signature

router = Router()


@router.post(
    "/webhooks/fleetrock/<integration_id>",
    tags=["fleetrock"],
    summary="Fleetrock's webhook: signed with X-Fleetrock-Signature: sha256=<hex HMAC-SHA256 of the body>",
    description="Stored once per event_id and applied asynchronously. 202 accepted (or a redelivery), "
    "200 for the `test` event; 401 bad signature, 404 unknown integration, 410 inactive, 413 over 1 MB, "
    "400 not JSON or sent_at more than 5 minutes off.",
    responses={202: {"description": "accepted, or already accepted"}, 200: {"description": "test event"},
               410: {"description": "integration not active"}},
    security=[],
)
def receive_webhook(
    integration_id: Annotated[str, Path(max_length=64)],
    webhook: Annotated[VerifiedWebhook, Depends(webhook_signature)],
) -> Response[WebhookAccepted]:
    status, http_status = accept(webhook)
    body = WebhookAccepted(event_id=webhook.envelope.event_id, status=status)
    return Response(status_code=http_status, content_type=content_types.APPLICATION_JSON, body=body)
