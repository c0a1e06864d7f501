"""The one record of a fleet-vendor pair (issue 18: "one relationship per pair").

However a vendor came to work with a fleet, by an accepted connection, an accepted installation
partner invitation, or as the fleet's own internal team, the pair has one record: its partner ID,
override flag, the groups granted to it, how it came to be, and counters (open jobs, pending
requests). Each way in is written by the transaction that opens or closes it (connections here,
invitations and teams in shared/partners), so the record never says something that did not happen.

Changes of the ways are read-then-write, conditional on `rev` (bumped by each such change);
the counters are ADDs that need no read and never conflict with them. A counter's ADD on a pair
with no record yet (data from before this record) creates a bare item: it has no `status`, so it
is in no list, and the ways' first write completes it (`dev/migrate_relationships.py` writes the
records of older pairs and sets their counters right).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import Field
from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from shared.base_models import StoredModel
from shared.db.base import TableItem
from shared.db.keys import org_pk
from shared.db.pagination import Page, query_page
from shared.ids import utc_now


class Way(StrEnum):
    """How a vendor works with a fleet."""

    CONNECTION = "connection"  # an accepted connection: on the vehicles of the groups granted to it
    INVITATION = "invitation"  # an accepted installation partner invitation: on any of the fleet's vehicles
    TEAM = "team"  # the fleet's own internal team: on any of the fleet's vehicles


ACTIVE, ENDED = "active", "ended"


class RelationshipItem(TableItem, discriminator="relationship"):
    """pk=ORG#{fleet_id}, sk=REL#{vendor_id}: one per fleet and vendor organization.

    gsi2 ORG#{vendor_id}#FLEETS / {fleet_id} while it is active (sparse): the fleets a vendor works with.
    """

    fleet_id = UnicodeAttribute()
    vendor_id = UnicodeAttribute()
    fleet_name = UnicodeAttribute(null=True)
    vendor_name = UnicodeAttribute(null=True)
    partner_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # active / ended; none on a bare counter item
    origin = UnicodeAttribute(null=True)  # the way that started it (a Way)
    connection_id = UnicodeAttribute(null=True)  # while its connection is accepted
    invitation_id = UnicodeAttribute(null=True)  # while its partner invitation is accepted
    team = BooleanAttribute(null=True)  # the fleet's internal team
    allow_override = BooleanAttribute(null=True)
    granted_group_ids = UnicodeSetAttribute(null=True)  # the connection's grant (copy kept in its transaction)
    grant_expires_at = UTCDateTimeAttribute(null=True)
    open_jobs = NumberAttribute(null=True)  # ASSIGNED + RUNNING jobs of the vendor in the fleet
    pending_requests = NumberAttribute(null=True)  # connection and service requests awaiting an answer
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    rev = NumberAttribute(null=True)  # bumped by every change of the ways: their condition


class Relationship(StoredModel):
    """A fleet and a vendor that work together, however they came to."""

    fleet_id: str
    fleet_name: str | None = None
    vendor_id: str
    vendor_name: str | None = None
    partner_id: str | None = Field(default=None, description="the vendor's 5-character partner ID")
    status: str | None = Field(default=None, description="active, or ended")
    origin: Way | None = Field(default=None, description="how it came to be")
    ways: list[Way] = Field(default_factory=list, description="every way it stands on now")
    connection_id: str | None = None
    invitation_id: str | None = None
    allow_override: bool = False
    granted_group_ids: list[str] | None = Field(
        default=None, description="a vendor working through a connection alone: only these groups' vehicles")
    grant_expires_at: datetime | None = None
    open_jobs: int = Field(default=0, description="its ASSIGNED and RUNNING jobs in the fleet")
    pending_requests: int = Field(default=0, description="connection and service requests awaiting an answer")
    created_at: datetime | None = None
    updated_at: datetime | None = None


def relationship_sk(vendor_id: str) -> str:
    return f"REL#{vendor_id}"


def vendor_fleets_partition(vendor_id: str) -> str:
    return f"ORG#{vendor_id}#FLEETS"


def ways_of(item: RelationshipItem) -> list[Way]:
    return [w for w, on in ((Way.TEAM, item.team), (Way.INVITATION, item.invitation_id),
                            (Way.CONNECTION, item.connection_id)) if on]


def to_relationship(item: RelationshipItem) -> Relationship:
    return Relationship.model_validate({
        **{name: getattr(item, name) for name in Relationship.model_fields if hasattr(item, name)},
        "ways": ways_of(item), "allow_override": bool(item.allow_override),
        "granted_group_ids": sorted(item.granted_group_ids) if item.granted_group_ids is not None else None,
        "open_jobs": max(int(item.open_jobs or 0), 0), "pending_requests": max(int(item.pending_requests or 0), 0),
    })


def get_relationship_item(fleet_id: str, vendor_id: str) -> RelationshipItem | None:
    return RelationshipItem.find(org_pk(fleet_id), relationship_sk(vendor_id), consistent_read=True)


def active_relationship(fleet_id: str, vendor_id: str) -> RelationshipItem | None:
    item = get_relationship_item(fleet_id, vendor_id)
    return item if item is not None and item.status == ACTIVE else None


def list_vendor_fleets(vendor_id: str, *, limit: int, cursor: str | None) -> Page[Relationship]:
    """The fleets a vendor works with now: one Query of its side of the index per page."""
    return query_page(RelationshipItem.query, vendor_fleets_partition(vendor_id), index_name="gsi2",
                      limit=limit, cursor=cursor, convert=to_relationship)


def list_fleet_relationships(fleet_id: str, *, limit: int, cursor: str | None,
                             teams: bool = False) -> Page[Relationship]:
    """A fleet's vendors, every one it worked with (active and ended), or only its internal teams: one
    Query per page."""
    condition = RelationshipItem.origin == Way.TEAM.value if teams else RelationshipItem.status.exists()
    return query_page(RelationshipItem.query, org_pk(fleet_id),
                      range_key_condition=RelationshipItem.sk.startswith("REL#"), filter_condition=condition,
                      limit=limit, cursor=cursor, convert=to_relationship)


# -- the ways in and out --------------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    """Who the record is of: a fleet and a vendor, with their names and the vendor's partner ID."""

    fleet_id: str
    fleet_name: str
    vendor_id: str
    vendor_name: str
    partner_id: str | None


