"""Bench: the daily maintenance refresh of N fleets x M assets, against DynamoDB Local and the Fleetrock stand-in.

For each size, in a fresh table: every fleet has an active integration (its own Fleetrock account
on one stand-in, which answers each account with its own repair orders), M assets, a tenth of
them with an Upcoming maintenance item past its due date (Overdue after the refresh), two open
repair orders of which Fleetrock has since finished one (a missed webhook), one open repair
order we never heard of, and an active push subscription. Then the scheduled run writes the
tasks (timed), and each task is run by the stream processor's work function (`run_task_record`,
what the router calls for the task's INSERT; the stream transport itself is left out):
  baseline  the first B fleets one at a time (one Lambda batch working its records in order);
  parallel  the other fleets by W workers at once (concurrent batches: shards x parallelization factor).
Prints time per fleet for both and their ratio; asserts nothing. Absolute times are DynamoDB
Local's and this 2-core machine's (the stand-in and the workers share one Python process).

    .tools/bin/uv run --frozen python -m bench.maintenance_refresh [--fleets 10,100,1000] [--assets 100]
        [--big-fleet 1000] [--baseline 10] [--workers 4]
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from bench.local import local_dynamodb, percentile
from dev.fleetrock_standin import FleetrockStandin

TABLE = "fleetbridge-bench"
EASTERN = ZoneInfo("America/New_York")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fleets", default="10,100,1000", help="fleet counts, comma-separated")
    parser.add_argument("--assets", type=int, default=100, help="assets per fleet in the fleet-count runs")
    parser.add_argument("--big-fleet", type=int, default=1000, help="assets of the one-large-fleet run (0: none)")
    parser.add_argument("--baseline", type=int, default=10, help="fleets run one at a time")
    parser.add_argument("--workers", type=int, default=4, help="fleets run at once in the parallel part")
    args = parser.parse_args()
    with local_dynamodb(TABLE) as endpoint:
        standin = PartitionedStandin()
        standin.start()
        try:
            sizes = [(int(n), args.assets) for n in args.fleets.split(",")]
            if args.big_fleet:
                sizes.insert(0, (1, args.big_fleet))
            print(f"{'fleets':>6} {'assets':>6} {'seed s':>7} {'schedule s':>10} {'base s/fleet':>12} "
                  f"{'base p99':>8} {'par s/fleet':>11} {'par wall s':>10} {'ratio':>6}  outcome")
            run_size(endpoint, standin, 2, 5, 1, 1, show=False)  # warm-up: imports, clients, first connections
            for fleets, assets in sizes:
                run_size(endpoint, standin, fleets, assets, min(args.baseline, fleets), args.workers)
        finally:
            standin.stop()


class PartitionedStandin(FleetrockStandin):
    """The stand-in, answering GetRO with the calling account's repair orders only (Fleetrock's tenants)."""

    def _find_repair_orders(self, query: dict[str, str]) -> list[dict[str, Any]]:
        return [o for o in super()._find_repair_orders(query) if o.get("account") == query.get("username")]


def run_size(endpoint: str, standin: PartitionedStandin, fleets: int, assets: int, baseline: int, workers: int,
             *, show: bool = True) -> None:
    from shared.fleetrock.refresh import dal as refresh_dal
    from shared.fleetrock.refresh import refresh
    from shared.fleetrock.refresh import run as refresh_run
    from shared.fleetrock.refresh.models import RefreshTaskItem

    client = boto3.client("dynamodb", endpoint_url=endpoint)
    fresh_table(client)
    standin.repair_orders.clear()
    started = time.perf_counter()
    seed(standin, fleets, assets)
    seeded = time.perf_counter() - started

    at = datetime.now(EASTERN).replace(hour=5, minute=0, second=0, microsecond=0).astimezone(UTC)
    started = time.perf_counter()
    run = refresh.schedule_refresh(at)
    scheduled = time.perf_counter() - started
    assert run.created == fleets, run
    tasks = [t for shard in range(refresh_dal.DUE.shards) for t in RefreshTaskItem.query(
        refresh_dal.DUE.partition(shard), index_name="gsi3")]
    images = [{"type": "maintenance_refresh_task", "status": "pending", "integration_id": t.integration_id,
               "run_date": t.run_date} for t in tasks]

    def timed(image: dict[str, Any]) -> float:
        start = time.perf_counter()
        refresh_run.run_task_record(image)
        return time.perf_counter() - start

    base = [timed(image) for image in images[:baseline]]
    rest = images[baseline:]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(timed, rest))
    wall = time.perf_counter() - started
    if not show:
        return
    outcome = summary(tasks)
    base_mean = statistics.mean(base)
    par = wall / len(rest) if rest else float("nan")
    print(f"{fleets:>6} {assets:>6} {seeded:>7.1f} {scheduled:>10.2f} {base_mean:>12.3f} "
          f"{percentile(base, 99):>8.3f} {par:>11.3f} {wall:>10.1f} {par / base_mean:>6.2f}  {outcome}", flush=True)


def fresh_table(client: Any) -> None:
    from shared.db import table as table_def

    if TABLE in client.list_tables()["TableNames"]:
        client.delete_table(TableName=TABLE)
    table_def.create_table(client, TABLE)


def seed(standin: PartitionedStandin, fleets: int, assets: int) -> None:
    """Write the fleets' items in batches (unmeasured set-up, not the app's write path)."""
    from shared.assets.models import AssetItem, VinClaimItem
    from shared.db.keys import org_pk
    from shared.fleetrock.inbox import sources_dal
    from shared.fleetrock.inbox.models import RepairOrderItem
    from shared.fleetrock.integration import dal as integration_dal
    from shared.fleetrock.integration.credentials import encrypt_api_key, encrypt_webhook_secret
    from shared.fleetrock.integration.models import IntegrationItem
    from shared.ids import new_id, utc_now
    from shared.maintenance import dal as maintenance_dal
    from shared.maintenance.models import AssetMaintenanceItem
    from shared.push.models import PushSubscriptionItem

    now = utc_now()
    past_due = (datetime.now(EASTERN).date() - timedelta(days=1)).isoformat()
    with AssetItem.batch_write() as batch:
        for f in range(fleets):
            org, integration_id, account = f"org_bench{f:05d}", new_id("int"), f"fleet{f:05d}"
            standin.add_account(account, f"key-{account}")
            integration = IntegrationItem(
                integration_dal.integration_pk(integration_id), integration_dal.SK, integration_id=integration_id,
                org_id=org, login_url=standin.url, username=account,
                api_key_ciphertext=encrypt_api_key(f"key-{account}", integration_id),
                webhook_secret_ciphertext=encrypt_webhook_secret("frwh_bench", integration_id),
                default_group="G", status="active", created_at=now, updated_at=now, activated_at=now, version=1)
            integration_dal.index(integration)
            batch.save(integration)
            batch.save(PushSubscriptionItem(org_pk(org), f"PUSHSUB#psub_{f}", subscription_id=f"psub_{f}",
                                            fleet_id=org, url="http://127.0.0.1:9/hook", status="active",
                                            secret="unused", created_by="bench", created_at=now, updated_at=now))
            for a in range(assets):
                asset_id, vin = f"ast_{f:05d}_{a:05d}", f"1BENCH{f:05d}{a:06d}"
                asset = AssetItem(org_pk(org), f"ASSET#{asset_id}", asset_id=asset_id, org_id=org,
                                  unit_number=f"T-{a}", kind="truck" if a % 3 else "trailer", vin=vin,
                                  status="active", created_at=now, updated_at=now, version=1)
                asset.gsi1pk, asset.gsi1sk = f"ORG#{org}#ASSETS#active", f"ASSET#{asset_id}"
                batch.save(asset)
                if a < 3:  # the repair orders' assets: matched by VIN
                    batch.save(VinClaimItem(org_pk(org), f"VIN#{vin}", asset_id=asset_id, org_id=org, active=True))
                if a % 10 == 5:  # Upcoming, due yesterday: Overdue after the refresh
                    cause = {"status": "upcoming", "source": "scheduled_maintenance", "source_id": f"SM-{a}",
                             "detail": "PM A", "due_date": past_due, "since": now.isoformat()}
                    batch.save(AssetMaintenanceItem(org_pk(org), maintenance_dal.maintenance_sk(asset_id), org_id=org,
                                                    asset_id=asset_id, causes={f"SM#SM-{a}": cause},
                                                    top_status="upcoming", computed_at=now, version=1))
            for n, status in ((1, "In Progress"), (2, "Not Started")):  # ours, open
                ro = RepairOrderItem(sources_dal.ro_partition(integration_id), f"RO-{f}-{n}",
                                     integration_id=integration_id, org_id=org, ro_id=f"RO-{f}-{n}",
                                     vin=f"1BENCH{f:05d}{n - 1:06d}", status=status, as_of=now - timedelta(days=2),
                                     asset_id=f"ast_{f:05d}_{n - 1:05d}", version=1)
                sources_dal.index_open(ro, True)
                batch.save(ro)
            updated = (datetime.now(EASTERN) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
            for n, status in ((1, "In Progress"), (2, "Finished"), (3, "Not Started")):  # Fleetrock's view
                standin.put_repair_order({"id": f"RO-{f}-{n}", "account": account, "vin": f"1BENCH{f:05d}{n - 1:06d}",
                                          "status": status, "date_updated": updated})


def summary(tasks: list[Any]) -> str:
    from shared.fleetrock.refresh import dal as refresh_dal

    done = [refresh_dal.get_item(t.integration_id, t.run_date) for t in tasks]
    statuses = {s: sum(1 for t in done if t is not None and t.status == s) for s in ("succeeded", "retrying", "failed")}
    results = [t.result for t in done if t is not None and t.result]
    totals = {k: sum(r[k] for r in results) for k in ("closed", "applied", "changed", "deliveries")}
    return " ".join(f"{k}={v}" for k, v in {**statuses, **totals}.items() if v)


if __name__ == "__main__":
    main()
