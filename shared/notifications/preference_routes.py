"""The signed-in user's email preferences by category (served with /me by the organizations handler)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.notifications import logic
from shared.notifications.models import Preferences, PreferencesUpdate

router = Router()
Reader = Annotated[Principal, Depends(requires(Action.NOTIFICATION_READ))]


@router.get("/me/notification-preferences", tags=["notifications"],
            summary="Which notification emails you get, per category (your choices, else your role's default)")
def get_preferences(caller: Reader) -> Preferences:
    return logic.get_preferences(caller)


@router.put("/me/notification-preferences", tags=["notifications"],
            summary="Choose which notification emails you get (replaces your choices; send the version you read)")
def put_preferences(body: Annotated[PreferencesUpdate, Body()], caller: Reader) -> Preferences:
    return logic.put_preferences(caller, body)
