"""Fleetrock integration set-up, inbox replay, webhook samples, unit sync retry and refreshes (fleetrock.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.fleetrock.inbox import replay, samples
from shared.fleetrock.inbox.models import InboxEvent, WebhookSample
from shared.fleetrock.integration import logic
from shared.fleetrock.integration.models import (
    Activation,
    Integration,
    IntegrationCreate,
    IntegrationUpdate,
    IntegrationWithSecret,
)
from shared.fleetrock.refresh import refresh
from shared.fleetrock.refresh.models import RefreshTask
from shared.fleetrock.sync import retry
from shared.fleetrock.sync.models import UnitSync

router = Router()
Manager = Annotated[Principal, Depends(requires(Action.INTEGRATION_MANAGE))]
IntegrationId = Annotated[str, Path(max_length=64)]
TAGS = ["fleetrock"]


@router.post("/integrations", tags=TAGS, summary="Configure your fleet's Fleetrock integration",
             description="The API key is stored encrypted and never shown again. The answer carries the webhook "
             "secret, shown this once: paste it with the webhook URL into Fleetrock.",
             responses={201: {"description": "configured (not active yet)"}})
def configure(body: Annotated[IntegrationCreate, Body()], caller: Manager) -> Response[IntegrationWithSecret]:
    created = logic.configure(caller, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created)


@router.get("/integrations", tags=TAGS, summary="Your fleet's integrations")
def list_integrations(caller: Manager, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[Integration]:
    return logic.list_integrations(caller, limit, cursor)


@router.get("/integrations/<integration_id>", tags=TAGS, summary="Get an integration (never its secrets)")
def get_integration(integration_id: IntegrationId, caller: Manager) -> Integration:
    return logic.get_integration(caller, integration_id)


@router.patch("/integrations/<integration_id>", tags=TAGS,
              summary="Change the account (send the version you read); new credentials are checked when active")
def update_integration(integration_id: IntegrationId, body: Annotated[IntegrationUpdate, Body()],
                       caller: Manager) -> Integration:
    return logic.update(caller, integration_id, body)


@router.post("/integrations/<integration_id>/activate", tags=TAGS,
             summary="Check the credentials with Fleetrock, import open repair orders, link units by VIN",
             description="422 when Fleetrock refuses the credentials or does not answer.")
def activate(integration_id: IntegrationId, caller: Manager) -> Activation:
    return logic.activate(caller, integration_id)


@router.post("/integrations/<integration_id>/deactivate", tags=TAGS,
             summary="Stop syncing; webhooks are answered 410 from now on")
def deactivate(integration_id: IntegrationId, caller: Manager) -> Integration:
    return logic.deactivate(caller, integration_id)


@router.post("/integrations/<integration_id>/webhook-secret", tags=TAGS,
             summary="Rotate the webhook secret: the new one is shown this once, the old one stops working")
def rotate_secret(integration_id: IntegrationId, caller: Manager) -> IntegrationWithSecret:
    return logic.rotate_secret(caller, integration_id)


@router.get("/integrations/<integration_id>/events", tags=TAGS,
            summary="Webhook events received, newest first (test, unknown and failed ones included)")
def list_events(integration_id: IntegrationId, caller: Manager, limit: Limit = DEFAULT_PAGE_SIZE,
                cursor: Cursor = None) -> Page[InboxEvent]:
    return replay.list_events(caller, integration_id, limit, cursor)


@router.post("/integrations/<integration_id>/events/<event_id>/replay", tags=TAGS,
             summary="Apply a failed event again (idempotent: an applied event is left alone)",
             responses={202: {"description": "queued again"}, 200: {"description": "nothing to replay"}})
def replay_event(integration_id: IntegrationId, event_id: Annotated[str, Path(max_length=200)],
                 caller: Manager) -> Response[InboxEvent]:
    event, queued = replay.replay(caller, integration_id, event_id)
    return Response(status_code=202 if queued else 200, content_type=content_types.APPLICATION_JSON, body=event)


@router.get("/integrations/<integration_id>/webhook-samples", tags=TAGS,
            summary="The last 20 webhooks as they arrived (headers without signatures, raw body), newest first",
            description="Every verified webhook is kept 30 days, \"Send Test Webhook\" and ones whose shape we did "
            "not recognise included, with what we made of it (`outcome`); only the 20 newest. A body that is not "
            "UTF-8 text comes base64-encoded (`body_base64`); of a large one, the first 64 KiB (`truncated`).")
def list_webhook_samples(integration_id: IntegrationId, caller: Manager) -> Page[WebhookSample]:
    return samples.list_samples(caller, integration_id)


@router.get("/integrations/<integration_id>/units", tags=TAGS, summary="Assets synced to Fleetrock units")
def list_units(integration_id: IntegrationId, caller: Manager,
               state: Annotated[Literal["synced", "failed", "retry"] | None, Query()] = None,
               limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[UnitSync]:
    return retry.list_syncs(caller, integration_id, state, limit, cursor)


@router.post("/integrations/<integration_id>/units/<asset_id>/sync", tags=TAGS,
             summary="Retry a failed unit sync (the asset's current state is sent)")
def retry_unit_sync(integration_id: IntegrationId, asset_id: Annotated[str, Path(max_length=64)],
                    caller: Manager) -> UnitSync:
    return retry.retry_sync(caller, integration_id, asset_id)


@router.get("/integrations/<integration_id>/refreshes", tags=TAGS,
            summary="Daily maintenance refreshes (05:00 US Eastern), newest day first: failed and retrying ones too")
def list_refreshes(integration_id: IntegrationId, caller: Manager, limit: Limit = DEFAULT_PAGE_SIZE,
                   cursor: Cursor = None) -> Page[RefreshTask]:
    return refresh.list_refreshes(caller, integration_id, limit, cursor)
