"""A connection made by an invitation: someone not in the network was invited, signed up and accepted.

The inviter's invitation is its connection request, made before the other organization existed;
the person who accepts it signed up with the address it was sent to (shared/invitations), so the
acceptance is the recipient's answer: the connection starts ACCEPTED, requested by the inviter
(the user who sent the invitation), in the transaction that marks the invitation accepted. Like any
accepted connection it is one live connection of the pair (its claim), the pair's record gets the
connection way, both trails get the event, and the inviter is told.
"""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from shared.audit.public import add_audit_event
from shared.auth.principal import OrgKind, Principal
from shared.connections import dal, relationships
from shared.connections.models import Connection, ConnectionItem, ConnectionStatus
from shared.db.claims import add_claim
from shared.ids import new_id, utc_now
from shared.notifications.public import notify
from shared.orgs.public import OrgItem


def can_connect(inviter: OrgItem, invitee: OrgItem) -> bool:
    """A fleet and a vendor, neither an internal team (a team works only for its fleet)."""
    return inviter.kind != invitee.kind and not inviter.team_of and not invitee.team_of


def live_connection(inviter: OrgItem, invitee: OrgItem) -> ConnectionItem | None:
    """The pair's live connection, if they made one meanwhile (a search and a request)."""
    fleet, vendor = _sides(inviter, invitee)
    live_id = dal.live_connection_id(fleet.org_id, vendor.org_id)
    return dal.get_connection_item(live_id) if live_id else None


def _sides(inviter: OrgItem, invitee: OrgItem) -> tuple[OrgItem, OrgItem]:
    return (inviter, invitee) if inviter.kind == OrgKind.FLEET.value else (invitee, inviter)


def open_invited_connection(tx: TransactWrite, inviter: OrgItem, invitee: OrgItem, *, invited_by: str,
                            accepted_by: Principal, invitation_id: str) -> Connection:
    """In `tx`: the accepted connection of the pair (the transaction fails if the pair has a live one)."""
    fleet, vendor = _sides(inviter, invitee)
    now, connection_id = utc_now(), new_id("con")
    item = ConnectionItem(
        dal.connection_pk(connection_id), dal.CONN, connection_id=connection_id, fleet_id=fleet.org_id,
        fleet_name=fleet.name, vendor_id=vendor.org_id, vendor_name=vendor.name, requested_by_org=inviter.org_id,
        requested_by_user=invited_by, message=f"invitation {invitation_id}", status=ConnectionStatus.ACCEPTED.value,
        created_at=now, updated_at=now,
    )
    dal.index_connection(item)
    tx.save(item, condition=ConnectionItem.pk.does_not_exist())
    add_claim(tx, dal.pair_claim_pk(fleet.org_id, vendor.org_id), connection_id, fleet.org_id)
    pair = relationships.Pair(fleet.org_id, fleet.name, vendor.org_id, vendor.name, vendor.partner_id)
    current = relationships.get_relationship_item(fleet.org_id, vendor.org_id)
    relationships.open_way(tx, current, pair, relationships.Way.CONNECTION, connection_id)
    connection = Connection.model_validate(item)
    for org_id in (fleet.org_id, vendor.org_id):
        add_audit_event(tx, org_id=org_id, actor=accepted_by, action="connection.accepted", target_type="connection",
                        target_id=connection_id, before=None, after=connection)
    notify(tx, inviter, kind="connection.accepted", title=f"{invitee.name} joined Fleetbridge from your invitation",
           body=(f"{invitee.name} signed up on Fleetbridge from your invitation (sent to the address you entered) "
                 "and accepted it: your organizations are connected.\n"),
           data={"connection_id": connection_id, "org_id": invitee.org_id, "invitation_id": invitation_id})
    return connection
