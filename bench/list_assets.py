"""Bench: listing a fleet's assets by status (Query on gsi1) against a Scan-and-filter baseline.

Both run in the same process against the same DynamoDB Local and data, so the ratio means
something even though absolute times depend on the machine. Prints figures; asserts nothing.

    .tools/bin/uv run --frozen python -m bench.list_assets [--fleets 20] [--assets-per-fleet 1000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import boto3

from bench.local import local_dynamodb, percentile
from shared.db import table as table_def


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fleets", type=int, default=20)
    parser.add_argument("--assets-per-fleet", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    with local_dynamodb("fleetbridge-bench") as endpoint:
        run(args.fleets, args.assets_per_fleet, args.runs, endpoint)


def run(fleets: int, per_fleet: int, runs: int, endpoint: str) -> None:
    from shared.assets.dal import index_status, list_asset_items
    from shared.assets.models import AssetItem, AssetStatus
    from shared.ids import new_id, utc_now

    table_def.create_table(boto3.client("dynamodb", endpoint_url=endpoint), "fleetbridge-bench")
    start = time.perf_counter()
    now = utc_now()
    org_ids = [new_id("org") for _ in range(fleets)]
    with AssetItem.batch_write() as batch:
        for org_id in org_ids:
            for n in range(per_fleet):
                asset_id = new_id("ast")
                item = AssetItem(
                    f"ORG#{org_id}",
                    f"ASSET#{asset_id}",
                    asset_id=asset_id,
                    org_id=org_id,
                    unit_number=f"U{n}",
                    kind="truck",
                    vin=f"VIN{n:014d}",
                    status="in_shop" if n % 20 == 0 else "active",
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
                index_status(item)
                batch.save(item)
    total = fleets * per_fleet
    print(f"loaded {total} assets in {fleets} fleets in {time.perf_counter() - start:.1f} s")

    target = org_ids[fleets // 2]
    client = boto3.client("dynamodb", endpoint_url=endpoint)

    def query() -> object:
        return list_asset_items(target, status=AssetStatus.IN_SHOP, kind=None, limit=50, cursor=None).items

    def scan_and_filter() -> object:
        found: list[dict[str, object]] = []
        kwargs: dict[str, object] = {
            "TableName": "fleetbridge-bench",
            "FilterExpression": "org_id = :o AND #s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":o": {"S": target}, ":s": {"S": "in_shop"}},
        }
        while len(found) < 50:
            page = client.scan(**kwargs)
            found += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:50]

    assert len(query()) == len(scan_and_filter())  # type: ignore[arg-type]
    q = timed(query, runs)
    s = timed(scan_and_filter, max(5, runs // 10))
    print(f"{'list in_shop assets of one fleet':40} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'Query on gsi1 (ours)':40} {statistics.median(q):8.1f} {percentile(q, 99):8.1f}")
    print(f"{'Scan and filter (baseline)':40} {statistics.median(s):8.1f} {percentile(s, 99):8.1f}")
    print(f"ratio (baseline p50 / ours p50): {statistics.median(s) / statistics.median(q):.0f}x")


if __name__ == "__main__":
    main()
