"""Bench: the live push (#19), from a Fleetrock webhook to the subscriber holding the status_changed
delivery, on `make dev`'s pieces: DynamoDB Local, the stream poller thread at its local cadence, the
webhook over HTTP through the dev server to its handler, the Fleetrock stand-in (applying a webhook
re-reads the order), and make dev's push subscriber (dev/push_subscriber.py: verifies each signature,
answers 200), here also stamping when each delivery arrived.

The path is three stream hops: the inbox item's record applies the webhook (the asset's change and
its push state, one transaction); the push state's record fans the change out (one delivery per
subscription); the delivery's record sends it. The poller waits `poll_interval` after a poll that
found nothing, so a record written while it sleeps waits for the next poll.

1. Latency: N webhooks, each putting another truck In Shop (a bare `ro_id=` hint, as Fleetrock sends
   them), one at a time, 0.5 to 1.5 `--gap` apart (seeded random: they fall at every point of the poll
   cycle, and the one stream consumer is not left with a backlog); from just before each POST to the
   subscriber's receipt of that truck's status_changed: p50, p95, p99, max. Twice: with the poller at
   its local cadence (0.5 s, `make dev`'s) and at `--short` (the baseline, same run), in passes ordered
   short, default, default, short so both see the same machine; their difference is the poller's wait.
   The wait is also measured directly: the poller (unchanged, its polls noted) and the processor (its
   records' arrival noted) give, per record, how long it waited after it was written and how much of
   that the poller slept; the times our items store (the inbox event's received_at, the push state's
   changed_at, the delivery's created_at) split the path into each hop's wait and work.
2. Burst: `--burst` webhooks as fast as one sender can, each opening another repair order on ONE truck
   (each adds a status, so each changes what subscribers see: the push state's signature is the asset
   status, the top status and the set of statuses with their sources); then, once the stream is quiet:
   changes recorded (the push state's final sequence), deliveries received, and whether the last one
   carries the final state. Then the same count for one repair order flipped In Progress / Finished
   `--burst` times on another truck: there the inbox itself collapses updates (one GetRO read serves
   every webhook of the order that arrived before it), before the push coalesces what is left.
Prints figures and ratios; asserts nothing. Absolute times are DynamoDB Local's and this machine's.

    .tools/bin/uv run --frozen python -m bench.push_latency [--webhooks 50] [--gap 1.0] [--short 0.02]
        [--burst 100]
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import random
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import boto3

from bench.local import local_dynamodb, percentile
from dev.fleetrock_standin import FleetrockStandin, sign_base64
from dev.push_subscriber import PushSubscriber
from dev.server import DevApiServer, serve_in_thread
from dev.stream_poller import StreamPoller, default_target
from shared.db import table as table_def
from shared.db.keys import org_pk
from shared.push import signing

TABLE = "fleetbridge-bench"
SECRET = "frwh_bench-secret"
ACCOUNT, API_KEY = "bench", "bench-fleetrock-key"
FLEET = "org_benchpush"
LOCAL_CADENCE = float(StreamPoller.poll_interval)  # `make dev`'s: the poller's default
WARM_UP = 5
QUIET_SECONDS = 2.0  # after the final state arrived: nothing more may come


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--webhooks", type=int, default=50, help="trucks put In Shop per poll interval")
    parser.add_argument("--gap", type=float, default=1.0,
                        help="mean seconds between them (each 0.5 to 1.5 of it: every point of the poll cycle)")
    parser.add_argument("--short", type=float, default=0.02, help="the baseline's poll interval")
    parser.add_argument("--burst", type=int, default=100, help="changes of one asset sent at once (0: none)")
    args = parser.parse_args()
    print(f"load average at the start (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    started = time.monotonic()
    with local_dynamodb(TABLE) as endpoint, tempfile.TemporaryDirectory() as out:
        stack = Stack(endpoint, Path(out), trucks=WARM_UP + 2 * args.webhooks + 2)
        try:
            stack.subscribe()
            latency(stack, args.webhooks, args.gap, args.short)
            if args.burst:
                burst(stack, args.burst)
        finally:
            stack.stop()
    print(f"load average at the end (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"bench took {time.monotonic() - started:.0f} s")


@dataclass
class Arrival:
    perf: float  # time.perf_counter() when the request reached the subscriber
    wall: float  # time.time(), to compare with the times our items store
    delivery_id: str
    body: dict[str, Any]


class Subscriber(PushSubscriber):
    """make dev's push subscriber, stamping each verified delivery's arrival."""

    def __init__(self, out_dir: Path) -> None:
        super().__init__(out_dir, port=0)
        self.arrivals: list[Arrival] = []
        self.arrived = threading.Condition()

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        perf, wall = time.perf_counter(), time.time()
        status = super().receive(headers, body)
        if status == 200:
            delivery_id = {k.lower(): v for k, v in headers.items()}.get(signing.DELIVERY_HEADER.lower(), "")
            with self.arrived:
                if all(a.delivery_id != delivery_id for a in self.arrivals):
                    self.arrivals.append(Arrival(perf, wall, delivery_id, json.loads(body)))
                self.arrived.notify_all()
        return status

    def changes(self, asset_id: str | None = None) -> list[Arrival]:
        """The status_changed deliveries received (for one asset), in arrival order."""
        with self.arrived:
            return [a for a in self.arrivals if a.body.get("type") == "status_changed"
                    and asset_id in (None, a.body.get("asset_id"))]


class TimedPoller(StreamPoller):
    """The stream poller unchanged, noting each poll (start, end, records handled) in `polls`: a poll
    that handled nothing is followed by `poll_interval` of sleep, the poller's wait."""

    polls: list[tuple[float, float, int]]

    def __post_init__(self) -> None:
        super().__post_init__()
        self.polls = []

    def poll_once(self) -> int:
        start = time.time()
        handled = super().poll_once()
        self.polls.append((start, time.time(), handled))
        return handled


