"""Tenant isolation, route by route: every route in openapi.json, called by every role of another
tenant (and by another customer's portal session, and with another tenant's webhook signature),
with the owner's real ids, answers 404/403 (401 where the route authenticates otherwise), leaks
none of the owner's data, and changes none of the owner's items. A route the sweep does not know
(a new placeholder, requirement or id-less route without a probe) fails here."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from dev.fleetrock_standin import sign
from shared.auth.permissions import PERMISSIONS, Action
from shared.auth.principal import Role
from tests.conftest import ApiResponse, call_api
from tests.factories import make_vin
from tests.fleetrock_support import envelope
from tests.portal_helpers import create_customer, create_customer_user, create_site, enable_link, session_for
from tests.routes import all_routes
from tests.world import World, build_world, changes_to, dump_table

pytestmark = pytest.mark.usefixtures("dynamodb")
OPENAPI = json.loads((Path(__file__).resolve().parent.parent / "openapi.json").read_text())
ROLES = ("customer", "customer_admin", "manager", "vendor", "vendor_admin")
PLACEHOLDER = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Probe:
    """How to call a route with the owner's ids in its body or query, and what an allowed role must get."""

    body: Any = None  # JSON, with "{<placeholder>}" strings replaced by the owner's ids; a str is sent raw
    query: dict[str, str] = field(default_factory=dict)
    expect: frozenset[int] = frozenset({404})
    headers: dict[str, str] = field(default_factory=dict)
    own_path: bool = False  # a route with ids: also call it on the caller's own objects with this body


def probe(*expect: int, body: Any = None, own_path: bool = False, **query: Any) -> Probe:
    return Probe(body, {k: str(v) for k, v in query.items()}, frozenset(expect or (404,)), {}, own_path)


