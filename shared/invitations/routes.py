"""Invitations to join Fleetbridge (people not in the network yet)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.invitations import accepting, logic
from shared.invitations.models import Invitation, InvitationAccept, InvitationCreate

router = Router()
Inviter = Annotated[Principal, Depends(requires(Action.INVITE))]


@router.post(
    "/invitations",
    tags=["invitations"],
    summary="Invite someone not in the network: they get an email with a sign-up link",
    responses={
        201: {"description": "invited; the email goes out"},
        200: {"description": "your organization invited this email within the last 24 h: that invitation, "
                             "no new email"},
    },
)
def create_invitation(body: Annotated[InvitationCreate, Body()], caller: Inviter) -> Response[Invitation]:
    invitation, created = logic.invite(caller, body)
    return Response(status_code=201 if created else 200, content_type=content_types.APPLICATION_JSON, body=invitation)


@router.get("/invitations", tags=["invitations"], summary="List the invitations your organization sent, newest first")
def list_invitations(caller: Inviter, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[Invitation]:
    return logic.list_invitations(caller, limit, cursor)


@router.post(
    "/invitations/accept",
    tags=["invitations"],
    summary="Accept the invitation you signed up from: a fleet and a vendor are connected",
    description="After sign-up: create your organization (POST /organizations), refresh your tokens, then send "
                "the sign-up link's `invitation` parameter here. Only the address the invitation was sent to may "
                "accept it, once; accepting it again answers the same.",
    responses={403: {"description": "signed in with another address than the invitation's"},
               404: {"description": "no such invitation (a mangled link)"},
               409: {"description": "your organization is not of the kind invited"},
               410: {"description": "accepted by another organization already"}},
)
def accept_invitation(
    body: Annotated[InvitationAccept, Body()],
    caller: Annotated[Principal, Depends(requires(Action.CONNECTION_WRITE))],
) -> Invitation:
    return accepting.accept(caller, body)