@dataclass
class Stack:
    """The pieces, set up once; `poller()` restarts the stream poller at another interval."""

    endpoint: str
    out_dir: Path
    trucks: int
    standin: FleetrockStandin = field(init=False)
    server: DevApiServer = field(init=False)
    subscriber: Subscriber = field(init=False)
    integration_id: str = field(init=False)
    subscription_id: str = field(init=False)
    assets: list[tuple[str, str]] = field(init=False)  # (asset_id, vin), handed out in order
    reached: dict[tuple[str, str], float] = field(default_factory=dict, init=False)  # record key -> first at processor
    polls: list[tuple[float, float, int]] = field(default_factory=list, init=False)  # every poller's, in order
    _poller: TimedPoller | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        table_def.create_table(boto3.client("dynamodb", endpoint_url=self.endpoint), TABLE)
        self.standin = FleetrockStandin(accounts={ACCOUNT: API_KEY}).start()
        self.seed()
        self.server = DevApiServer(("127.0.0.1", 0))
        serve_in_thread(self.server)
        self.subscriber = Subscriber(self.out_dir)
        self.subscriber.start()

    def seed(self) -> None:
        """One fleet, an active integration and its trucks with VIN claims (unmeasured set-up, before the
        poller starts: the stream does not see these writes, so no unit sync runs)."""
        from shared.assets.models import AssetItem, VinClaimItem
        from shared.fleetrock.integration import dal as integration_dal
        from shared.fleetrock.integration.credentials import encrypt_api_key, encrypt_webhook_secret
        from shared.fleetrock.integration.models import IntegrationItem
        from shared.ids import new_id, utc_now

        self.integration_id, now = new_id("int"), utc_now()
        self.assets = [(f"ast_p{n:06d}", f"1BENCHP{n:010d}") for n in range(self.trucks)]
        with AssetItem.batch_write() as batch:
            integration = IntegrationItem(
                integration_dal.integration_pk(self.integration_id), integration_dal.SK,
                integration_id=self.integration_id, org_id=FLEET, login_url=self.standin.url, username=ACCOUNT,
                api_key_ciphertext=encrypt_api_key(API_KEY, self.integration_id),
                webhook_secret_ciphertext=encrypt_webhook_secret(SECRET, self.integration_id), default_group="G",
                status="active", created_at=now, updated_at=now, activated_at=now, version=1)
            integration_dal.index(integration)
            batch.save(integration)
            for n, (asset_id, vin) in enumerate(self.assets):
                asset = AssetItem(org_pk(FLEET), f"ASSET#{asset_id}", asset_id=asset_id, org_id=FLEET,
                                  unit_number=f"P-{n}", kind="truck", vin=vin, status="active", created_at=now,
                                  updated_at=now, version=1)
                asset.gsi1pk, asset.gsi1sk = f"ORG#{FLEET}#ASSETS#active", f"ASSET#{asset_id}"
                batch.save(asset)
                batch.save(VinClaimItem(org_pk(FLEET), f"VIN#{vin}", asset_id=asset_id, org_id=FLEET, active=True))

    def take(self, n: int) -> list[tuple[str, str]]:
        taken, self.assets = self.assets[:n], self.assets[n:]
        return taken

    def poller(self, interval: float) -> TimedPoller:
        """The stream poller thread as `make dev` starts it, polling every `interval` s when idle."""
        self.stop_poller()
        poller = cast(TimedPoller, TimedPoller.from_settings(start_position="LATEST", poll_interval=interval,
                                                             target=self.processor))
        poller.polls = self.polls
        poller.poll_once()  # the shards' iterators at LATEST: every record from now on
        poller.start()
        self._poller = poller
        return poller

    def processor(self, event: dict[str, Any], context: Any) -> Any:
        """The stream processor Lambda (dev.stream_poller's default target), noting when each record reached it."""
        now = time.time()
        for record in event["Records"]:
            keys = record["dynamodb"]["Keys"]
            self.reached.setdefault((keys["pk"]["S"], keys["sk"]["S"]), now)
        return default_target(event, context)

    def slept(self, written: float, reached: float) -> float:
        """How much of [written, reached] the poller spent asleep: the part of the sleep before the poll that
        delivered the record (that sleep follows a poll that handled nothing) after the record was written."""
        index = bisect.bisect_right(self.polls, reached, key=lambda p: p[0]) - 1  # the poll that delivered it
        if index < 1 or self.polls[index - 1][2]:
            return 0.0
        return max(0.0, self.polls[index][0] - max(written, self.polls[index - 1][1]))

    def stop_poller(self) -> None:
        if self._poller is not None:
            self._poller.stop()
            if self._poller.dead_letters:
                print(f"!! {sum(len(d.records) for d in self._poller.dead_letters)} stream record(s) "
                      f"dead-lettered: {[d.reason for d in self._poller.dead_letters]}")
            self._poller = None

    def subscribe(self) -> None:
        """The fleet's subscription to the subscriber, created as make dev's seed does; active once the
        stream delivered its verification."""
        from shared.auth.principal import Principal, Role
        from shared.push import subscriptions
        from shared.push.models import SubscriptionCreate, SubscriptionStatus

        self.poller(LOCAL_CADENCE)
        admin = Principal(user_id="usr_bench", email="bench@fleetbridge.example", org_id=FLEET,
                          role=Role.CUSTOMER_ADMIN)
        created = subscriptions.create(admin, SubscriptionCreate(url=self.subscriber.url, description="bench"))
        self.subscriber.secrets.append(created.secret)
        self.subscription_id = created.subscription_id
        deadline = time.monotonic() + 30
        while subscriptions.get(admin, created.subscription_id).status is not SubscriptionStatus.ACTIVE:
            if time.monotonic() > deadline:
                raise RuntimeError("the subscription was not verified within 30 s")
            time.sleep(0.1)

    def webhook(self, ro_id: str, vin: str, status: str) -> tuple[float, float, str]:
        """The order changes in Fleetrock, then Fleetrock's bare hint is POSTed to our webhook endpoint:
        (perf_counter and time.time() just before the POST, the inbox event id)."""
        self.standin.put_repair_order({"id": ro_id, "vin": vin, "status": status})
        payload = self.standin.bare_body(ro_id)
        url = f"{self.server.url}/webhooks/fleetrock/{self.integration_id}"
        perf, wall = time.perf_counter(), time.time()
        code, answer = self.standin.post_webhook(url, SECRET, payload, signature=sign_base64(SECRET, payload),
                                                 content_type="application/x-www-form-urlencoded",
                                                 header="X-Signature")
        if code != 202:
            raise RuntimeError(f"webhook answered {code}: {answer}")
        return perf, wall, str(json.loads(answer)["event_id"])

    def stop(self) -> None:
        self.stop_poller()
        self.subscriber.stop()
        self.server.shutdown()
        self.standin.stop()


