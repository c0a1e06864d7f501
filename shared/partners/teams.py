"""A fleet's internal teams: its own shop, assigned jobs exactly like a partner (INVERS: partners may be
"external contractors or your internal installation team"; Fleetrock: a customer may "add their own
vendor ... by adding a Vendor user to their account").

A team is an organization of vendor users inside the fleet (`team_of`): its own partner ID, the fleet's
address and contact, no place in vendor search, no connections or invitations of its own. It works with
its fleet through the pair's one record (shared/connections/relationships.py, way `team`), written in
the team's creating transaction; jobs take its partner ID like any partner's and its users see a vehicle
only while a job of theirs runs on it. Removing a team ends the record; its open jobs go back to the
fleet through the record's stream record (shared/jobs/relationships.py).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.audit.public import add_audit_event
from shared.auth.principal import OrgKind, Principal, Role
from shared.base_models import Model, Name, RequestBody
from shared.connections.public import (
    Pair,
    Relationship,
    RelationshipItem,
    Way,
    close_way,
    get_relationship_item,
    list_fleet_relationships,
    open_way,
    to_relationship,
)
from shared.db.base import atomic
from shared.db.pagination import Page
from shared.errors import Conflict, DomainError, NotFound, Unprocessable
from shared.orgs.public import (
    OrgItem,
    User,
    UserCreate,
    add_team_organization,
    add_user,
    get_org_item,
    list_user_items,
    new_partner_id,
    partner_claim_pk,
)

PARTNER_ID_ATTEMPTS = 5
TEAM_ROLES = (Role.VENDOR, Role.VENDOR_ADMIN)


class TeamCreate(RequestBody):
    name: Name


class Team(Model):
    team_id: str = Field(description="the team's organization")
    fleet_id: str
    name: str
    partner_id: str = Field(description="assign it jobs with this, as any partner's")
    status: str = Field(description="active, or ended (removed: its open jobs went back to the fleet)")
    open_jobs: int
    created_at: datetime | None = None


def to_team(pair: Relationship) -> Team:
    return Team(team_id=pair.vendor_id, fleet_id=pair.fleet_id, name=pair.vendor_name or "",
                partner_id=pair.partner_id or "", status=pair.status or "", open_jobs=pair.open_jobs,
                created_at=pair.created_at)


class _PartnerIdTaken(DomainError):
    pass


def create_team(caller: Principal, body: TeamCreate) -> Team:
    fleet = get_org_item(caller.org_id)
    if fleet is None or fleet.kind != OrgKind.FLEET.value:
        raise NotFound("your organization is not registered as a fleet")
    for _ in range(PARTNER_ID_ATTEMPTS):
        partner_id = new_partner_id()

        def conflict(failed: set[str], partner_id: str = partner_id) -> DomainError:
            if partner_claim_pk(partner_id) in failed:
                return _PartnerIdTaken("partner ID taken")
            return Conflict("the team could not be created; try again")

        try:
            with atomic(conflict) as tx:
                team = add_team_organization(tx, caller, fleet, body.name, partner_id)
                open_way(tx, None, Pair(fleet.org_id, fleet.name, team.org_id, team.name, partner_id), Way.TEAM)
                add_audit_event(tx, org_id=fleet.org_id, actor=caller, action="team.created", target_type="team",
                                target_id=team.org_id, after={"name": team.name, "partner_id": partner_id})
        except _PartnerIdTaken:
            continue
        return get_team(caller, team.org_id)
    raise Conflict("could not allot a unique partner ID; try again")


def list_teams(caller: Principal, limit: int, cursor: str | None) -> Page[Team]:
    page = list_fleet_relationships(caller.org_id, limit=limit, cursor=cursor, teams=True)
    return Page[Team](items=[to_team(p) for p in page.items], next_cursor=page.next_cursor)


def _team_pair(caller: Principal, team_id: str, *, active: bool = True) -> RelationshipItem:
    pair = get_relationship_item(caller.org_id, team_id)
    if pair is None or pair.origin != Way.TEAM.value:
        raise NotFound(f"team {team_id} not found")
    if active and not pair.team:
        raise Conflict(f"team {team_id} was removed")
    return pair


def get_team(caller: Principal, team_id: str) -> Team:
    return to_team(to_relationship(_team_pair(caller, team_id, active=False)))


def _team_org(team_id: str) -> OrgItem:
    org = get_org_item(team_id)
    if org is None:
        raise NotFound(f"team {team_id} not found")
    return org


def add_team_user(caller: Principal, team_id: str, body: UserCreate) -> User:
    """A user of the team, with a vendor role: they sign in as the team and work its jobs."""
    _team_pair(caller, team_id)
    if body.role not in TEAM_ROLES:
        raise Unprocessable.field("role", f"a team user's role is one of: {', '.join(r.value for r in TEAM_ROLES)}")
    return add_user(caller, _team_org(team_id), body)


def list_team_users(caller: Principal, team_id: str, limit: int, cursor: str | None) -> Page[User]:
    _team_pair(caller, team_id, active=False)
    return list_user_items(team_id, limit=limit, cursor=cursor)


def remove_team(caller: Principal, team_id: str) -> Team:
    """The team no longer works for the fleet: its record ends, its open jobs go back (the stream)."""
    pair = _team_pair(caller, team_id)
    with atomic("the team changed meanwhile; reload and try again") as tx:
        close_way(tx, pair, Way.TEAM)
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="team.removed", target_type="team",
                        target_id=team_id, before={"name": pair.vendor_name, "partner_id": pair.partner_id})
    return get_team(caller, team_id)
