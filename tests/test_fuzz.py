"""Schemathesis against the dev server's own OpenAPI: every operation, as every role (and as a portal
session, and as Fleetrock with good and bad signatures), with generated valid and invalid input that
often carries real ids of the caller's and of another tenant. No 5xx, no answer outside its own
documented schema, and the other tenant's items end the run exactly as they started.

`make test` runs a bounded, reproducible number of examples per operation; `make fuzz` sets
FUZZ_EXAMPLES higher and draws new examples on every run. A failure becomes a plain regression
test (tests/test_fuzz_regressions.py) and a fix."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dev import tokens
from dev.fleetrock_standin import sign
from shared.auth.permissions import PERMISSIONS, Action
from shared.auth.principal import Role
from tests.fleetrock_support import envelope
from tests.routes import all_routes
from tests.world import World, build_world, changes_to, dump_table

pytestmark = pytest.mark.usefixtures("dynamodb")
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 0)
ALLOWED_EXAMPLES = FUZZ_EXAMPLES or 10  # per operation and role allowed to use it
FORBIDDEN_EXAMPLES = max(1, ALLOWED_EXAMPLES // 6)  # the role check comes first: little to find past it
ROLES = ("customer", "customer_admin", "manager", "vendor", "vendor_admin")
# (negative_data_rejection is left out: a nullable query parameter "negated" into [] or {} is sent as
# `?cursor=` or not at all, a valid request, so it reports noise rather than bugs)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# body and query fields that name an object: the fuzzer sends real ids there too
ID_FIELDS = {"asset_id": "<asset_id>", "truck_id": "<asset_id>", "trailer_id": "<asset_id>",
             "customer_id": "<customer_id>", "primary_customer_id": "<customer_id>", "site_id": "<site_id>",
             "template_id": "<template_id>", "partner_id": "<partner_id>", "partner": "<partner_id>",
             "service_id": "<service_id>", "org_id": "<org_id>"}
ID_LISTS = {"group_ids": "<group_id>", "asset_ids": "<asset_id>", "site_ids": "<site_id>", "job_ids": "<job_id>"}
# naming another org (POST /connections) or its service ID (POST /service-connections) is how tenants meet: a
# request that notifies the other side by design (the isolation sweep lists why); those get the caller's own ids
MEETING_FIELDS = {"org_id", "service_id"}


def hypothesis_settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, derandomize=not FUZZ_EXAMPLES,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def real_ids(*worlds: World) -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {}
    for world in worlds:
        for name, ids in world.ids.items():
            pools.setdefault(name, []).extend(ids)
    return pools


def with_real_ids(case: Case, data: st.DataObject, pools: dict[str, list[str]], own: dict[str, list[str]]) -> None:
    """Swap generated ids for real ones (the caller's or the other tenant's) most of the time."""

    def pick(placeholder: str, generated: Any, ids: dict[str, list[str]] = pools) -> Any:
        return data.draw(st.sampled_from([generated, *ids[placeholder]]))

    for name, value in (case.path_parameters or {}).items():
        case.path_parameters[name] = pick(f"<{name}>", value)
    containers: list[Any] = [case.query, case.body]
    for container in containers:
        if not isinstance(container, dict):
            continue
        for key in list(container):
            if key in ID_FIELDS:
                container[key] = pick(ID_FIELDS[key], container[key], own if key in MEETING_FIELDS else pools)
            elif key in ID_LISTS:
                container[key] = data.draw(st.lists(st.sampled_from(pools[ID_LISTS[key]]), max_size=2)
                                           | st.just(container[key]))
            elif key == "version":
                container[key] = data.draw(st.sampled_from([container[key], 1, 2, 3]))


def strategy_for(operation: Any) -> st.SearchStrategy[tuple[Case, bool]]:
    """Valid input (True: real ids may go in) and invalid input (False: left exactly as generated)."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE).map(lambda c: (c, True))]
    with contextlib.suppress(Exception):  # an operation with nothing to make invalid has no negative strategy
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE).map(lambda c: (c, False)))
    return st.one_of(strategies)


def explain(exc: BaseException) -> str:
    """The failure, with what a group (schemathesis, a flaky Hypothesis run) holds inside."""
    inner = getattr(exc, "exceptions", ())
    return "\n".join([str(exc), *(explain(e) for e in inner)])


