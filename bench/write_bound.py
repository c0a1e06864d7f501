"""Bench: how far batching can beat one PutItem per item on this machine's DynamoDB Local.

The CSV import's goal is a ratio to one PutItem per row. Whatever an import does besides writing,
it cannot be faster than writing its items with BatchWriteItem and nothing else, so
PutItem-each / BatchWriteItem bounds its ratio. This bench measures that bound with raw boto3
(no PynamoDB, no validation) for three item shapes, so the bound is seen not to come from our
items' size, and with 1 and 4 requests in flight (`--in-flight`), so it is seen not to come from waiting:

- import: 1,500 items as a 1,000-row import writes them (jobs built by the import's own
  functions, every other one ASSIGNED with its vehicle access grant);
- index keys: the same items' table and index keys only;
- keys: their table keys only.

Then the least any import must also do before writing: read the 1,000 rows' VIN claims (which
asset holds each VIN) with BatchGetItem, 100 keys per request, 4 in flight; the bound for an
import that checks its VINs is PutItem-each / (that read + the best BatchWriteItem).

Each shape: `--rounds` rounds of new items per method, the first dropped (the JVM warms up);
prints the median seconds, milliseconds per item, the CPU time DynamoDB Local's process and ours
used, and the ratio PutItem-each / BatchWriteItem.

    .tools/bin/uv run --frozen python -m bench.write_bound [--rounds 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import boto3

from bench.local import local_dynamodb
from shared.db import table as table_def

TABLE = "fleetbridge-bench-bound"
ROWS = 1000
BATCH = 25

Item = dict[str, Any]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6, help="rounds per method and shape (the first dropped)")
    parser.add_argument("--in-flight", default="1,4", help="BatchWriteItem requests in flight, comma-separated")
    args = parser.parse_args()
    in_flight = [int(n) for n in args.in_flight.split(",")]
    with local_dynamodb(TABLE) as endpoint:
        client = boto3.client("dynamodb", endpoint_url=endpoint)
        table_def.create_table(client, TABLE)
        java = _java_pid(endpoint)
        claim_keys = write_claims(client)
        print(f"{ROWS} rows = {len(import_items())} items; median of {args.rounds - 1} rounds; "
              "CPU seconds: DynamoDB Local's process / ours")
        for shape, cut in (("import", _whole), ("index keys", _index_keys), ("keys", _keys)):
            each = measure(args.rounds, java, cut, partial(put_each, client))
            batched = {n: measure(args.rounds, java, cut, partial(batch_write, client, in_flight=n))
                       for n in in_flight}
            for label, (took, per, java_cpu, ours_cpu) in (("PutItem each", each), *(
                    (f"BatchWriteItem, {n} in flight", m) for n, m in batched.items())):
                print(f"{shape:10} {label:28} {took:5.2f} s  {per:5.2f} ms/item  cpu {java_cpu:5.2f} / "
                      f"{ours_cpu:4.2f}")
            best = min(m[0] for m in batched.values())
            print(f"{shape:10} bound (PutItem each / best BatchWriteItem): {each[0] / best:.1f}x")
            if shape == "import":
                read = measure(args.rounds, java, _whole, lambda _: read_claims(client, claim_keys))[0]
                print(f"{shape:10} {'read 1,000 VIN claims':28} {read:5.2f} s; bound for an import that checks its "
                      f"VINs (PutItem each / (read + best BatchWriteItem)): {each[0] / (read + best):.1f}x")
        print("load average at the end (1/5/15 min): " + " ".join(f"{n:.2f}" for n in os.getloadavg()))


def measure(rounds: int, java: int, cut: Callable[[Item], Item],
            write: Callable[[list[Item]], None]) -> tuple[float, float, float, float]:
    """Median wall seconds, ms per item, and CPU seconds of DynamoDB Local and of this process."""
    samples, count = [], 0
    for n in range(rounds):
        items = [cut(i) for i in import_items()]
        java0, ours0, t0 = _cpu(java), time.process_time(), time.perf_counter()
        write(items)
        took = time.perf_counter() - t0
        if n:
            samples.append((took, _cpu(java) - java0, time.process_time() - ours0))
        count = len(items)
    took, java_cpu, ours_cpu = (statistics.median(s) for s in zip(*samples, strict=True))
    return took, took / count * 1000, java_cpu, ours_cpu


def put_each(client: Any, items: list[Item]) -> None:
    for item in items:
        client.put_item(TableName=TABLE, Item=item)


def batch_write(client: Any, items: list[Item], in_flight: int, table: str = TABLE) -> None:
    """BatchWriteItem requests of 25, `in_flight` at a time, unprocessed items sent again."""
    def write(group: list[Item]) -> None:
        requests = [{"PutRequest": {"Item": i}} for i in group]
        while requests:
            answer = client.batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])

    groups = [items[n:n + BATCH] for n in range(0, len(items), BATCH)]
    with ThreadPoolExecutor(in_flight) as pool:
        list(pool.map(write, groups))


def write_claims(client: Any) -> list[Item]:
    """A fleet's 1,000 VIN claims, as the asset code writes them; their keys."""
    from shared.assets import dal as assets_dal
    from shared.assets.models import VinClaimItem
    from shared.db.keys import org_pk
    from shared.ids import new_id

    claims = []
    for n in range(ROWS):
        claim = VinClaimItem(org_pk("org_bench_fleet"), assets_dal.vin_sk(f"1FUJGLDR0CL{n:06d}"),
                             asset_id=new_id("ast"), org_id="org_bench_fleet")
        assets_dal.set_claim_active(claim, True)
        claims.append(claim.serialize())
    batch_write(client, claims, 4)
    return [_keys(c) for c in claims]


