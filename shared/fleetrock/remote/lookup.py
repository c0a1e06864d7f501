"""Finding a fleet's repair orders in Fleetrock the way its API really serves them (docs/fleetrock-contract.md).

GetRO lists orders only by an event's date, one calendar month per call: `started` (seen in
public clients) finds what is in the shop; `finished` and `invoiced` (seen) find what closed;
`created` (never seen) is tried for Not Started orders, and what it did (answered, empty,
refused) is recorded on the integration. Nothing depends on `created`: a Not Started order
still arrives by its webhook and is re-read by id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ConfigDict

from shared.base_models import Model
from shared.fleetrock.integration import dal as integration_dal
from shared.fleetrock.integration.models import DEFAULT_LOOKBACK_DAYS, IntegrationItem
from shared.fleetrock.remote.client import FleetrockClient, FleetrockRefused
from shared.ids import utc_now
from shared.observability import logger, metrics

ANSWERED, EMPTY, REFUSED = "answered", "empty", "refused"


class Listing(Model):
    """Repair orders by id as Fleetrock listed them, and when we asked (their state as of then)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    orders: dict[str, dict[str, Any]]
    read_at: datetime
    created_lookup: str


def lookback(integration: IntegrationItem) -> timedelta:
    return timedelta(days=int(integration.lookback_days or DEFAULT_LOOKBACK_DAYS))


def window_end(read_at: datetime) -> datetime:
    """Where the listing's last window ends: the next whole minute after `read_at`. Fleetrock's dates have
    minute precision ("12/03/2026 04:12 PM") and a window's end is exclusive, so ending at `read_at` (or
    its second) missed an order stamped in the current minute when the read came in its first second."""
    return read_at.replace(second=0, microsecond=0) + timedelta(minutes=1)


def list_orders(integration: IntegrationItem, client: FleetrockClient, *, closed_too: bool) -> Listing:
    """Every order Fleetrock lists within the integration's look-back, month by month.

    `closed_too`: also the finished and invoiced ones (the reconcile closes what it holds open)."""
    read_at = utc_now()
    since, until = read_at - lookback(integration), window_end(read_at)
    events = ("started", "finished", "invoiced") if closed_too else ("started",)
    orders: dict[str, dict[str, Any]] = {}
    for event in events:
        for order in client.get_repair_orders(event=event, start=since, end=until):
            orders[str(order["id"])] = order
    outcome = _try_created(integration, client, since, until, orders)
    return Listing(orders=orders, read_at=read_at, created_lookup=outcome)


def _try_created(integration: IntegrationItem, client: FleetrockClient, since: datetime, until: datetime,
                 orders: dict[str, dict[str, Any]]) -> str:
    """GetRO event=created, never seen in public code: used when it answers, recorded either way."""
    try:
        created = client.get_repair_orders(event="created", start=since, end=until)
    except FleetrockRefused as exc:
        outcome = REFUSED
        metrics.add_metric(name="FleetrockCreatedLookupRefused", unit="Count", value=1)
        logger.info("GetRO event=created refused: Not Started orders come by webhook only",
                    extra={"integration_id": integration.integration_id, "error": str(exc)[:200]})
    else:
        outcome = ANSWERED if created else EMPTY
        for order in created:
            orders.setdefault(str(order["id"]), order)
    if outcome != integration.created_lookup:
        integration.created_lookup, integration.created_lookup_at = outcome, utc_now()
        integration_dal.note_created_lookup(integration.integration_id, outcome, integration.created_lookup_at)
    return outcome