def fuzz(operation: Any, examples: int, base_url: str, headers: dict[str, str],
         pools: tuple[dict[str, list[str]], dict[str, list[str]]], session: requests.Session) -> str | None:
    """Run `examples` generated requests; the first failure (with a curl command to replay it) or None."""

    @given(generated=strategy_for(operation), data=st.data())
    @hypothesis_settings(examples)
    def run(generated: tuple[Case, bool], data: st.DataObject) -> None:
        case, valid = generated
        if valid:
            with_real_ids(case, data, *pools)
        response = case.call(base_url=base_url, session=session, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{case.as_curl_command(headers=headers, base_url=base_url)}") from exc

    try:
        run()
    except (AssertionError, BaseExceptionGroup, requests.RequestException) as exc:  # schemathesis: a group
        return f"{operation.method.upper()} {operation.path} ({headers.get('Authorization', '')[:20]}…): {explain(exc)}"
    return None


def fuzz_webhook(base_url: str, world: World, session: requests.Session) -> str | None:
    """Fleetrock's webhook takes raw bytes: generated envelopes and garbage, signed right, wrong or not at all."""
    integration_id = world.first("<integration_id>")
    payloads = st.one_of(
        st.builds(lambda e, d: envelope(e, d), st.sampled_from(["test", "repair_order.updated", "pm.due", "x"]),
                  st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                               lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                               max_leaves=8)),
        st.binary(max_size=200))

    @given(body=payloads, signing=st.sampled_from(["right", "wrong", "none"]),
           target=st.sampled_from([integration_id, "int_nope", "x" * 65]))
    @hypothesis_settings(ALLOWED_EXAMPLES * 3)
    def run(body: bytes, signing: str, target: str) -> None:
        headers = {"Content-Type": "application/json"}
        if signing != "none":
            headers["X-Fleetrock-Signature"] = sign(world.webhook_secret if signing == "right" else "wrong", body)
        r = session.post(f"{base_url}/webhooks/fleetrock/{target}", data=body, headers=headers)
        assert r.status_code < 500, (r.status_code, r.text, body)
        assert r.headers["content-type"].startswith("application/json"), r.headers
        if signing != "right" and target == integration_id:
            assert r.status_code == 401, (r.status_code, r.text)

    try:
        run()
    except (AssertionError, BaseExceptionGroup) as exc:
        return f"POST /webhooks/fleetrock/{{integration_id}}: {exc}"
    return None


def bearer(caller: Any) -> dict[str, str]:
    token = tokens.mint(caller.user_id, org_id=caller.org_id, role=caller.role, email=caller.email)
    return {"Authorization": f"Bearer {token}"}


def identities(requirement: Any, actor: World) -> list[tuple[dict[str, str], int]]:
    """(headers, examples) for each way of calling a route that its requirement names."""
    if requirement == "portal_session":
        return [({"Authorization": f"Bearer {actor.portal_session}"}, ALLOWED_EXAMPLES)]
    if requirement == "portal_link":
        return [({"Authorization": f"Bearer {actor.portal_link}"}, ALLOWED_EXAMPLES)]
    if requirement == "signed_in":
        newcomer = tokens.mint("usr_fuzz_newcomer", email="newcomer@fuzz.example")
        return [({"Authorization": f"Bearer {newcomer}"}, ALLOWED_EXAMPLES),
                (bearer(actor.callers["customer"]), FORBIDDEN_EXAMPLES)]
    assert isinstance(requirement, Action), requirement
    return [(bearer(actor.callers[role]),
             ALLOWED_EXAMPLES if requirement in PERMISSIONS[Role(role)] else FORBIDDEN_EXAMPLES) for role in ROLES]


HALVES = 2  # the operations in two halves, one per test file: `make test` runs them on both cores at once


def test_fuzz_every_operation_as_every_role_first_half(dev_server, fleetrock):
    fuzz_half(dev_server, fleetrock, 0)


def fuzz_half(dev_server, fleetrock, half: int) -> None:
    """Every other operation of the served spec (`half` of HALVES), as every role; the other half is
    tests/test_fuzz_second_half.py."""
    victim = build_world("Victim", fleetrock)
    untouchable = dump_table()
    actor = build_world("Actor", fleetrock)
    shared = {pk for pk, _ in dump_table().keys() - untouchable.keys()}
    served = httpx.get(f"{dev_server.url}/swagger", params={"format": "json"}).json()
    # the test sends each role's token itself: a generated Authorization header would only replace it
    schema = schemathesis.openapi.from_dict({k: v for k, v in served.items() if k != "security"})
    requirements = {(r.method, r.path.replace("<", "{").replace(">", "}")): r.requirement for r in all_routes()}
    pools = (real_ids(actor, victim), real_ids(actor))
    failures: list[str] = []
    fuzzed = 0
    with requests.Session() as session:
        for n, result in enumerate(schema.get_all_operations()):
            operation = result.ok()  # type: ignore[union-attr]  # an Err raises here: the served spec is broken
            if n % HALVES != half:
                continue
            requirement = requirements[(operation.method.upper(), operation.path)]
            if requirement == "webhook_signature":
                failures.append(fuzz_webhook(dev_server.url, actor, session) or "")
                fuzzed += 1
                continue
            for headers, examples in identities(requirement, actor):
                failures.append(fuzz(operation, examples, dev_server.url, headers, pools, session) or "")
                fuzzed += 1
    failures = [f for f in failures if f]
    assert failures == [], "\n\n".join(failures)
    assert fuzzed >= len(served["paths"]) // HALVES
    changes = changes_to(untouchable, dump_table(), shared)
    assert changes == [], "\n".join(changes)