LIST = probe(200)  # lists: only the caller's own data, whatever the owner has
# Routes with ids: a body that passes validation (else the answer is 422, not 404); with own_path the body
# names the owner's objects and the route is also called on the caller's own objects (404 or 422, never 2xx).
PATH_PROBES: dict[tuple[str, str], Probe] = {
    ("PATCH", "/assets/<asset_id>"): probe(404, 422, body={"version": 1, "group_ids": ["{<group_id>}"]},
                                           own_path=True),
    ("PATCH", "/organizations/<org_id>"): probe(body={"version": 1, "name": "Pwned"}),
    ("PATCH", "/users/<user_id>"): probe(body={"version": 1, "name": "Pwned"}),
    ("PATCH", "/groups/<group_id>"): probe(body={"version": 1, "name": "Pwned"}),
    ("PATCH", "/subscriptions/<subscription_id>"): probe(body={"events": ["snapshot"]}),
    ("PATCH", "/services/<service_id>"): probe(body={"version": 1, "name": "Pwned"}),
    ("POST", "/services/<service_id>/guide/send"): probe(body={"email": "x@pwned.example"}),
    ("PATCH", "/integrations/<integration_id>"): probe(body={"version": 1, "default_group": "Pwned"}),
    ("PUT", "/connections/<connection_id>/groups"): probe(404, 422, body={"group_ids": ["{<group_id>}"],
                                                                          "version": 1}, own_path=True),
    ("PATCH", "/partners/<invitation_id>"): probe(body={"allow_override": True, "version": 1}),
    ("POST", "/teams/<team_id>/users"): probe(body={"email": "pwned@pwned.example", "name": "P", "role": "vendor"}),
    # a service ID is shareable by design (connections.md: merchants request by it): without an accepted merchant
    # connection its orders are an empty list and placing one is refused
    ("GET", "/services/<service_id>/orders"): probe(200, 404),
    ("POST", "/services/<service_id>/orders"): probe(403, 404, body={"description": "Pwned", "amount": "1.00"}),
    ("PATCH", "/customers/<customer_id>"): probe(404, 422, body={"version": 1, "primary_customer_id":
                                                                 "{<customer_id>}"}, own_path=True),
    ("PATCH", "/sites/<site_id>"): probe(body={"version": 1, "name": "Pwned"}),
    ("POST", "/sites/<site_id>/services"): probe(body={"service_name": "Pwned",
                                                       "completed_at": "2026-03-01T10:00:00Z"}),
    ("POST", "/sites/<site_id>/picture-uploads"): probe(body={"content_type": "image/jpeg"}),
    ("PATCH", "/customer-users/<customer_user_id>"): probe(404, 422, body={"version": 1, "site_ids":
                                                                           ["{<site_id>}"]}, own_path=True),
    ("PATCH", "/jobs/<job_id>"): probe(body={"version": 1, "asset_id": "{<asset_id>}"}),
    ("POST", "/jobs/<job_id>/assign"): probe(body={"partner_id": "ZZZZZ"}),
    ("POST", "/jobs/<job_id>/unassign"): probe(body={}),
    ("PATCH", "/job-templates/<template_id>"): probe(body={"version": 1, "name": "Pwned"}),
    ("POST", "/job-templates/<template_id>/duplicate"): probe(body={}),
    ("PATCH", "/partner/jobs/<job_id>"): probe(body={"version": 1, "title": "Pwned"}),
    ("POST", "/partner/jobs/<job_id>/start"): probe(body={}),
    ("POST", "/partner/jobs/<job_id>/succeed"): probe(body={}),
    ("POST", "/partner/jobs/<job_id>/fail"): probe(body={"reason": "Pwned"}),
    ("GET", "/sites/<site_id>/services"): Probe(query={"from": "2026-01-01", "to": "2026-12-31"}),
    ("GET", "/portal/sites/<site_id>"): Probe(query={"from": "2026-01-01", "to": "2026-12-31"}),
}
# Routes without ids: lists (only the caller's data, whatever the query names) and creates whose body names
# the owner's objects. `None`: the route acts on nothing of another tenant by construction (said why).
ID_LESS: dict[tuple[str, str], Probe | str] = {
    ("GET", "/me"): LIST,
    ("GET", "/users"): LIST,
    ("POST", "/users"): "creates a user in the caller's org; the email's owner elsewhere is a uniqueness 409",
    ("POST", "/organizations"): probe(409, body={"name": "Pwned", "kind": "fleet", "admin_name": "A",
                                                 "contact_email": "a@pwned.example", "address": {
                                                     "line1": "1", "city": "C", "state": "MA", "zip": "02110"}}),
    ("GET", "/assets"): LIST,
    ("POST", "/assets"): probe(422, body={"unit_number": "P1", "kind": "truck", "vin": make_vin(),
                                          "group_ids": ["{<group_id>}"]}),
    ("GET", "/groups"): LIST,
    ("POST", "/groups"): probe(404, 422, body={"name": "Pwned", "asset_ids": ["{<asset_id>}"]}),
    ("GET", "/audit"): LIST,
    ("GET", "/connections"): LIST,
    ("POST", "/connections"): "a connection request to any org is the product (connections.md): pending, "
                              "nothing of the owner's changes until the owner accepts",
    ("GET", "/notifications"): LIST,
    ("POST", "/notifications/read-all"): probe(200),  # the caller's own organization's: the owner's stay unread
    ("GET", "/me/notification-preferences"): LIST,
    ("PUT", "/me/notification-preferences"): probe(200, body={"email": {"jobs": False}, "version": 0}),
    ("GET", "/invitations"): LIST,
    ("POST", "/invitations"): "invites an email to the network from the caller's org; names no object",
    ("POST", "/invitations/accept"): probe(403, 404, body={"invitation": "{<org_id>}.inv_01JZZZZZZZZZZZZZZZZZZZZZZZ"}),
    ("GET", "/fleets/lookup"): "a vendor finds a fleet by VIN: a directory read by design (connections.md)",
    ("GET", "/vendors/search"): "a fleet finds vendors by ZIP: a directory read by design (connections.md)",
    ("GET", "/services"): LIST,
    ("POST", "/services"): "creates a service of the caller's fleet; names no object",
    ("GET", "/service-connections"): probe(200, service_id="{<service_id>}"),
    ("POST", "/service-connections"): "a merchant request by service ID is the product (connections.md): "
                                      "pending until the owner accepts",
    ("GET", "/partners"): LIST,
    ("GET", "/vendor/fleets"): LIST,
    ("GET", "/teams"): LIST,
    ("POST", "/teams"): "creates a team of the caller's fleet; names no object",
    ("GET", "/fleet/vendors"): LIST,
    ("POST", "/partners/invitations"): "invites an email as the caller's partner; names no object",
    ("POST", "/partner-invitations/accept"): probe(404, 422, body={"token": "not-the-owners-token-0123456789"}),
    ("POST", "/partner-invitations/decline"): probe(404, 422, body={"token": "not-the-owners-token-0123456789"}),
    ("GET", "/jobs"): probe(200, partner="{<partner_id>}"),
    ("POST", "/jobs"): probe(404, 422, body={"kind": "installation", "asset_id": "{<asset_id>}", "title": "Pwned",
                                             "configuration": {}, "template_id": "{<template_id>}"}),
    ("POST", "/jobs/bulk"): probe(200, 404, 422, body={"job_ids": ["{<job_id>}"], "action": "delete"}),
    ("POST", "/jobs/import"): probe(422, body="kind,asset_id,title\ninstallation,{<asset_id>},Pwned\n"),
    ("GET", "/job-templates"): LIST,
    ("POST", "/job-templates"): "creates a template of the caller's fleet; its site_id is only an opaque reference, "
                                "used when the job succeeds and only if it is a site of the partner that did it",
    ("GET", "/partner/jobs"): LIST,
    ("GET", "/customers"): LIST,
    ("POST", "/customers"): probe(404, 422, body={"name": "Pwned", "primary_customer_id": "{<customer_id>}"}),
    ("GET", "/sites"): probe(200, 404, customer_id="{<customer_id>}"),
    ("POST", "/sites"): probe(404, 422, body={"customer_id": "{<customer_id>}", "name": "Pwned", "lat": 1, "lng": 1,
                                              "address": {"line1": "1", "city": "C", "state": "MA", "zip": "02110"},
                                              "geofence": {"kind": "radius", "radius_m": 10}}),
    ("GET", "/customer-users"): probe(200, 404, customer_id="{<customer_id>}"),
    ("POST", "/customer-users"): probe(404, 422, body={"customer_id": "{<customer_id>}", "name": "Pwned",
                                                       "email": "pwned@pwned.example", "site_ids": ["{<site_id>}"]}),
    ("GET", "/integrations"): LIST,
    ("POST", "/integrations"): "configures the caller's own integration; names no object",
    ("GET", "/dispatch/assets"): LIST,
    ("POST", "/dispatch/check"): probe(404, 422, body={"truck_id": "{<asset_id>}"}),
    ("GET", "/subscriptions"): LIST,
    ("POST", "/subscriptions"): "subscribes a URL for the caller's fleet; names no object",
    ("GET", "/portal/me"): LIST,
    ("GET", "/portal/sites"): probe(200, customer_id="{<customer_id>}", site_id="{<site_id>}", org_id="{<org_id>}"),
    ("POST", "/portal/session"): "exchanges a link token (swept below: a session token is no link token)",
}
TOKEN_SCHEMES = {"portal_session", "portal_link", "webhook_signature"}


