"""Racing callers on one connection: what they get is what some serial order of the same calls gives.

Fleet and vendor accept, reject, cancel, disconnect, grant groups and request a (new) connection
at the same moment, each through its own handler instance, against DynamoDB Local. A pure model
of the connection's state machine lists every serial outcome; the real one must be among them,
with exactly one audit event per side and one notification per change (no lost update), the
pair's claim held iff a connection is live, and a group grant present iff it is accepted (no
double effect).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.connections import dal
from tests.api_worker import Request
from tests.concurrency_support import Outcome, Step, audit_actions, call_once, explained, keyed, race, request
from tests.conftest import call_api
from tests.factories import Caller, create_asset, create_group, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")

LIVE = ("pending", "accepted")
OPS = ("accept", "reject", "cancel", "disconnect", "request", "grant")


@dataclass(frozen=True)
class State:
    status: str  # of the connection the race is about
    granted: bool  # its group grant is set
    second_by: str | None = None  # "fleet"/"vendor": who requested a second connection after this one ended


def step(requester: str, state: State, op: tuple[str, str]) -> Step[State]:
    """The model: connections.md's state machine, as the logic orders its checks."""
    name, side = op
    other = "vendor" if side == "fleet" else "fleet"
    to = {"accept": "accepted", "reject": "rejected", "cancel": "cancelled", "disconnect": "disconnected"}.get(name)
    if name in ("accept", "reject", "cancel"):
        if (name == "cancel") != (side == requester):
            return Step(state, 403)  # only the recipient accepts/rejects, only the requester cancels
        if state.status != "pending":
            return Step(state, 409)
    if name == "disconnect" and state.status != "accepted":
        return Step(state, 409)
    if to is not None:
        audit = (("fleet", f"connection.{to}"), ("vendor", f"connection.{to}"), (other, "notification"))
        return Step(replace(state, status=to, granted=state.granted and to == "accepted"), 200, True, audit)
    if name == "grant":  # the fleet sets the groups, sending version 0 (it never saw a grant)
        if state.status != "accepted" or state.granted:
            return Step(state, 409)
        return Step(replace(state, granted=True), 200, True,  # the vendor is told which groups it sees
                    (("fleet", "connection.groups_granted"), ("vendor", "connection.groups_granted"),
                     ("vendor", "notification")))
    live_by = requester if state.status in LIVE else state.second_by  # request: one live connection per pair
    if live_by is None:
        audit = (("fleet", "connection.requested"), ("vendor", "connection.requested"), (other, "notification"))
        return Step(replace(state, second_by=side), 201, True, audit)
    pending = state.status == "pending" if state.status in LIVE else True
    return Step(state, 200 if pending and live_by != side else 409)  # theirs, pending: here it is


@dataclass(frozen=True)
class Pair:
    fleet: Caller
    vendor: Caller
    connection_id: str
    asset_id: str
    group_id: str

    def side(self, name: str) -> Caller:
        return self.fleet if name == "fleet" else self.vendor


def make_pair(requester: str, accepted: bool) -> Pair:
    fleet, vendor = sign_up("fleet", "Race Fleet"), sign_up("vendor", "Race Shop")
    group = create_group(fleet)
    asset = create_asset(fleet, group_ids=[group["group_id"]])
    asking, asked = (fleet, vendor) if requester == "fleet" else (vendor, fleet)
    r = call_api("POST", "/connections", as_user=asking, json_body={"org_id": asked.org_id})
    assert r.status == 201, r.body
    connection_id = r.json()["connection_id"]
    if accepted:
        assert call_api("POST", f"/connections/{connection_id}/accept", as_user=asked).status == 200
    return Pair(fleet, vendor, connection_id, asset["asset_id"], group["group_id"])


def call_for(pair: Pair, op: tuple[str, str]) -> Request:
    name, side = op
    caller, other = pair.side(side), pair.side("vendor" if side == "fleet" else "fleet")
    if name == "request":
        return request("POST", "/connections", as_user=caller, json_body={"org_id": other.org_id})
    if name == "grant":
        return request("PUT", f"/connections/{pair.connection_id}/groups", as_user=pair.fleet,
                                json_body={"group_ids": [pair.group_id], "version": 0})
    return request("POST", f"/connections/{pair.connection_id}/{name}", as_user=caller)