def read_claims(client: Any, keys: list[Item]) -> None:
    def read(group: list[Item]) -> None:
        wanted: dict[str, Any] = {TABLE: {"Keys": group}}
        while wanted:
            wanted = client.batch_get_item(RequestItems=wanted).get("UnprocessedKeys") or {}

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(read, [keys[n:n + 100] for n in range(0, len(keys), 100)]))


def import_items() -> list[Item]:
    """New jobs of a 1,000-row import, built by the import's functions, every other one ASSIGNED
    (with its grant), serialized as they are sent."""
    from shared.assets.models import AssetItem
    from shared.auth.principal import Principal, Role
    from shared.ids import new_id, utc_now
    from shared.jobs import building, dal, transitions
    from shared.jobs.models import JobStatus
    from shared.partners.models import PartnerRecord, PartnerStatus

    now, import_id = utc_now(), new_id("imp")
    fleet = Principal(user_id="usr_bench_fleet", email="fleet@bench.example", org_id="org_bench_fleet",
                      role=Role.MANAGER)
    partner = PartnerRecord(invitation_id="inv_bench", fleet_id=fleet.org_id, fleet_name="Bench Fleet",
                            email="installs@bench.example", status=PartnerStatus.ACCEPTED, allow_override=False,
                            partner_org_id="org_bench_partner", partner_id="BN4CH", partner_name="Bench Inst",
                            created_at=now, updated_at=now, version=1)
    items: list[Item] = []
    for n in range(ROWS):
        asset = AssetItem(asset_id=new_id("ast"), vin=f"1FUJGLDR0CL{n:06d}")
        job = building.new_job_item(fleet, asset, "installation", {
            "title": f"Install box #{n}", "due_date": "2031-05-01",
            "configuration": {"apn": "iot.fleet", "report_interval_s": 30, "can_bus": True}}, now,
            building.JobOrigin(import_id=import_id))
        if n % 2:
            transitions.apply(fleet, job, JobStatus.ASSIGNED, now, partner=partner)
        job.version = 1
        items += [job.serialize(), *([dal.access_item(job).serialize()] if n % 2 else [])]
    return items


def _whole(item: Item) -> Item:
    return item


def _index_keys(item: Item) -> Item:
    return {k: v for k, v in item.items() if k in table_def.key_attribute_names()}


def _keys(item: Item) -> Item:
    return {k: item[k] for k in (table_def.PARTITION_KEY, table_def.SORT_KEY)}


def _java_pid(endpoint: str) -> int:
    """DynamoDB Local's process: the java child listening on the endpoint's port."""
    port = endpoint.rsplit(":", 1)[1]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"-port" in cmdline and cmdline[cmdline.index(b"-port") + 1].decode() == port:
                return int(pid)
    raise RuntimeError("DynamoDB Local's process was not found")


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
