"""Installation partners: a fleet's invitations and partner list; a vendor admin accepts an invitation."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.api.resolver import ERROR_SCHEMA
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.partners import ending, logic
from shared.partners.models import PartnerAccept, PartnerInvite, PartnerRecord, PartnerUpdate

router = Router()
InvitationId = Annotated[str, Path(max_length=64)]
FleetManager = Annotated[Principal, Depends(requires(Action.PARTNER_MANAGE))]
VendorAdmin = Annotated[Principal, Depends(requires(Action.PARTNER_ACCEPT))]
TAGS = ["partners"]


@router.post(
    "/partners/invitations",
    tags=TAGS,
    summary="Invite an installation partner by email (they get a link to accept)",
    responses={
        201: {"description": "invited; the email goes out"},
        200: {"description": "this email is invited already: that invitation (a new link is emailed only when "
                             "it is PENDING and its link expired)"},
    },
)
def invite_partner(body: Annotated[PartnerInvite, Body()], caller: FleetManager) -> Response[PartnerRecord]:
    result = logic.invite_partner(caller, body)
    return Response(status_code=201 if result.created else 200, content_type=content_types.APPLICATION_JSON,
                    body=result.record)


@router.get("/partners", tags=TAGS, summary="Your installation partners: status, partner ID, override flag")
def list_partners(caller: FleetManager, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[PartnerRecord]:
    return logic.list_partners(caller, limit, cursor)


@router.patch("/partners/<invitation_id>", tags=TAGS,
              summary="Change whether a partner may override job configuration and data (send the version you read)")
def update_partner(invitation_id: InvitationId, body: Annotated[PartnerUpdate, Body()],
                   caller: FleetManager) -> PartnerRecord:
    return logic.update_partner(caller, invitation_id, body)


@router.post(
    "/partner-invitations/accept",
    tags=TAGS,
    summary="Vendor admin: accept an installation partner invitation with the token of its link",
    responses={
        200: {"description": "accepted (or accepted by your organization already): you are the fleet's partner"},
        410: {"description": "the link expired, or another organization accepted it: ask the fleet to invite you "
                             "again", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
    },
)
def accept_partner_invitation(body: Annotated[PartnerAccept, Body()], caller: VendorAdmin) -> PartnerRecord:
    return logic.accept_invitation(caller, body)


@router.post("/partner-invitations/decline", tags=TAGS,
             summary="Vendor admin: decline an installation partner invitation with the token of its link")
def decline_partner_invitation(body: Annotated[PartnerAccept, Body()], caller: VendorAdmin) -> PartnerRecord:
    return logic.decline_invitation(caller, body)


@router.post("/partners/<invitation_id>/remove", tags=TAGS,
             summary="End a partnership: the partner ID no longer assigns jobs; its open jobs go back to PENDING")
def remove_partner(invitation_id: InvitationId, caller: FleetManager) -> PartnerRecord:
    return ending.remove_partner(caller, invitation_id)


@router.post("/partners/fleets/<fleet_id>/leave", tags=TAGS,
             summary="Vendor admin: leave a fleet you are an installation partner of (your open jobs go back)")
def leave_fleet(fleet_id: Annotated[str, Path(max_length=64)], caller: VendorAdmin) -> PartnerRecord:
    return ending.leave_fleet(caller, fleet_id)
