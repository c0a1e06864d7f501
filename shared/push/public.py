"""What other capabilities may use of push: send a fleet's asset snapshot to its subscribers."""

from shared.push.models import AssetSnapshot, SnapshotStatus
from shared.push.snapshots import push_snapshot

__all__ = ["AssetSnapshot", "SnapshotStatus", "push_snapshot"]
