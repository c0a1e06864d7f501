"""Racing callers on one job: what they get is what some serial order of the same calls gives.

The fleet assigns (to one of two partners), unassigns, edits (with the version it read) and
deletes, while the partners' technicians start, succeed and fail, all at the same moment,
each through its own handler instance, against DynamoDB Local. A pure model of jobs.md's
status machine lists every serial outcome; the real one must be among them, with the job's
history and every organization's audit trail holding exactly the successful calls (no lost
update) and a partner's vehicle access present iff the job is ASSIGNED or RUNNING for it (no
double effect).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api_worker import Request
from tests.concurrency_support import Outcome, Step, audit_actions, explained, keyed, race, request
from tests.conftest import call_api
from tests.factories import create_asset, sign_up
from tests.jobs_support import Setup, act, create_job, make_partner

pytestmark = pytest.mark.usefixtures("dynamodb")

PARTNERS = ("A", "B")
TRANSITIONS = {  # partner action -> (from, to)
    "start": ("ASSIGNED", "RUNNING"),
    "succeed": ("RUNNING", "SUCCEEDED"),
    "fail": ("RUNNING", "FAILED"),
}
HISTORY = {"assign": "assigned", "unassign": "unassigned", "start": "started", "succeed": "succeeded",
           "fail": "failed"}


@dataclass(frozen=True)
class State:
    status: str  # PENDING ... FAILED, or DELETED
    partner: str | None
    version: int
    title: str


def step(state: State, op: tuple[str, str]) -> Step[State]:
    """The model: jobs.md's status machine, with the checks in the order the logic makes them."""
    name, arg = op
    if state.status == "DELETED":
        return Step(state, 404)
    bumped = state.version + 1
    if name in TRANSITIONS:  # a partner's technician; arg: which partner
        if state.partner != arg:
            return Step(state, 404)  # not (or no longer) its job
        source, target = TRANSITIONS[name]
        if state.status != source:
            return Step(state, 409)
        action = HISTORY[name]
        return Step(replace(state, status=target, version=bumped), 200, True,
                    (("fleet", f"job.{action}"), (arg, f"job.{action}")), action)
    if name == "assign":
        if state.status != "PENDING":
            return Step(state, 409)
        return Step(replace(state, status="ASSIGNED", partner=arg, version=bumped), 200, True,
                    (("fleet", "job.assigned"), (arg, "job.assigned")), "assigned")
    if name == "unassign":
        if state.status != "ASSIGNED":
            return Step(state, 409)
        return Step(replace(state, status="PENDING", partner=None, version=bumped), 200, True,
                    (("fleet", "job.unassigned"), (str(state.partner), "job.unassigned")), "unassigned")
    if name == "delete":
        if state.status not in ("PENDING", "ASSIGNED"):
            return Step(state, 409)
        audit = (("fleet", "job.deleted"), *(((state.partner, "job.deleted"),) if state.partner else ()))
        return Step(State("DELETED", None, 0, ""), 204, True, audit)
    # edit: the title, with the version the fleet read before the race
    if state.status != "PENDING" or state.version != int(arg.split("@")[1]):
        return Step(state, 409)
    return Step(replace(state, title=arg.split("@")[0], version=bumped), 200, True, (("fleet", "job.updated"),))


@dataclass(frozen=True)
class World:
    partners: dict[str, Setup]

    @property
    def fleet(self) -> Any:
        return self.partners["A"].fleet

    def partner_key(self, partner_id: str | None) -> str | None:
        return next((k for k, p in self.partners.items() if p.partner_id == partner_id), None)


def call_for(world: World, job_id: str, op: tuple[str, str]) -> Request:
    name, arg = op
    if name in TRANSITIONS:
        tech = world.partners[arg].technician
        body = {"reason": "the box would not power up"} if name == "fail" else None
        return request("POST", f"/partner/jobs/{job_id}/{name}", as_user=tech, json_body=body)
    if name == "assign":
        return request("POST", f"/jobs/{job_id}/assign", as_user=world.fleet,
                                json_body={"partner_id": world.partners[arg].partner_id})
    if name == "unassign":
        return request("POST", f"/jobs/{job_id}/unassign", as_user=world.fleet)
    if name == "delete":
        return request("DELETE", f"/jobs/{job_id}", as_user=world.fleet)
    title, version = arg.split("@")
    return request("PATCH", f"/jobs/{job_id}", as_user=world.fleet,
                            json_body={"title": title, "version": int(version)})