def fill(value: Any, ids: dict[str, list[str]]) -> Any:
    """`value` with every "{<placeholder>}" replaced by the owner's first id of that kind."""
    if isinstance(value, str):
        return re.sub(r"\{(<[^>]+>)\}", lambda m: ids[m.group(1)][0], value)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def spec_routes() -> list[tuple[str, str]]:
    return sorted((m.upper(), re.sub(r"\{([^}]+)\}", r"<\1>", p)) for p, ops in OPENAPI["paths"].items() for m in ops)


def paths_for(path: str, owner: World, intruder: World) -> list[str]:
    """The path with the owner's ids (each id of each kind), and with one owner id among the intruder's own."""
    names = PLACEHOLDER.findall(path)
    out = []
    for combo in itertools.product(*(owner.ids[n] for n in names)):
        filled = path
        for name, value in zip(names, combo, strict=True):
            filled = filled.replace(name, value, 1)
        out.append(filled)
    if len(names) > 1:
        for foreign in names:
            filled = path
            for name in names:
                filled = filled.replace(name, (owner if name == foreign else intruder).first(name), 1)
            out.append(filled)
    return out


def neighbours(owner: World) -> tuple[dict[str, tuple[str, list[str]]], list[str]]:
    """Portal sessions next to the owner's customer user that must not see its site: another customer of the
    owner's vendor, and a user of the same customer who was not given that site (with what it must not see);
    and their customer user ids (their own access log grows as they use the portal)."""
    vendor = owner.callers["vendor_admin"]
    neighbour = create_customer(vendor, name="Neighbour Inc")
    n_site = create_site(vendor, neighbour["customer_id"], name="Neighbour yard")
    n_user = create_customer_user(vendor, neighbour["customer_id"], [n_site["site_id"]])
    other_site = create_site(vendor, owner.first("<customer_id>"), name="Other yard")
    colleague = create_customer_user(vendor, owner.first("<customer_id>"), [other_site["site_id"]])
    site_only = [f"{owner.tag} yard", f"{owner.tag} wash"]  # the colleague knows its own customer
    return ({"other customer": (session_for(enable_link(vendor, n_user["customer_user_id"])["token"]), owner.secrets),
             "other site": (session_for(enable_link(vendor, colleague["customer_user_id"])["token"]), site_only)},
            [n_user["customer_user_id"], colleague["customer_user_id"]])


def current_version(path: str, world: World) -> int:
    """The version of one of `world`'s own objects, read by whichever of its admins may read it."""
    for role in ("customer_admin", "vendor_admin"):
        r = call_api("GET", path, as_user=world.callers[role])
        if r.status == 200:
            return int(r.json()["version"])
    raise AssertionError(f"no admin of {world.tag} reads {path}")


def call(method: str, path: str, pr: Probe, ids: dict[str, list[str]], **kw: Any) -> ApiResponse:
    body = fill(pr.body, ids)
    query = fill(pr.query, ids) or None
    if isinstance(body, str):
        return call_api(method, path, raw_body=body, query=query, headers={"content-type": "text/csv"}, **kw)
    return call_api(method, path, json_body=body, query=query, **kw)