@dataclass
class Sent:
    asset_id: str
    perf: float
    wall: float
    event_id: str


def one_pass(stack: Stack, interval: float, trucks: list[tuple[str, str]], gap: float,
             rng: random.Random) -> list[tuple[Sent, Arrival]]:
    """Each truck In Shop by its own repair order, one webhook at a time, 0.5 to 1.5 gaps apart (so the
    webhooks fall at every point of the poller's cycle); (sent, arrived) per truck."""
    stack.poller(interval)
    sent = []
    for asset_id, vin in trucks:
        perf, wall, event_id = stack.webhook(f"RO-{asset_id}", vin, "In Progress")
        sent.append(Sent(asset_id, perf, wall, event_id))
        time.sleep(gap * rng.uniform(0.5, 1.5))
    wanted = {s.asset_id for s in sent}
    deadline = time.monotonic() + 120
    with stack.subscriber.arrived:
        while not wanted <= {a.body["asset_id"] for a in stack.subscriber.changes()}:
            if not stack.subscriber.arrived.wait(max(0.0, deadline - time.monotonic())):
                raise RuntimeError(f"not every truck's change arrived within 120 s (poll {interval} s)")
    first: dict[str, Arrival] = {}
    for arrival in stack.subscriber.changes():
        first.setdefault(arrival.body["asset_id"], arrival)
    extra = sum(1 for a in stack.subscriber.changes() if a.body["asset_id"] in wanted) - len(wanted)
    if extra:
        print(f"!! {extra} more status_changed deliveries than trucks in the pass at {interval} s")
    return [(s, first[s.asset_id]) for s in sent]


