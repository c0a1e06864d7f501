"""Push subscriptions of the caller's fleet and their deliveries (fleet admins)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.push import subscriptions as logic
from shared.push.models import (
    Delivery,
    Subscription,
    SubscriptionCreate,
    SubscriptionUpdate,
    SubscriptionWithSecret,
    TestDeliveryResult,
)

router = Router()
SubscriptionId = Annotated[str, Path(max_length=64)]
DeliveryId = Annotated[str, Path(max_length=64)]
Admin = Annotated[Principal, Depends(requires(Action.SUBSCRIPTION_MANAGE))]
TAGS = ["subscriptions"]


@router.post("/subscriptions", tags=TAGS, summary="Subscribe a URL to the maintenance pushes (secret shown once)",
             responses={201: {"description": "created"}})
def create_subscription(
    body: Annotated[SubscriptionCreate, Body()], caller: Admin
) -> tuple[SubscriptionWithSecret, int]:
    return logic.create(caller, body), 201


@router.get("/subscriptions", tags=TAGS, summary="List your fleet's push subscriptions")
def list_subscriptions(caller: Admin, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[Subscription]:
    return logic.list_subscriptions(caller, limit, cursor)


@router.get("/subscriptions/<subscription_id>", tags=TAGS, summary="Get a push subscription")
def get_subscription(subscription_id: SubscriptionId, caller: Admin) -> Subscription:
    return logic.get(caller, subscription_id)


@router.delete("/subscriptions/<subscription_id>", tags=TAGS, summary="Delete a push subscription")
def delete_subscription(subscription_id: SubscriptionId, caller: Admin) -> tuple[None, int]:
    logic.delete(caller, subscription_id)
    return None, 204


@router.patch("/subscriptions/<subscription_id>", tags=TAGS,
              summary="Change what a subscription receives (events) or its description")
def update_subscription(
    subscription_id: SubscriptionId, body: Annotated[SubscriptionUpdate, Body()], caller: Admin
) -> Subscription:
    return logic.update(caller, subscription_id, body)


@router.post("/subscriptions/<subscription_id>/test", tags=TAGS,
             summary="Send a signed test delivery now (once, never retried) and see the subscriber's answer")
def send_test_delivery(subscription_id: SubscriptionId, caller: Admin) -> TestDeliveryResult:
    return logic.send_test(caller, subscription_id)


@router.post("/subscriptions/<subscription_id>/pause", tags=TAGS, summary="Pause a push subscription")
def pause_subscription(subscription_id: SubscriptionId, caller: Admin) -> Subscription:
    return logic.pause(caller, subscription_id)


@router.post("/subscriptions/<subscription_id>/resume", tags=TAGS,
             summary="Resume a paused subscription (pending until a new verification delivery succeeds)")
def resume_subscription(subscription_id: SubscriptionId, caller: Admin) -> Subscription:
    return logic.resume(caller, subscription_id)


@router.post("/subscriptions/<subscription_id>/rotate-secret", tags=TAGS,
             summary="Replace the secret (shown once); the old one also signs for 24 h")
def rotate_subscription_secret(subscription_id: SubscriptionId, caller: Admin) -> SubscriptionWithSecret:
    return logic.rotate_secret(caller, subscription_id)


@router.get("/subscriptions/<subscription_id>/deliveries", tags=TAGS, summary="List deliveries, newest first")
def list_deliveries(
    subscription_id: SubscriptionId, caller: Admin, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None
) -> Page[Delivery]:
    return logic.list_deliveries(caller, subscription_id, limit, cursor)


@router.get("/subscriptions/<subscription_id>/deliveries/<delivery_id>", tags=TAGS, summary="Get a delivery")
def get_delivery(subscription_id: SubscriptionId, delivery_id: DeliveryId, caller: Admin) -> Delivery:
    return logic.get_delivery(caller, subscription_id, delivery_id)


@router.post("/subscriptions/<subscription_id>/deliveries/<delivery_id>/redeliver", tags=TAGS,
             summary="Send a failed (or delivered) delivery again, same id and body",
             responses={202: {"description": "queued"}})
def redeliver(subscription_id: SubscriptionId, delivery_id: DeliveryId, caller: Admin) -> tuple[Delivery, int]:
    return logic.redeliver(caller, subscription_id, delivery_id), 202