def test_no_tenant_reaches_another_tenants_data(fleetrock):
    owner = build_world("Owner", fleetrock)
    # a badly signed webhook tells the integration's fleet once a day, whoever sends it, by design (integration
    # trouble: docs/data-model.md, Notifications): the owner's episode is open before the sweep's bad signatures
    r = call_api("POST", f"/webhooks/fleetrock/{owner.first('<integration_id>')}", raw_body="{}",
                 headers={"X-Fleetrock-Signature": "bad"})
    assert r.status == 401, r.body
    sessions, own_logs = neighbours(owner)
    owned = {k: v for k, v in dump_table().items() if not any(cu in k[0] or cu in k[1] for cu in own_logs)}
    intruder = build_world("Intruder", fleetrock)
    sessions["other vendor"] = (intruder.portal_session, owner.secrets)
    before = dump_table()
    shared = {pk for pk, _ in before.keys() - owned.keys()}  # partitions the others write to as well
    requirements = {(r.method, r.path): r.requirement for r in all_routes()}
    unknown, failures, swept = [], [], 0

    def check(what: str, r: ApiResponse, expect: set[int] | frozenset[int], secrets: list[str] = owner.secrets,
              entry: Probe | None = None) -> None:
        nonlocal swept
        swept += 1
        # a success names none of the owner's ids either, except those the request itself carried
        sent = what + (json.dumps(fill([entry.body, entry.query], owner.ids)) if entry else "")
        ids = [i for v in owner.ids.values() for i in v if i not in sent] if 200 <= r.status < 300 else []
        if r.status not in expect:
            failures.append(f"{what}: {r.status} not in {sorted(expect)}: {r.body[:200]}")
        elif leaked := [s for s in [*secrets, *ids] if s in r.body]:
            failures.append(f"{what}: leaks {leaked}")

    for method, path in spec_routes():
        requirement = requirements.get((method, path))
        names = PLACEHOLDER.findall(path)
        entry: Probe | str | None = PATH_PROBES.get((method, path), probe()) if names else ID_LESS.get((method, path))
        if (not isinstance(requirement, Action) and requirement not in {"signed_in", *TOKEN_SCHEMES}) or any(
                n not in owner.ids for n in names) or entry is None:
            unknown.append(f"{method} {path} ({requirement}, {names})")
            continue
        if isinstance(entry, str):
            continue  # acts on the caller's own org only, or crosses tenants by design: the reason is above
        if requirement in TOKEN_SCHEMES:
            for role in ROLES:  # a user token opens none of them
                r = call(method, PLACEHOLDER.sub(lambda m: owner.first(m.group(0)), path), entry, owner.ids,
                         as_user=intruder.callers[role])
                check(f"{role} {method} {path}", r, {401})
        if requirement == "portal_session":
            for who, (token, secrets) in sessions.items():
                for filled in paths_for(path, owner, intruder):
                    r = call(method, filled, entry, owner.ids, headers={"Authorization": f"Bearer {token}"})
                    check(f"portal {who} {method} {filled}", r, entry.expect, secrets, entry)
            continue
        if requirement == "portal_link":
            r = call_api(method, path, headers={"Authorization": f"Bearer {intruder.portal_session}"})
            check(f"portal session as link {method} {path}", r, {401})
            continue
        if requirement == "webhook_signature":
            body = envelope("test", {})
            for filled in paths_for(path, owner, intruder):
                r = call_api(method, filled, raw_body=body.decode(),
                             headers={"X-Fleetrock-Signature": sign(intruder.webhook_secret, body)})
                check(f"webhook {filled}", r, {401})
            continue
        for role in ROLES:
            caller = intruder.callers[role]
            allowed = requirement == "signed_in" or requirement in PERMISSIONS[Role(role)]
            expect = entry.expect if allowed else {403}
            for filled in paths_for(path, owner, intruder) if names else [path]:
                r = call(method, filled, entry, owner.ids, as_user=caller)
                check(f"{role} {method} {filled}", r, expect, entry=entry)
            if names and entry.own_path:
                own = PLACEHOLDER.sub(lambda m: intruder.first(m.group(0)), path)
                mine = {**fill(entry.body, owner.ids), "version": current_version(own, intruder)}
                r = call(method, own, replace(entry, body=mine), owner.ids, as_user=caller)
                check(f"{role} own {method} {own}", r, ({404, 422} if allowed else {403}))

    assert unknown == [], "routes this sweep does not know: give them a probe or an id placeholder in tests/world.py"
    assert failures == [], "\n".join(failures)
    assert swept > 600
    changes = changes_to(owned, dump_table(), shared)
    assert changes == [], "\n".join(changes)