SEGMENTS = (
    "webhook -> 202 (the inbox event's received_at)",
    "hop 1: inbox record written -> at the processor",
    "       its work: sample, GetRO, the change's tx",
    "hop 2: push state written -> at the processor",
    "       its work: the fan-out (deliveries' tx)",
    "hop 3: delivery written -> at the processor",
    "       its work: claim, sign, POST, received",
)


@dataclass
class Trace:
    """One change's path (ms): the segments above, the poller's sleep in each hop, the total."""

    segments: list[float]
    slept: list[float]
    total: float


def path_of(stack: Stack, sent: Sent, arrival: Arrival) -> Trace:
    """The path split at the times our items store (received_at, changed_at, created_at) and at each record's
    arrival at the stream processor; the times are stamped before each write, so a write's own time is in
    the wait that follows it."""
    from shared.fleetrock.inbox import dal as inbox_dal
    from shared.push.dal import changes as changes_dal
    from shared.push.dal import deliveries as deliveries_dal

    event = inbox_dal.get_event(stack.integration_id, sent.event_id)
    delivery = deliveries_dal.get_item(stack.subscription_id, arrival.delivery_id)
    if event is None or delivery is None:
        raise RuntimeError(f"no inbox event or delivery for {sent.asset_id}")
    written = [event.received_at.timestamp(), datetime.fromisoformat(arrival.body["occurred_at"]).timestamp(),
               delivery.created_at.timestamp()]  # the inbox item, the push state (changed_at), the delivery
    keys = [(inbox_dal.inbox_pk(stack.integration_id, sent.event_id), inbox_dal.SK),
            (org_pk(FLEET), changes_dal.state_sk(sent.asset_id)),
            (deliveries_dal.delivery_pk(stack.subscription_id), deliveries_dal.delivery_sk(arrival.delivery_id))]
    reached = [stack.reached[k] for k in keys]
    marks = [sent.wall, written[0], reached[0], written[1], reached[1], written[2], reached[2], arrival.wall]
    return Trace([(b - a) * 1000 for a, b in itertools.pairwise(marks)],
                 [stack.slept(w, r) * 1000 for w, r in zip(written, reached, strict=True)],
                 (arrival.perf - sent.perf) * 1000)


def figures(samples: list[float]) -> str:
    return (f"{statistics.median(samples):8.0f} {percentile(samples, 95):8.0f} {percentile(samples, 99):8.0f} "
            f"{max(samples):8.0f}")