def counts(pair: Pair) -> Counter[tuple[str, str]]:
    """Audit events about connections and notifications, per side."""
    found: Counter[tuple[str, str]] = Counter()
    for side in ("fleet", "vendor"):
        found += keyed(audit_actions(pair.side(side), "connection."), side)
        r = call_api("GET", "/notifications", as_user=pair.side(side), query={"limit": 100})
        found[(side, "notification")] += len(r.json()["items"])
    return found


def observe(pair: Pair) -> State:
    """The state as the API shows it, checking the invariants that tie the items together."""
    r = call_api("GET", "/connections", as_user=pair.fleet, query={"limit": 10})
    connections = {c["connection_id"]: c for c in r.json()["items"]}
    status = connections.pop(pair.connection_id)["status"]
    assert len(connections) <= 1, "at most one more connection: requests racing made one, not two"
    second = next(iter(connections.values()), None)
    second_by = None if second is None else ("fleet" if second["requested_by_org"] == pair.fleet.org_id else "vendor")
    statuses = {pair.connection_id: status, **{c["connection_id"]: c["status"] for c in connections.values()}}
    live = [connection_id for connection_id, st in statuses.items() if st in LIVE]
    assert len(live) <= 1, "one live connection per pair"
    assert dal.live_connection_id(pair.fleet.org_id, pair.vendor.org_id) == (live[0] if live else None), \
        "the pair's claim is held iff a connection is live, by that connection"
    grant = dal.get_grant_item(pair.connection_id)
    assert grant is None or status == "accepted", "a grant outlives its connection"
    seen = call_api("GET", f"/fleets/{pair.fleet.org_id}/assets", as_user=pair.vendor)
    if status == "accepted":
        assert seen.status == 200, seen.body
        assert [a["asset_id"] for a in seen.json()["items"]] == ([pair.asset_id] if grant else [])
    else:
        assert seen.status == 404, "the vendor sees nothing of a fleet it is not connected to"
    return State(status, grant is not None, second_by)


ops_strategy = st.lists(st.tuples(st.sampled_from(OPS), st.sampled_from(("fleet", "vendor"))), min_size=2,
                        max_size=5).map(lambda ops: [(n, "fleet") if n == "grant" else (n, s) for n, s in ops])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requester=st.sampled_from(("fleet", "vendor")), accepted=st.booleans(), ops=ops_strategy)
def test_racing_callers_end_as_some_serial_order_would(requester: str, accepted: bool,
                                                       ops: list[tuple[str, str]]) -> None:
    pair = make_pair(requester, accepted)
    before = counts(pair)
    initial = State("accepted" if accepted else "pending", False)

    answers = race([call_for(pair, op) for op in ops])

    assert all(a.status < 500 for a in answers), [a.body for a in answers]
    final = observe(pair)
    changed = tuple(a.status == 201 or (a.status == 200 and name != "request")  # a 200 to a request: theirs
                    for (name, _), a in zip(ops, answers, strict=True))
    observed = Outcome(tuple(a.status for a in answers), changed, final, counts(pair) - before, ())
    assert explained(observed, initial, ops, lambda s, op: step(requester, s, op)), (ops, observed)


def test_the_model_agrees_with_the_spec_on_a_serial_run() -> None:
    """A plain serial run through the API, checked against the model step by step (the model's own test)."""
    pair = make_pair("fleet", accepted=False)
    state = State("pending", False)
    for op in [("cancel", "vendor"), ("accept", "fleet"), ("accept", "vendor"), ("grant", "fleet"),
               ("grant", "fleet"), ("request", "vendor"), ("disconnect", "vendor"), ("request", "vendor"),
               ("request", "fleet"), ("cancel", "fleet")]:
        expected = step("fleet", state, op)
        got = call_once(call_for(pair, op))
        assert got.status == expected.status, (op, got.body)
        state = expected.state if expected.changed else state
        assert observe(pair) == state