def open_way(tx: TransactWrite, current: RelationshipItem | None, pair: Pair, way: Way, way_id: str | None = None,
             *, allow_override: bool | None = None, pending_requests: int = 0) -> None:
    """In `tx`: the pair works together by `way` too (`current` is its record as read, or None);
    `pending_requests` is added to its counter (an accepted request is no longer pending)."""
    now = utc_now()
    item = current or RelationshipItem(org_pk(pair.fleet_id), relationship_sk(pair.vendor_id))
    starts = current is None or current.status != ACTIVE
    actions: list[Action] = [
        *_identity(pair.fleet_id, pair.vendor_id), RelationshipItem.fleet_name.set(pair.fleet_name),
        RelationshipItem.vendor_name.set(pair.vendor_name), RelationshipItem.status.set(ACTIVE),
        RelationshipItem.updated_at.set(now), RelationshipItem.gsi2pk.set(vendor_fleets_partition(pair.vendor_id)),
        RelationshipItem.gsi2sk.set(pair.fleet_id),
    ]
    if pair.partner_id:
        actions.append(RelationshipItem.partner_id.set(pair.partner_id))
    if starts:
        actions += [RelationshipItem.origin.set(way.value), RelationshipItem.created_at.set(now)]
    if way is Way.CONNECTION:
        actions.append(RelationshipItem.connection_id.set(way_id or ""))
    elif way is Way.INVITATION:
        actions.append(RelationshipItem.invitation_id.set(way_id or ""))
    else:
        actions.append(RelationshipItem.team.set(True))
    if allow_override is not None:
        actions.append(RelationshipItem.allow_override.set(allow_override))
    if pending_requests:
        actions.append(RelationshipItem.pending_requests.add(pending_requests))
    _write_ways(tx, item, current, actions)