def latency(stack: Stack, webhooks: int, gap: float, short: float) -> None:
    rng = random.Random(19)
    one_pass(stack, short, stack.take(WARM_UP), gap, rng)  # warm-up: imports, clients, DynamoDB Local's JIT
    half = webhooks // 2
    order = [(short, half), (LOCAL_CADENCE, half), (LOCAL_CADENCE, webhooks - half), (short, webhooks - half)]
    results: dict[float, list[tuple[Sent, Arrival]]] = {short: [], LOCAL_CADENCE: []}
    for interval, n in order:  # short, default, default, short: both see the same machine, on average
        results[interval] += one_pass(stack, interval, stack.take(n), gap, rng)
    stack.stop_poller()
    paths = {i: [path_of(stack, s, a) for s, a in pairs] for i, pairs in results.items()}
    totals = {i: [p.total for p in found] for i, found in paths.items()}
    slept = {i: [sum(p.slept) for p in found] for i, found in paths.items()}
    print(f"\nwebhook -> status_changed at the subscriber: {webhooks} trucks put In Shop, one webhook every "
          f"{gap / 2:g}-{gap * 1.5:g} s, per poll interval; 3 stream hops")
    print(f"{'ms':48} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    for interval in (LOCAL_CADENCE, short):
        label = f"poll {interval} s" + (" (make dev's cadence)" if interval == LOCAL_CADENCE else " (baseline)")
        print(f"{label:48} {figures(totals[interval])}")
    ours, base = totals[LOCAL_CADENCE], totals[short]
    wait = [percentile(ours, p) - percentile(base, p) for p in (50, 95, 99)]
    print(f"{'difference: the poller wait, by two runs':48} {wait[0]:8.0f} {wait[1]:8.0f} {wait[2]:8.0f}")
    for interval in (LOCAL_CADENCE, short):
        print(f"{f'the poller asleep on the path, poll {interval} s':48} {figures(slept[interval])}")
    ratios = ", ".join(f"p{p} {percentile(ours, p) / percentile(base, p):.2f}x" for p in (50, 95, 99))
    share = statistics.median(w / t for w, t in zip(slept[LOCAL_CADENCE], ours, strict=True))
    print(f"ratio {LOCAL_CADENCE} s / {short} s: {ratios}; asleep / latency at {LOCAL_CADENCE} s: median {share:.0%}; "
          f"goal p99 < 5000 ms at {LOCAL_CADENCE} s: {'met' if percentile(ours, 99) < 5000 else 'NOT met'}"
          + (f" (p99 of {len(ours)} samples is their maximum)" if percentile(ours, 99) == max(ours) else ""))
    print(f"\nby segment, p50 / p95 ms (asleep: of the hop's wait){'':2} {'poll ' + str(LOCAL_CADENCE) + ' s':>17} "
          f"{'poll ' + str(short) + ' s':>17}")
    for n, name in enumerate(SEGMENTS):
        cols = [[p.segments[n] for p in paths[i]] for i in (LOCAL_CADENCE, short)]
        print(f"{name:48} " + " ".join(f"{statistics.median(c):8.0f} {percentile(c, 95):8.0f}" for c in cols))
        if n in (1, 3, 5):
            cols = [[p.slept[n // 2] for p in paths[i]] for i in (LOCAL_CADENCE, short)]
            print(f"{'         of which the poller asleep':48} "
                  + " ".join(f"{statistics.median(c):8.0f} {percentile(c, 95):8.0f}" for c in cols))


def settled(stack: Stack, asset_id: str, event_ids: list[str], timeout: float = 180.0) -> Any:
    """Wait until every event is applied and the asset's push state (if any) is published with its final
    sequence arrived, then QUIET_SECONDS with nothing new; the push state item (None: nothing recorded)."""
    from shared.fleetrock.inbox import dal as inbox_dal
    from shared.push.dal import changes as changes_dal

    deadline = time.monotonic() + timeout
    pending = list(event_ids)
    while True:
        pending = [e for e in pending if (i := inbox_dal.get_event(stack.integration_id, e)) is None
                   or i.applied_at is None]
        state = changes_dal.get_item(FLEET, asset_id)
        got = stack.subscriber.changes(asset_id)
        if time.monotonic() > deadline:
            events = [inbox_dal.get_event(stack.integration_id, e) for e in pending]
            raise RuntimeError(
                f"the stream was not quiet within {timeout} s for {asset_id}: events not applied "
                f"{[(e.status, e.last_error) if e else None for e in events][:5]} ({len(pending)}); push state "
                f"{(state.status, int(state.sequence)) if state else None}; sequences received "
                f"{[a.body['sequence'] for a in got]}")
        if not pending and (state is None or (state.status == changes_dal.PUBLISHED and any(
                a.body["sequence"] == int(state.sequence) for a in got))):
            time.sleep(QUIET_SECONDS)
            again = changes_dal.get_item(FLEET, asset_id)
            if len(stack.subscriber.changes(asset_id)) == len(got) and (again and int(again.sequence)) == (
                    state and int(state.sequence)):
                return state
        time.sleep(0.2)


def burst(stack: Stack, count: int) -> None:
    stack.poller(LOCAL_CADENCE)
    print(f"\nburst: {count} webhooks about one truck as fast as one sender can, poll {LOCAL_CADENCE} s")
    for label, flip in (("a new repair order each (In Progress)", False),
                        ("one repair order, In Progress / Finished in turn", True)):
        [(asset_id, vin)] = stack.take(1)
        event_ids, started = [], time.perf_counter()
        for n in range(count):
            if flip:
                ro_id, status = f"RO-{asset_id}", "In Progress" if n % 2 == 0 else "Finished"
            else:
                ro_id, status = f"RO-{asset_id}-{n}", "In Progress"
            event_ids.append(stack.webhook(ro_id, vin, status)[2])
        sent_for = time.perf_counter() - started
        state = settled(stack, asset_id, event_ids)
        reads = sum(1 for call, params in stack.standin.calls
                    if call == "GetRO" and str(params.get("id", "")).startswith(f"RO-{asset_id}"))
        print(f"{label}: sent in {sent_for:.1f} s; GetRO reads {reads}")
        report(stack, asset_id, vin, count, state, started)
    stack.stop_poller()


def report(stack: Stack, asset_id: str, vin: str, count: int, state: Any, started: float) -> None:
    """N changes -> M deliveries, and whether what the subscriber holds last is the asset's final state."""
    got = sorted(stack.subscriber.changes(asset_id), key=lambda a: a.body["sequence"])
    changes = int(state.sequence) if state is not None else 0
    deliveries = f"{len(got)} deliver{'y' if len(got) == 1 else 'ies'}"
    ratio = f" (coalescing {changes / len(got):.1f}:1; {count / len(got):.1f} webhooks a delivery)" if got else ""
    print(f"  {count} webhooks -> {changes} changes recorded -> {deliveries}{ratio}")
    open_orders = {o["id"] for o in stack.standin.repair_orders.values()
                   if o.get("vin") == vin and o["status"] == "In Progress"}
    if state is None or not got:
        print(f"  nothing {'recorded' if state is None else 'delivered'}; Fleetrock has {len(open_orders)} open "
              f"order(s) on the truck: {'as the truck was' if not open_orders else 'NOT what subscribers have'}")
        return
    last = got[-1]
    final = signature(state.state)
    held = {s["source_id"] for s in (state.state or {}).get("statuses", [])}
    arrival_order = [a.body["sequence"] for a in stack.subscriber.changes(asset_id)]
    chain = all(signature(b.body["previous"]) == signature(a.body["current"]) for a, b in itertools.pairwise(got))
    no_ops = sum(1 for a in got if signature(a.body["previous"]) == signature(a.body["current"]))
    carries = "yes" if signature(last.body["current"]) == final else "NO"
    first = min(a.perf for a in got)
    print(f"  first delivery after {first - started:.1f} s, the final state after {last.perf - started:.1f} s from "
          f"the first send; last delivery: sequence "
          f"{last.body['sequence']} of {changes}, carries the final state: {carries}; "
          f"the final state is Fleetrock's ({len(open_orders)} open order(s)): "
          f"{'yes' if held == open_orders else 'NO'}")
    print(f"  sequences delivered: {', '.join(str(a.body['sequence']) for a in got[:20])}"
          + (" ..." if len(got) > 20 else ""))
    print(f"  arrived in sequence order: {'yes' if arrival_order == sorted(arrival_order) else 'NO'}; each "
          f"previous = the one before's current: {'yes' if chain else 'NO'}; deliveries whose previous = current "
          f"(nothing a subscriber sees changed): {no_ops}")


def signature(state: dict[str, Any] | None) -> str:
    """What a subscriber sees of an asset's state (AssetState.signature); "" for none."""
    from shared.maintenance.public import AssetState

    return AssetState.model_validate(state).signature() if state else ""


if __name__ == "__main__":
    main()
