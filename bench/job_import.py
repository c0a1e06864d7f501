"""Bench: CSV import of 1,000 jobs end to end through the jobs handler, against one PutItem per row.

Sets up a fleet with N trucks (assets and VIN claims written with BatchWriteItem, keys from the
same dal functions the API uses) and an ACCEPTED installation partner (the partner logic), then
sends one API Gateway event `POST /jobs/import` (text/csv, N rows, every other row assigned to
the partner) to `functions.jobs.handler.lambda_handler`: parse, validate every row (batched
lookups), one transaction to start the import (record, audit), then BatchWriteItem requests.
After a few untimed imports and floor writes (the handler's imports, connections, DynamoDB
Local's JIT), times rounds of: one import (each a new file); the baseline: the same job items
(and grants) written with one PutItem each; the floor: the same items written with
BatchWriteItem and nothing else (raw boto3, four requests in flight, as `bench.write_bound`
finds best), which bounds the ratio any import can reach on this machine; and, for comparison
only, a row-by-row import that also reads, per row, the VIN's claim and its asset before its
PutItems.
Prints figures; asserts only that every import answered 201 with N jobs.

    .tools/bin/uv run --frozen python -m bench.job_import [--rows 1000] [--runs 3] [--warmup 3]

`python -m bench.write_bound` measures the bound itself, with raw boto3 and 1 to 16 requests in flight.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any, cast

import boto3

from bench.local import local_dynamodb
from bench.write_bound import batch_write
from shared.db import table as table_def

TABLE = "fleetbridge-bench-jobs"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="rounds, each timing ours, the baseline, the floor and "
                        "the row-by-row import once")
    parser.add_argument("--warmup", type=int, default=3, help="untimed imports and floor writes first")
    args = parser.parse_args()
    with local_dynamodb(TABLE) as endpoint:
        run(args, endpoint)


def fleet_and_partner(rows: int) -> tuple[Any, str, list[str]]:
    """The fleet's manager, the partner's ID, and the trucks' VINs."""
    from shared.assets import dal as assets_dal
    from shared.assets.models import AssetItem, VinClaimItem
    from shared.auth.principal import Identity, OrgKind, Principal, Role
    from shared.base_models import Address
    from shared.db.keys import org_pk
    from shared.ids import new_id, utc_now
    from shared.orgs.logic import create_organization
    from shared.orgs.models import OrganizationCreate
    from shared.partners.logic import accept_invitation, invite_partner
    from shared.partners.models import PartnerAccept, PartnerInvite

    def org(kind: OrgKind, name: str, user: str) -> Principal:
        me = create_organization(Identity(user_id=user, email=f"{user}@bench.example"), OrganizationCreate(
            name=name, kind=kind, contact_email=f"{user}@bench.example",
            address=Address(line1="1 Main St", city="Boston", state="MA", zip="02110")), admin_name="Admin")
        return Principal(user_id=user, email=f"{user}@bench.example", org_id=me.organization.org_id,
                         role=Role(me.user.role))

    fleet, vendor = org(OrgKind.FLEET, "Bench Fleet", "usr_bench_fleet"), org(OrgKind.VENDOR, "Bench Inst", "usr_bv")
    invited = invite_partner(fleet, PartnerInvite(email="installs@bench.example"))
    assert invited.token
    partner = accept_invitation(vendor, PartnerAccept(token=invited.token))
    now, vins = utc_now(), [vin(n) for n in range(rows)]
    with AssetItem.batch_write() as batch:
        for n, v in enumerate(vins):
            asset_id = new_id("ast")
            asset = AssetItem(org_pk(fleet.org_id), assets_dal.asset_sk(asset_id), asset_id=asset_id,
                              org_id=fleet.org_id, unit_number=f"T-{n}", kind="truck", vin=v, status="active",
                              created_at=now, updated_at=now, version=1)
            assets_dal.index_status(asset)
            claim = VinClaimItem(org_pk(fleet.org_id), assets_dal.vin_sk(v), asset_id=asset_id, org_id=fleet.org_id)
            assets_dal.set_claim_active(claim, True)
            batch.save(asset)
            batch.save(claim)
    assert partner.partner_id
    return fleet, partner.partner_id, vins


def vin(n: int) -> str:
    from shared.assets.vin import check_digit

    body = f"1FUJGLDR0CL{n:06d}"
    return body[:8] + check_digit(body) + body[9:]


def csv_file(vins: list[str], partner_id: str, run: int) -> str:
    lines = ["kind,vin,title,description,due_date,configuration,assigned_installer_company_id"]
    config = '"{""apn"": ""iot.fleet"", ""report_interval_s"": 30, ""can_bus"": true}"'
    for n, v in enumerate(vins):
        lines.append(f"installation,{v},Install box run {run} #{n},,2031-05-01,{config},"
                     f"{partner_id if n % 2 else ''}")
    return "\r\n".join(lines) + "\r\n"


