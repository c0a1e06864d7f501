"""Bench: Fleetrock webhook accept latency (p50/p99) and throughput on the local dev server,
against a bare PutItem of the same inbox item as the baseline, in the same run; then 202 ->
status applied (p50/p99), the stream's work including the GetRO re-read from the stand-in.

The webhook path is HTTP -> dev server -> handler (integration GetItem, HMAC check, conditional
PutItem) -> 202. "202 -> applied" is each event's `applied_at - received_at` as the inbox records
them, with the stream poller running (it polls every 0.1 s here; Lambda's stream polling adds its
own delay in AWS). Absolute times are DynamoDB Local's and this machine's; the ratio carries over.
Prints figures; asserts nothing.

    .tools/bin/uv run --frozen python -m bench.webhook_accept [--requests 1000] [--threads 4] [--applied 100]
        [--gap 0.3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from datetime import UTC, datetime

import boto3

from bench.local import local_dynamodb, percentile
from shared.db import table as table_def

TABLE = "fleetbridge-bench"
SECRET = "frwh_bench-secret"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--applied", type=int, default=100, help="webhooks timed from 202 to applied")
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between them (Fleetrock's pace, not a burst)")
    args = parser.parse_args()
    with local_dynamodb(TABLE) as endpoint:
        run(args.requests, args.threads, endpoint)
        applied(args.applied, args.gap, endpoint)


def body(n: int, tag: str) -> bytes:
    order = {"id": f"RO-{n}", "vin": "1FUJGLDR4CL000001", "unit_number": "T-1", "status": "In Progress",
             "date_started": "03/01/2026 08:00 AM", "tasks": []}
    return json.dumps({"event": "repair_order.updated", "event_id": f"evt-{tag}-{n}",
                       "sent_at": datetime.now(UTC).isoformat(), "data": order}).encode()


def run(requests: int, threads: int, endpoint: str) -> None:
    from dev.fleetrock_standin import sign
    from dev.server import DevApiServer, serve_in_thread
    from shared.fleetrock.integration import dal as integration_dal
    from shared.fleetrock.integration.credentials import encrypt_api_key, encrypt_webhook_secret
    from shared.fleetrock.integration.models import IntegrationItem
    from shared.ids import new_id, utc_now

    client = boto3.client("dynamodb", endpoint_url=endpoint)
    table_def.create_table(client, TABLE)
    integration_id, now = new_id("int"), utc_now()
    item = IntegrationItem(integration_dal.integration_pk(integration_id), integration_dal.SK,
                           integration_id=integration_id, org_id="org_bench", login_url="http://127.0.0.1:9",
                           username="u", api_key_ciphertext=encrypt_api_key("k" * 12, integration_id),
                           webhook_secret_ciphertext=encrypt_webhook_secret(SECRET, integration_id),
                           default_group="G", status="active", created_at=now, updated_at=now)
    integration_dal.index(item)
    item.save()
    server = DevApiServer(("127.0.0.1", 0))
    serve_in_thread(server)
    host, port = server.server_address[:2]
    path = f"/webhooks/fleetrock/{integration_id}"

    def post(conn: http.client.HTTPConnection, payload: bytes) -> float:
        start = time.perf_counter()
        conn.request("POST", path, body=payload, headers={"Content-Type": "application/json",
                                                          "X-Fleetrock-Signature": sign(SECRET, payload)})
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 202:
            raise RuntimeError(f"webhook answered {response.status}")
        return elapsed

    conn = http.client.HTTPConnection(str(host), port)
    for n in range(50):  # warm-up: cold start, connections
        post(conn, body(n, "warm"))
    ours = [post(conn, body(n, "lat")) for n in range(requests)]

    from dev.apigw import LocalContext, rest_event
    from functions.fleetrock_webhook.handler import lambda_handler

    def invoke(payload: bytes) -> float:
        """The handler as Lambda runs it (what Lambda bills and API Gateway waits for), no HTTP hop."""
        headers = {"content-type": "application/json", "x-fleetrock-signature": sign(SECRET, payload)}
        event = rest_event("POST", path, headers=headers, body=payload.decode())
        start = time.perf_counter()
        result = lambda_handler(event, LocalContext())  # type: ignore[arg-type]
        elapsed = (time.perf_counter() - start) * 1000
        if result["statusCode"] != 202:
            raise RuntimeError(f"webhook answered {result['statusCode']}")
        return elapsed

    in_process = [invoke(body(n, "inproc")) for n in range(requests)]

    def baseline_put(n: int) -> float:
        raw = body(n, "base").decode()
        start = time.perf_counter()
        client.put_item(TableName=TABLE, Item={
            "pk": {"S": f"BENCH#{n}"}, "sk": {"S": "EVENT"}, "type": {"S": "bench"}, "body": {"S": raw},
            "status": {"S": "pending"}}, ConditionExpression="attribute_not_exists(pk)")
        return (time.perf_counter() - start) * 1000

    for n in range(50):
        baseline_put(-n - 1)
    base = [baseline_put(n) for n in range(requests)]

    done = [0]
    lock = threading.Lock()

    def worker(t: int) -> None:
        c = http.client.HTTPConnection(str(host), port)
        for n in range(requests // threads):
            post(c, body(n, f"tp{t}"))
            with lock:
                done[0] += 1

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    throughput = done[0] / (time.perf_counter() - start)
    server.shutdown()

    print(f"{'webhook accept, ' + str(requests) + ' requests':44} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'POST /webhooks/fleetrock/{id} -> 202 (ours)':44} {statistics.median(ours):8.1f} "
          f"{percentile(ours, 99):8.1f}")
    print(f"{'the handler in process, as Lambda runs it':44} {statistics.median(in_process):8.1f} "
          f"{percentile(in_process, 99):8.1f}")
    print(f"{'bare conditional PutItem (baseline)':44} {statistics.median(base):8.1f} {percentile(base, 99):8.1f}")
    print(f"ratio ours / baseline: p50 {statistics.median(ours) / statistics.median(base):.1f}x, "
          f"p99 {percentile(ours, 99) / percentile(base, 99):.1f}x; in process: p50 "
          f"{statistics.median(in_process) / statistics.median(base):.1f}x, "
          f"p99 {percentile(in_process, 99) / percentile(base, 99):.1f}x")
    print(f"throughput, {threads} threads: {throughput:.0f} webhooks/s (one handler instance, as one warm Lambda)")


def applied(count: int, gap: float, endpoint: str) -> None:
    """202 -> applied: bare `ro_id=` webhooks for orders of real assets; the stream re-reads each order."""
    from dev.fleetrock_standin import FleetrockStandin, sign_base64
    from dev.server import DevApiServer, serve_in_thread
    from dev.stream_poller import StreamPoller
    from shared.assets.models import AssetItem, VinClaimItem
    from shared.db.keys import org_pk
    from shared.fleetrock.inbox import dal as inbox_dal
    from shared.fleetrock.integration import dal as integration_dal
    from shared.fleetrock.integration.credentials import encrypt_api_key, encrypt_webhook_secret
    from shared.fleetrock.integration.models import IntegrationItem
    from shared.ids import new_id, utc_now

    standin = FleetrockStandin(accounts={"bench": "bench-fleetrock-key"}).start()
    org, integration_id, now = "org_benchapplied", new_id("int"), utc_now()
    vins = [f"1BENCHA{n:010d}" for n in range(count)]
    with AssetItem.batch_write() as batch:  # set-up, unmeasured: one fleet, its trucks and VIN claims
        integration = IntegrationItem(
            integration_dal.integration_pk(integration_id), integration_dal.SK, integration_id=integration_id,
            org_id=org, login_url=standin.url, username="bench",
            api_key_ciphertext=encrypt_api_key("bench-fleetrock-key", integration_id),
            webhook_secret_ciphertext=encrypt_webhook_secret(SECRET, integration_id), default_group="G",
            status="active", created_at=now, updated_at=now, activated_at=now, version=1)
        integration_dal.index(integration)
        batch.save(integration)
        for n, vin in enumerate(vins):
            asset_id = f"ast_a{n:06d}"
            asset = AssetItem(org_pk(org), f"ASSET#{asset_id}", asset_id=asset_id, org_id=org, unit_number=f"A-{n}",
                              kind="truck", vin=vin, status="active", created_at=now, updated_at=now, version=1)
            asset.gsi1pk, asset.gsi1sk = f"ORG#{org}#ASSETS#active", f"ASSET#{asset_id}"
            batch.save(asset)
            batch.save(VinClaimItem(org_pk(org), f"VIN#{vin}", asset_id=asset_id, org_id=org, active=True))
    poller = StreamPoller(table_name=TABLE, endpoint_url=endpoint, region="us-east-1", start_position="LATEST",
                          poll_interval=0.1)
    poller.poll_once()
    poller.start()
    server = DevApiServer(("127.0.0.1", 0))
    serve_in_thread(server)
    url = f"{server.url}/webhooks/fleetrock/{integration_id}"
    event_ids = []
    for n, vin in enumerate(vins):
        standin.put_repair_order({"id": f"RO-A{n}", "vin": vin, "status": "In Progress"})
        payload = standin.bare_body(f"RO-A{n}")
        status, answer = standin.post_webhook(url, SECRET, payload, signature=sign_base64(SECRET, payload),
                                              content_type="application/x-www-form-urlencoded", header="X-Signature")
        if status != 202:
            raise RuntimeError(f"webhook answered {status}: {answer}")
        event_ids.append(json.loads(answer)["event_id"])
        time.sleep(gap)  # one at a time, as Fleetrock sends them
    deadline = time.monotonic() + 180
    latencies: list[float] = []
    while time.monotonic() < deadline and not latencies:
        items = [inbox_dal.get_event(integration_id, e) for e in event_ids]
        if all(i is not None and i.applied_at is not None for i in items):
            latencies = [(i.applied_at - i.received_at).total_seconds() * 1000 for i in items
                         if i is not None and i.applied_at is not None]
        else:
            time.sleep(0.5)
    poller.stop()
    server.shutdown()
    standin.stop()
    reads = sum(1 for call, params in standin.calls if call == "GetRO" and "id" in params)
    if not latencies:
        raise RuntimeError("not every event was applied within 180 s")
    print(f"{'202 -> applied, ' + str(count) + ' bare webhooks':44} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'received -> applied (poll 0.1 s, GetRO, tx)':44} {statistics.median(latencies):8.1f} "
          f"{percentile(latencies, 99):8.1f}")
    print(f"GetRO-by-id reads: {reads} for {count} events")


if __name__ == "__main__":
    main()
