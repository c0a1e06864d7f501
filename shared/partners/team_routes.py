"""A fleet's internal teams (its own shop) and their users: fleet admins only."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.orgs.public import User, UserCreate
from shared.partners import teams
from shared.partners.teams import Team, TeamCreate

router = Router()
TeamId = Annotated[str, Path(max_length=64)]
FleetAdmin = Annotated[Principal, Depends(requires(Action.TEAM_MANAGE))]
TAGS = ["teams"]


@router.post("/teams", tags=TAGS, summary="Create an internal team: your own shop, assigned jobs like a partner",
             responses={201: {"description": "created, with its partner ID"}})
def create_team(body: Annotated[TeamCreate, Body()], caller: FleetAdmin) -> Response[Team]:
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON,
                    body=teams.create_team(caller, body))


@router.get("/teams", tags=TAGS, summary="Your fleet's internal teams")
def list_teams(caller: FleetAdmin, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[Team]:
    return teams.list_teams(caller, limit, cursor)


@router.get("/teams/<team_id>", tags=TAGS, summary="An internal team")
def get_team(team_id: TeamId, caller: FleetAdmin) -> Team:
    return teams.get_team(caller, team_id)


@router.post("/teams/<team_id>/remove", tags=TAGS,
             summary="Remove a team: it takes no more jobs; its open jobs go back to PENDING")
def remove_team(team_id: TeamId, caller: FleetAdmin) -> Team:
    return teams.remove_team(caller, team_id)


@router.post("/teams/<team_id>/users", tags=TAGS,
             summary="Add a user to a team (role vendor or vendor_admin; they get an email)",
             responses={201: {"description": "added"}})
def add_team_user(team_id: TeamId, body: Annotated[UserCreate, Body()], caller: FleetAdmin) -> Response[User]:
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON,
                    body=teams.add_team_user(caller, team_id, body))


@router.get("/teams/<team_id>/users", tags=TAGS, summary="A team's users")
def list_team_users(team_id: TeamId, caller: FleetAdmin, limit: Limit = DEFAULT_PAGE_SIZE,
                    cursor: Cursor = None) -> Page[User]:
    return teams.list_team_users(caller, team_id, limit, cursor)