def audit_of(world: World, job_id: str) -> Counter[tuple[str, str]]:
    found = keyed(audit_actions(world.fleet, "job.", {job_id}), "fleet")
    for key, setup in world.partners.items():
        found += keyed(audit_actions(setup.vendor, "job.", {job_id}), key)
    return found


def observe(world: World, job_id: str, asset_id: str) -> tuple[State, tuple[str, ...]]:
    """The job as the fleet sees it, its history, and each partner's access to the vehicle."""
    r = call_api("GET", f"/jobs/{job_id}", as_user=world.fleet)
    if r.status == 404:
        state, history = State("DELETED", None, 0, ""), ()
    else:
        job = r.json()
        state = State(job["status"], world.partner_key(job.get("partner_id")), job["version"], job["title"])
        entries = job["history"]
        assert all(a["to_status"] == b["from_status"] for a, b in pairwise(entries)), \
            "each transition starts where the one before it ended: none was lost"
        history = tuple(e["action"] for e in entries)
    for key, setup in world.partners.items():
        seen = call_api("GET", f"/vehicles/{asset_id}", as_user=setup.technician).status
        has_access = state.partner == key and state.status in ("ASSIGNED", "RUNNING")
        assert seen == (200 if has_access else 404), f"partner {key} reads the vehicle iff its job is open"
    return state, history


def initial_job(world: World, start: str, asset: dict[str, Any]) -> tuple[str, State, tuple[str, ...]]:
    if start == "PENDING":
        job = create_job(world.fleet, asset)
        return job["job_id"], State("PENDING", None, job["version"], job["title"]), ("created",)
    job = create_job(world.fleet, asset, partner_id=world.partners["A"].partner_id)
    if start == "ASSIGNED":
        return job["job_id"], State("ASSIGNED", "A", job["version"], job["title"]), ("created", "assigned")
    r = act(world.partners["A"].technician, job["job_id"], "start")
    assert r.status == 200, r.body
    return job["job_id"], State("RUNNING", "A", r.json()["version"], job["title"]), ("created", "assigned", "started")


def ops_strategy(version: int) -> st.SearchStrategy[list[tuple[str, str]]]:
    partner_op = st.tuples(st.sampled_from(("start", "succeed", "fail", "assign")), st.sampled_from(PARTNERS))
    fleet_op = st.tuples(st.sampled_from(("unassign", "delete")), st.just(""))
    edit = st.tuples(st.just("edit"), st.integers(0, 99).map(lambda n: f"Title {n}@{version}"))
    return st.lists(st.one_of(partner_op, fleet_op, edit), min_size=2, max_size=5)


def test_racing_callers_end_as_some_serial_order_would(dynamodb: Any) -> None:
    fleet = sign_up("fleet", "Race Fleet")
    world = World({"A": make_partner(fleet, "Alpha Installs"), "B": make_partner(fleet, "Beta Installs")})

    @settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(start=st.sampled_from(("PENDING", "ASSIGNED", "RUNNING")), data=st.data())
    def run(start: str, data: st.DataObject) -> None:
        asset = create_asset(world.fleet)
        job_id, initial, history_before = initial_job(world, start, asset)
        ops = data.draw(ops_strategy(initial.version), label="ops")
        before = audit_of(world, job_id)

        answers = race([call_for(world, job_id, op) for op in ops])

        assert all(a.status < 500 for a in answers), [a.body for a in answers]
        final, history = observe(world, job_id, asset["asset_id"])
        added = history[len(history_before):] if final.status != "DELETED" else ()
        observed = Outcome(tuple(a.status for a in answers), tuple(200 <= a.status < 300 for a in answers), final,
                           audit_of(world, job_id) - before, added)
        assert explained(observed, initial, ops, step, compare_history=final.status != "DELETED"), (ops, observed)

    run()
