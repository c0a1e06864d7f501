"""Bench: vendor search by ZIP + radius (geohash cells on gsi1) against a Scan-and-filter baseline.

Loads N vendor profiles (default 100,000) spread over the US: sampled ZIP centroids of the
continental US with a little jitter (dense cities, empty plains, like real vendors), or uniform
points in the continental bounding box (`--spread box`). Each is an OrgItem with its geo keys set
by the same code sign-up uses (shared.orgs.location.locate_vendor), written with BatchWriteItem.
Then times the first page (20) of searches from several ZIPs at radii 25/50/100/250 miles through
the logic function the route calls (shared.search.logic.search_vendors: geo queries, connection
marks), and a Scan-and-filter baseline in the same run (fewer runs: each reads the whole table),
checking that both find the same vendors in the same order.
Prints figures; asserts nothing.

    .tools/bin/uv run --frozen python -m bench.vendor_search [--vendors 100000] [--runs 240] [--spread zips|box]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

from bench.local import local_dynamodb, percentile
from shared.db import table as table_def

TABLE = "fleetbridge-bench"
# the continental US (lower 48) bounding box
LAT_MIN, LAT_MAX, LNG_MIN, LNG_MAX = 24.5, 49.4, -124.8, -66.9
SEARCH_ZIPS = ("02110", "10001", "60601", "30303", "77002", "80202", "94103", "59701")
RADII = (25, 50, 100, 250)
LOAD_THREADS = 4
SERVICES = ("preventive maintenance", "brakes", "tires", "telematics installation", "diesel", "electrical")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vendors", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=240, help="timed searches (ours), spread over ZIPs and radii")
    parser.add_argument("--baseline-runs", type=int, default=4, help="timed Scan-and-filter searches")
    parser.add_argument("--spread", choices=("zips", "box"), default="zips")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    with local_dynamodb(TABLE) as endpoint:
        run(args, endpoint)


def vendor_points(count: int, spread: str, rng: random.Random) -> list[tuple[float, float]]:
    if spread == "box":
        return [(rng.uniform(LAT_MIN, LAT_MAX), rng.uniform(LNG_MIN, LNG_MAX)) for _ in range(count)]
    import zipcodes

    centroids = []
    for record in zipcodes.list_all():
        try:
            lat, lng = float(record["lat"]), float(record["long"])
        except (TypeError, ValueError):
            continue
        if LAT_MIN <= lat <= LAT_MAX and LNG_MIN <= lng <= LNG_MAX:
            centroids.append((lat, lng))
    points = []
    for _ in range(count):  # a ZIP centroid, moved up to ~2 miles
        lat, lng = rng.choice(centroids)
        points.append((lat + rng.uniform(-0.03, 0.03), lng + rng.uniform(-0.03, 0.03)))
    return points


def load(points: list[tuple[float, float]], rng: random.Random) -> None:
    from shared.ids import new_id, utc_now
    from shared.orgs.location import locate_vendor
    from shared.orgs.models import OrgItem

    now = utc_now()
    items = []
    for n, (lat, lng) in enumerate(points):
        org_id = new_id("org")
        item = OrgItem(
            f"ORG#{org_id}", "PROFILE", org_id=org_id, name=f"Vendor {n}", kind="vendor",
            address={"line1": f"{n} Main St", "city": "Town", "state": "KS", "zip": "66002", "lat": lat, "lng": lng},
            contact_email=f"shop{n}@vendor.example", services_offered=rng.sample(SERVICES, 2),
            partner_id=f"{n:05d}"[-5:], created_at=now, updated_at=now, version=1,
        )
        locate_vendor(item)
        items.append(item)

    def write(chunk: list[Any]) -> None:
        with OrgItem.batch_write() as batch:
            for item in chunk:
                batch.save(item)

    size = math.ceil(len(items) / LOAD_THREADS)
    with ThreadPoolExecutor(LOAD_THREADS) as pool:
        list(pool.map(write, [items[i : i + size] for i in range(0, len(items), size)]))


def run(args: argparse.Namespace, endpoint: str) -> None:
    from shared.auth.principal import Principal, Role
    from shared.geo.geohash import haversine_miles
    from shared.geo.zips import centroid
    from shared.search.logic import search_vendors

    client = boto3.client("dynamodb", endpoint_url=endpoint)
    table_def.create_table(client, TABLE)
    rng = random.Random(args.seed)
    start = time.perf_counter()
    load(vendor_points(args.vendors, args.spread, rng), rng)
    took = time.perf_counter() - start
    print(f"loaded {args.vendors} vendors ({args.spread}) with BatchWriteItem in {took:.1f} s "
          f"({args.vendors / took:.0f} items/s)")

    fleet = Principal(user_id="usr_bench", org_id="org_bench_fleet", role=Role.MANAGER)
    combos = [(z, r) for r in RADII for z in SEARCH_ZIPS]

    def ours(zip_code: str, radius: int) -> list[str]:
        return [hit.org_id for hit in search_vendors(fleet, zip_code, radius, 20, None).items]

    def scan_and_filter(zip_code: str, radius: int) -> list[str]:
        center = centroid(zip_code)
        assert center is not None
        found: list[tuple[float, str]] = []
        kwargs: dict[str, Any] = {
            "TableName": TABLE,
            "FilterExpression": "#t = :org AND kind = :vendor AND attribute_exists(lat)",
            "ProjectionExpression": "org_id, lat, lng",
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": {":org": {"S": "org"}, ":vendor": {"S": "vendor"}},
        }
        while True:
            page = client.scan(**kwargs)
            for raw in page["Items"]:
                d = haversine_miles(*center, float(raw["lat"]["N"]), float(raw["lng"]["N"]))
                if d <= radius:
                    found.append((d, raw["org_id"]["S"]))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [org_id for _, org_id in sorted(found)[:20]]

    for zip_code, radius in combos:  # warm up: JIT, connections, ZIP data
        ours(zip_code, radius)
    by_radius: dict[int, list[float]] = {r: [] for r in RADII}
    for n in range(args.runs):
        zip_code, radius = combos[n % len(combos)]
        t0 = time.perf_counter()
        ours(zip_code, radius)
        by_radius[radius].append((time.perf_counter() - t0) * 1000)
    baseline: list[float] = []
    for n in range(args.baseline_runs):
        zip_code, radius = combos[(n * 9) % len(combos)]  # other ZIPs and radii in turn
        t0 = time.perf_counter()
        scanned = scan_and_filter(zip_code, radius)
        baseline.append((time.perf_counter() - t0) * 1000)
        assert scanned == ours(zip_code, radius), f"the two ways disagree for {zip_code} / {radius} mi"

    all_ours = [s for samples in by_radius.values() for s in samples]
    print(f"first page (20) of a search from {len(SEARCH_ZIPS)} ZIPs   {'runs':>5} {'p50 ms':>8} {'p99 ms':>8}")
    for radius, samples in by_radius.items():
        label = f"geo cells on gsi1 (ours), {radius} mi"
        print(f"{label:45} {len(samples):5} {statistics.median(samples):8.1f} {percentile(samples, 99):8.1f}")
    print(f"{'geo cells on gsi1 (ours), all radii':45} {len(all_ours):5} {statistics.median(all_ours):8.1f} "
          f"{percentile(all_ours, 99):8.1f}")
    print(f"{'Scan and filter (baseline), all radii':45} {len(baseline):5} {statistics.median(baseline):8.1f} "
          f"{percentile(baseline, 99):8.1f}")
    print(f"ratio (baseline p50 / ours p50): {statistics.median(baseline) / statistics.median(all_ours):.0f}x; "
          f"(baseline p50 / ours p99): {statistics.median(baseline) / percentile(all_ours, 99):.0f}x")
    print("load average at the end (1/5/15 min): " + " ".join(f"{n:.2f}" for n in os.getloadavg()))


if __name__ == "__main__":
    main()