def close_way(tx: TransactWrite, current: RelationshipItem | None, way: Way) -> None:
    """In `tx`: the pair no longer works together by `way`; with no way left the record is ended (and
    leaves the vendor's list). Nothing to do for a pair without a record (data from before it)."""
    if current is None or current.status != ACTIVE:
        return
    gone = {Way.CONNECTION: RelationshipItem.connection_id.remove(),
            Way.INVITATION: RelationshipItem.invitation_id.remove(), Way.TEAM: RelationshipItem.team.remove()}[way]
    actions: list[Action] = [gone, RelationshipItem.updated_at.set(utc_now())]
    if way is Way.CONNECTION:
        actions += [RelationshipItem.granted_group_ids.remove(), RelationshipItem.grant_expires_at.remove()]
    if way is Way.INVITATION:
        actions.append(RelationshipItem.allow_override.remove())
    if not [w for w in ways_of(current) if w is not way]:
        actions += [RelationshipItem.status.set(ENDED), RelationshipItem.gsi2pk.remove(),
                    RelationshipItem.gsi2sk.remove()]  # its origin stays: how the ended one came to be
    _write_ways(tx, current, current, actions)


def set_grant_copy(tx: TransactWrite, current: RelationshipItem | None, group_ids: set[str],
                   expires_at: datetime | None) -> None:
    """In the grant's transaction: the record's copy of the groups granted by its connection."""
    if current is None or current.status != ACTIVE:
        return
    actions: list[Action] = [RelationshipItem.updated_at.set(utc_now())]
    actions.append(RelationshipItem.granted_group_ids.set(group_ids) if group_ids
                   else RelationshipItem.granted_group_ids.remove())
    actions.append(RelationshipItem.grant_expires_at.set(expires_at) if expires_at
                   else RelationshipItem.grant_expires_at.remove())
    _write_ways(tx, current, current, actions)


def set_override(tx: TransactWrite, current: RelationshipItem | None, allow_override: bool) -> None:
    if current is not None and current.status == ACTIVE:
        _write_ways(tx, current, current, [RelationshipItem.allow_override.set(allow_override),
                                           RelationshipItem.updated_at.set(utc_now())])


def _write_ways(tx: TransactWrite, item: RelationshipItem, current: RelationshipItem | None,
                actions: list[Action]) -> None:
    read_rev = current.rev if current is not None else None
    condition = RelationshipItem.rev == read_rev if read_rev is not None else RelationshipItem.rev.does_not_exist()
    actions.append(RelationshipItem.rev.set((read_rev or 0) + 1))
    tx.update(item, actions=actions, condition=condition)


def _identity(fleet_id: str, vendor_id: str) -> list[Action]:
    """What every write sets, so that the first write of a pair (an ADD, maybe) makes a readable item."""
    return [RelationshipItem.type.set(RelationshipItem), RelationshipItem.fleet_id.set(fleet_id),
            RelationshipItem.vendor_id.set(vendor_id)]


# -- counters ------------------------------------------------------------------------------------
def count(tx: TransactWrite, fleet_id: str, vendor_id: str, *, open_jobs: int = 0, pending_requests: int = 0,
          condition: Condition | None = None) -> None:
    """In `tx`: ADD to the pair's counters (no read, no conflict with other changes). `condition`, if
    any, must hold at commit (checked alone when there is nothing to add: one operation per item)."""
    key = RelationshipItem(org_pk(fleet_id), relationship_sk(vendor_id))
    actions = _identity(fleet_id, vendor_id)
    if open_jobs:
        actions.append(RelationshipItem.open_jobs.add(open_jobs))
    if pending_requests:
        actions.append(RelationshipItem.pending_requests.add(pending_requests))
    if len(actions) > 3:
        tx.update(key, actions=actions, condition=condition)
    elif condition is not None:
        tx.condition_check(RelationshipItem, key.pk, key.sk, condition=condition)

