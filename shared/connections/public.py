"""What other capabilities may use of connections: a fleet's live connections, a pair's accepted
connection and the groups it grants (a connected vendor works the fleet's units), the one record of a
fleet-vendor pair (its ways in and out, its counters), the connection an accepted invitation makes."""

from shared.connections.dal import CONN, connection_pk, connection_states
from shared.connections.grants import accepted_connection, granted_group_ids
from shared.connections.invited import can_connect, live_connection, open_invited_connection
from shared.connections.models import ConnectionItem, ConnectionStatus
from shared.connections.relationships import (
    Pair,
    Relationship,
    RelationshipItem,
    Way,
    active_relationship,
    close_way,
    count,
    get_relationship_item,
    list_fleet_relationships,
    open_way,
    relationship_sk,
    set_override,
    to_relationship,
)

__all__ = [
    "CONN", "ConnectionItem", "ConnectionStatus", "Pair", "Relationship", "RelationshipItem", "Way",
    "accepted_connection", "active_relationship", "can_connect", "close_way", "connection_pk", "connection_states",
    "count", "get_relationship_item", "granted_group_ids", "list_fleet_relationships", "live_connection",
    "open_invited_connection", "open_way", "relationship_sk", "set_override", "to_relationship",
]
