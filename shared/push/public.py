"""What other capabilities may use of push: send a fleet's snapshot to its subscribers, and record an
asset's change (a status_changed push) in the transaction that makes it."""

from shared.push.changes import record_change
from shared.push.events import ChangeCause
from shared.push.snapshots import push_snapshot

__all__ = ["ChangeCause", "push_snapshot", "record_change"]
