"""What other capabilities may use of connections: a fleet's live connections, and notifying an org."""

from shared.connections.dal import connection_states
from shared.connections.notify import notify

__all__ = ["connection_states", "notify"]