def run(args: argparse.Namespace, endpoint: str) -> None:
    from dev.apigw import LocalContext, rest_event

    client = boto3.client("dynamodb", endpoint_url=endpoint)
    table_def.create_table(client, TABLE)
    fleet, partner_id, vins = fleet_and_partner(args.rows)
    from functions.jobs.handler import lambda_handler

    claims = {"sub": fleet.user_id, "custom:org_id": fleet.org_id, "custom:role": "manager"}

    def import_once(n: int) -> float:
        event = rest_event("POST", "/jobs/import", claims=claims, headers={"content-type": "text/csv"},
                           body=csv_file(vins, partner_id, n))
        t0 = time.perf_counter()
        result = lambda_handler(event, cast(Any, LocalContext()))
        took = time.perf_counter() - t0
        body = json.loads(result["body"])
        assert result["statusCode"] == 201 and body["created"] == args.rows, result["body"][:500]
        return took

    for n in range(args.warmup):  # imports, connections, and DynamoDB Local's JIT
        import_once(-1 - n)
        put_each(args.rows, fleet, vins, partner_id, batched=True)
    ours: list[float] = []
    baseline: list[float] = []
    floor: list[float] = []
    looked_up: list[float] = []
    for n in range(args.runs):  # one of each per round, so a warming or busy machine weighs on all alike
        ours.append(import_once(n))
        baseline.append(put_each(args.rows, fleet, vins, partner_id))
        floor.append(put_each(args.rows, fleet, vins, partner_id, batched=True))
        looked_up.append(put_each(args.rows, fleet, vins, partner_id, lookups=True))
    print(f"import of {args.rows} CSV rows (every other one ASSIGNED, with its vehicle access grant), "
          f"{args.runs} runs: seconds")
    print(f"{'through the handler (ours): parse, validate, batched writes':62} "
          f"median {statistics.median(ours):6.2f}  min {min(ours):6.2f}  max {max(ours):6.2f}")
    print(f"{'one PutItem per item (baseline; no validation, no audit)':62} "
          f"median {statistics.median(baseline):6.2f}  min {min(baseline):6.2f}  max {max(baseline):6.2f}")
    print(f"{'the same items with BatchWriteItem only (floor; nothing else)':62} "
          f"median {statistics.median(floor):6.2f}  min {min(floor):6.2f}  max {max(floor):6.2f}")
    print(f"{'row by row with its lookups (VIN claim, asset: GetItem each)':62} "
          f"median {statistics.median(looked_up):6.2f}  min {min(looked_up):6.2f}  max {max(looked_up):6.2f}")
    print(f"ratio (baseline median / ours median): {statistics.median(baseline) / statistics.median(ours):.1f}x; "
          f"the most any import could reach here (baseline / floor): "
          f"{statistics.median(baseline) / statistics.median(floor):.1f}x")
    print(f"ratio to the row-by-row import with its lookups (not the goal's baseline): "
          f"{statistics.median(looked_up) / statistics.median(ours):.1f}x")
    print("load average at the end (1/5/15 min): " + " ".join(f"{n:.2f}" for n in os.getloadavg()))


def put_each(rows: int, fleet: Any, vins: list[str], partner_id: str, *, batched: bool = False,
             lookups: bool = False) -> float:
    """The same job items (and grants) as an import makes, each written with its own PutItem, or
    (batched) serialized and sent in BatchWriteItem requests of 25, four in flight; with `lookups`,
    each row first reads what an importer must check, one GetItem at a time: the VIN's claim and
    its asset."""
    from shared.assets import dal as assets_dal
    from shared.assets.models import AssetItem
    from shared.db.keys import org_pk
    from shared.ids import utc_now
    from shared.jobs import building, dal, transitions
    from shared.jobs.models import JobStatus
    from shared.partners.dal import accepted_partner

    partner = accepted_partner(fleet.org_id, partner_id)
    assert partner is not None
    assets = list(AssetItem.query(org_pk(fleet.org_id), AssetItem.sk.startswith("ASSET#")))[:rows]
    now = utc_now()
    items = []
    for n, asset in enumerate(assets):
        item = building.new_job_item(fleet, asset, "installation", {"title": f"Baseline #{n}", "configuration": {
            "apn": "iot.fleet", "report_interval_s": 30, "can_bus": True}, "due_date": "2031-05-01"}, now)
        if n % 2:
            transitions.apply(fleet, item, JobStatus.ASSIGNED, now, partner=partner)
        items.append(item)
    writes = [w for item in items for w in ([item, dal.access_item(item)] if item.partner_org_id else [item])]
    serialized, client = ([w.serialize() for w in writes], boto3.client("dynamodb")) if batched else ([], None)
    t0 = time.perf_counter()
    if lookups:
        for item in items:
            claim = assets_dal.get_vin_claim(fleet.org_id, str(item.vin))
            assert claim is not None and assets_dal.get_asset_item(fleet.org_id, claim.asset_id) is not None
            item.save()
            if item.partner_org_id:
                dal.access_item(item).save()
    elif batched:
        batch_write(client, serialized, 4, TABLE)
    else:
        for write in writes:
            write.save()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
