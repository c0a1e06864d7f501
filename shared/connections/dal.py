"""Data access of connections and grants."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from shared.connections.models import ConnectionItem, ConnectionStatus, GrantItem
from shared.db.claims import CLAIM, ClaimItem

CONN = "CONN"
GRANT = "GRANT"


def connection_pk(connection_id: str) -> str:
    return f"CONN#{connection_id}"


def pair_claim_pk(fleet_id: str, vendor_id: str) -> str:
    return f"PAIR#{fleet_id}#{vendor_id}"


def org_connections_partition(org_id: str) -> str:
    return f"ORG#{org_id}#CONNS"


def index_connection(item: ConnectionItem) -> None:
    """Keep both sides' list keys (gsi1 fleet, gsi2 vendor) in step with the status."""
    item.gsi1pk = org_connections_partition(item.fleet_id)
    item.gsi2pk = org_connections_partition(item.vendor_id)
    item.gsi1sk = item.gsi2sk = f"{item.status}#{item.connection_id}"


def get_connection_item(connection_id: str) -> ConnectionItem | None:
    return ConnectionItem.find(connection_pk(connection_id), CONN, consistent_read=True)


def accepted_connection_items(fleet_id: str) -> Iterator[ConnectionItem]:
    """The fleet's accepted connections (gsi1, its side's list, by status)."""
    yield from ConnectionItem.query(org_connections_partition(fleet_id), ConnectionItem.gsi1sk.startswith(
        f"{ConnectionStatus.ACCEPTED.value}#"), index_name="gsi1")


def get_grant_item(connection_id: str) -> GrantItem | None:
    return GrantItem.find(connection_pk(connection_id), GRANT, consistent_read=True)


def live_connection_id(fleet_id: str, vendor_id: str) -> str | None:
    """The id of the pair's pending or accepted connection, if there is one."""
    claim = ClaimItem.find(pair_claim_pk(fleet_id, vendor_id), CLAIM, consistent_read=True)
    return claim.owner_id if claim else None


def connection_states(fleet_id: str, vendor_ids: Iterable[str]) -> dict[str, ConnectionStatus]:
    """For a fleet and some vendors: the status of each live (pending/accepted) connection, by vendor id.

    Two BatchGets, whatever the number of vendors (used to mark search results).
    """
    keys = [(pair_claim_pk(fleet_id, v), CLAIM) for v in dict.fromkeys(vendor_ids)]
    if not keys:
        return {}
    claims = list(ClaimItem.batch_get(keys))
    if not claims:
        return {}
    items = ConnectionItem.batch_get([(connection_pk(c.owner_id), CONN) for c in claims])
    return {i.vendor_id: ConnectionStatus(i.status) for i in items if i.status in ("pending", "accepted")}
