"""What a connection's other side is told beyond its transitions (those are in logic.py): the groups a
fleet shares with a connected vendor, in the grant's transaction."""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from shared.connections.models import ConnectionItem, Grant
from shared.notifications.public import notify
from shared.orgs.public import get_org_item


def groups_changed(tx: TransactWrite, item: ConnectionItem, grant: Grant) -> None:
    """The vendor learns, in the grant's transaction, which of the fleet's groups it now sees."""
    vendor = get_org_item(item.vendor_id)
    if vendor is None:
        return
    groups = f"{len(grant.group_ids)} of its asset groups" if grant.group_ids else "none of its asset groups"
    until = f" until {grant.expires_at:%Y-%m-%d %H:%M} UTC" if grant.expires_at else ""
    notify(tx, vendor, kind="connection.groups_changed", title=f"{item.fleet_name} changed the groups you see",
           body=f"Hello {vendor.name},\n\n{item.fleet_name} now shares {groups} with you{until} on Fleetbridge.\n",
           data={"connection_id": item.connection_id, "fleet_id": item.fleet_id, "group_ids": grant.group_ids,
                 "expires_at": grant.expires_at.isoformat() if grant.expires_at else None})
