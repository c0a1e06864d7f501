"""Organizations, users and the caller's own profile."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import Field

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit, source_ip
from shared.auth.permissions import Action, requires, signed_in
from shared.auth.principal import Identity, Principal
from shared.base_models import Name
from shared.db.pagination import Page
from shared.orgs import logic
from shared.orgs.models import (
    Me,
    Organization,
    OrganizationCreate,
    OrganizationUpdate,
    User,
    UserCreate,
    UserUpdate,
)

router = Router()
OrgId = Annotated[str, Path(max_length=64)]
UserId = Annotated[str, Path(max_length=128)]


class SignUp(OrganizationCreate):
    admin_name: Name = Field(description="your name: you become the organization's first admin")


@router.post("/organizations", tags=["organizations"], summary="Sign up: create your organization",
             responses={201: {"description": "created; refresh your tokens: the next ID token carries the "
                                             "organization, your role and user id"},
                        403: {"description": "your token's email address is not verified (confirm your sign-up)"},
                        429: {"description": "too many sign-ups from your address this hour (Retry-After)"}})
def create_organization(
    identity: Annotated[Identity, Depends(signed_in)], body: Annotated[SignUp, Body()]
) -> tuple[Me, int]:
    org_fields = body.model_dump(exclude={"admin_name"})
    logic.check_sign_up(identity, source_ip(router.current_event.raw_event))
    return logic.create_organization(identity, OrganizationCreate(**org_fields), body.admin_name), 201


@router.get("/organizations/<org_id>", tags=["organizations"], summary="Get an organization")
def get_organization(
    org_id: OrgId, caller: Annotated[Principal, Depends(requires(Action.ORG_READ))]
) -> Organization:
    return logic.get_organization(caller, org_id)


@router.patch("/organizations/<org_id>", tags=["organizations"], summary="Update your organization")
def update_organization(
    org_id: OrgId,
    body: Annotated[OrganizationUpdate, Body()],
    caller: Annotated[Principal, Depends(requires(Action.ORG_UPDATE))],
) -> Organization:
    return logic.update_organization(caller, org_id, body)


@router.get("/me", tags=["users"], summary="The signed-in user and their organization")
def get_me(caller: Annotated[Principal, Depends(requires(Action.ORG_READ))]) -> Me:
    return logic.me(caller)


@router.get("/users", tags=["users"], summary="List your organization's users")
def list_users(
    caller: Annotated[Principal, Depends(requires(Action.USER_READ))],
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Page[User]:
    return logic.list_users(caller, limit, cursor)


@router.post("/users", tags=["users"], summary="Add a user to your organization (they get an email)",
             responses={201: {"description": "created"}})
def create_user(
    body: Annotated[UserCreate, Body()], caller: Annotated[Principal, Depends(requires(Action.USER_MANAGE))]
) -> tuple[User, int]:
    return logic.create_user(caller, body), 201


@router.get("/users/<user_id>", tags=["users"], summary="Get a user of your organization")
def get_user(user_id: UserId, caller: Annotated[Principal, Depends(requires(Action.USER_READ))]) -> User:
    return logic.get_user(caller, user_id)


@router.patch("/users/<user_id>", tags=["users"], summary="Rename a user or change their role")
def update_user(
    user_id: UserId,
    body: Annotated[UserUpdate, Body()],
    caller: Annotated[Principal, Depends(requires(Action.USER_MANAGE))],
) -> User:
    return logic.update_user(caller, user_id, body)


@router.delete("/users/<user_id>", tags=["users"], summary="Remove a user from your organization")
def delete_user(
    user_id: UserId, caller: Annotated[Principal, Depends(requires(Action.USER_MANAGE))]
) -> tuple[None, int]:
    logic.delete_user(caller, user_id)
    return None, 204
