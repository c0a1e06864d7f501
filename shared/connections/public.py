"""What other capabilities may use of connections: a fleet's live connections, a pair's accepted
connection and the groups it grants (a connected vendor works the fleet's units)."""

from shared.connections.dal import CONN, connection_pk, connection_states
from shared.connections.grants import accepted_connection, granted_group_ids
from shared.connections.models import ConnectionItem, ConnectionStatus

__all__ = ["CONN", "ConnectionItem", "ConnectionStatus", "accepted_connection", "connection_pk",
           "connection_states", "granted_group_ids"]
