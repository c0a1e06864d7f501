"""Racing API callers, and the check that what they got is what some serial order would give.

Each racing caller is a warm handler instance in a process of its own (tests/api_worker.py), as
concurrent requests run in AWS; they are released at the same moment, and the race happens where
it does in production: in DynamoDB Local's conditional writes and transactions.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from tests.api_worker import Request, workers
from tests.conftest import ApiResponse, call_api, claims_of

S = TypeVar("S", bound=Hashable)
Op = TypeVar("Op")
MAX_CALLERS = 5


def request(method: str, path: str, *, as_user: Any, json_body: Any = None) -> Request:
    return method, path, claims_of(as_user), json_body, None


def race(requests: Sequence[Request]) -> list[ApiResponse]:
    """Every request at once, each by its own warm instance; the answers in request order."""
    answers = workers(MAX_CALLERS).race(list(requests))
    return [ApiResponse(status=status, headers=headers, body=body) for status, headers, body in answers]


def call_once(req: Request) -> ApiResponse:
    """The same request, made alone in this process (serial runs)."""
    method, path, claims, body, _ = req
    return call_api(method, path, as_user=claims, json_body=body)


@dataclass(frozen=True)
class Step(Generic[S]):
    """What one call does to the model's state: its answer, and what it leaves behind."""

    state: S
    status: int
    changed: bool = False  # False: the answer only (a refusal, or "here is what exists")
    audit: tuple[tuple[str, str], ...] = ()  # (organization key, action) of each audit event it writes
    history: str | None = None  # the history entry it appends, if any


@dataclass(frozen=True)
class Outcome(Generic[S]):
    """A serial run of the calls: answers in call order, final state, audit events, history in order."""

    statuses: tuple[int, ...]
    effective: tuple[bool, ...]
    final: S
    audit: Counter[tuple[str, str]]
    history: tuple[str, ...]


def serial_outcomes(initial: S, ops: Sequence[Op], step: Callable[[S, Op], Step[S]],
                    aborted: frozenset[int] = frozenset()) -> list[Outcome[S]]:
    """The outcome of every serial order of `ops` from `initial` (the model's reachable results).

    The calls in `aborted` are left out of the run: they answer 409 and change nothing.
    """
    outcomes = []
    for order in itertools.permutations([i for i in range(len(ops)) if i not in aborted]):
        state = initial
        statuses: list[int] = [409] * len(ops)
        effective = [False] * len(ops)
        audit: Counter[tuple[str, str]] = Counter()
        history: list[str] = []
        for index in order:
            result = step(state, ops[index])
            statuses[index], effective[index] = result.status, result.changed
            if result.changed:
                state = result.state
                audit.update(result.audit)
                if result.history:
                    history.append(result.history)
        outcomes.append(Outcome(tuple(statuses), tuple(effective), state, audit, tuple(history)))
    return outcomes


def explained(observed: Outcome[S], initial: S, ops: Sequence[Op], step: Callable[[S, Op], Step[S]], *,
              compare_history: bool = True) -> bool:
    """Some serial order of the calls gives the same answers, final state, audit events and history.

    A call that answered 409 may instead have lost a race: it changed nothing, as if it had not
    been made (README: "Two racing requests: one wins, the other gets 409"). So the calls that got
    409 may be left out of the serial order, in any combination.
    """
    losers = [i for i, status in enumerate(observed.statuses) if status == 409]
    for n in range(len(losers) + 1):
        for aborted in itertools.combinations(losers, n):
            outcomes = serial_outcomes(initial, ops, step, frozenset(aborted))
            if not compare_history:  # e.g. a deleted job: its history went with it
                outcomes = [replace(o, history=observed.history) for o in outcomes]
            if observed in outcomes:
                return True
    return False


def audit_actions(user: Any, prefix: str, target_ids: set[str] | None = None) -> Counter[str]:
    """The caller's organization's audit events whose action starts with `prefix`, counted by action."""
    found: Counter[str] = Counter()
    cursor = None
    while True:
        r = call_api("GET", "/audit", as_user=user, query={"limit": 100, **({"cursor": cursor} if cursor else {})})
        assert r.status == 200, r.body
        for event in r.json()["items"]:
            if event["action"].startswith(prefix) and (target_ids is None or event["target_id"] in target_ids):
                found[event["action"]] += 1
        cursor = r.json()["next_cursor"]
        if not cursor:
            return found


def keyed(counter: Counter[str], key: str) -> Counter[tuple[str, str]]:
    return Counter({(key, action): n for action, n in counter.items()})
