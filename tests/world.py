"""A whole tenant, built through the public API: a fleet and its vendor with a real object behind every
id placeholder the routes use. The isolation sweep and the fuzz build two and check that one never
reaches the other's data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from dev.fleetrock_standin import FleetrockStandin, sign
from shared.partners.logic import invite_partner
from shared.partners.models import PartnerInvite
from tests.conftest import TEST_ENV, call_api
from tests.factories import Caller, add_user, create_asset, create_group, sign_up
from tests.fleetrock_support import active_integration, envelope
from tests.jobs_support import create_job, principal
from tests.portal_helpers import (
    ALL_PERMISSIONS,
    create_customer,
    create_customer_user,
    create_site,
    enable_link,
    record_service,
    session_for,
)


@dataclass
class World:
    """One tenant: callers by role, ids by route placeholder, and strings no other tenant may ever see."""

    tag: str
    callers: dict[str, Caller]  # role -> a user of that role (fleet roles in the fleet, vendor roles in the vendor)
    ids: dict[str, list[str]]  # "<placeholder>" -> real ids of this tenant, first one the main object
    portal_session: str  # a session token of the customer user
    portal_link: str  # the customer user's link token
    webhook_secret: str
    secrets: list[str] = field(default_factory=list)  # names, VINs, emails: never in another tenant's answers

    def first(self, placeholder: str) -> str:
        return self.ids[placeholder][0]


def ok(r: Any, status: int = 200) -> Any:
    assert r.status == status, r.body
    return r.json()


def build_world(tag: str, standin: FleetrockStandin) -> World:
    """Every kind of object the routes name, owned by a fleet `<tag> Fleet` and its vendor `<tag> Shop`."""
    fleet = sign_up("fleet", f"{tag} Fleet")
    vendor = sign_up("vendor", f"{tag} Shop")
    customer, manager = add_user(fleet, "customer"), add_user(fleet, "manager")
    tech = add_user(vendor, "vendor")
    asset = create_asset(fleet, unit_number=f"{tag}-T1")
    group = create_group(fleet, f"{tag} group", asset_ids=[asset["asset_id"]])
    # fleet <-> vendor connection with a group grant; the accept notifies the fleet
    conn = ok(call_api("POST", "/connections", as_user=fleet, json_body={"org_id": vendor.org_id}), 201)
    ok(call_api("POST", f"/connections/{conn['connection_id']}/accept", as_user=vendor))
    ok(call_api("PUT", f"/connections/{conn['connection_id']}/groups", as_user=fleet,
                json_body={"group_ids": [group["group_id"]], "version": 0}))
    notification = ok(call_api("GET", "/notifications", as_user=fleet))["items"][0]
    # a fleet service the vendor is a merchant of, with an order
    service = ok(call_api("POST", "/services", as_user=fleet, json_body={"name": f"{tag} fuel"}), 201)
    service_conn = ok(call_api("POST", "/service-connections", as_user=vendor,
                               json_body={"service_id": service["service_id"]}), 201)
    ok(call_api("POST", f"/service-connections/{service_conn['connection_id']}/accept", as_user=fleet))
    ok(call_api("POST", f"/services/{service['service_id']}/orders", as_user=vendor,
                json_body={"description": f"{tag} diesel", "amount": "10.00"}), 201)
    # the vendor is the fleet's installation partner, with an assigned job and a template
    invited = invite_partner(principal(fleet), PartnerInvite(email=f"{vendor.user_id}@installs.example"))
    partner = ok(call_api("POST", "/partner-invitations/accept", as_user=vendor, json_body={"token": invited.token}))
    job = create_job(fleet, asset, partner_id=partner["partner_id"])
    template = ok(call_api("POST", "/job-templates", as_user=fleet, json_body={"name": f"{tag} template"}), 201)
    team = ok(call_api("POST", "/teams", as_user=fleet, json_body={"name": f"{tag} own shop"}), 201)
    # Fleetrock: an active integration with one inbox event; a push subscription with its delivery
    integration_id, webhook_secret = active_integration(fleet, standin)
    event_id = f"evt-{tag.lower()}-1"
    body = envelope("test", {}, event_id=event_id)
    r = call_api("POST", f"/webhooks/fleetrock/{integration_id}", raw_body=body.decode(),
                 headers={"X-Fleetrock-Signature": sign(webhook_secret, body)})
    assert r.status in (200, 202), r.body
    subscription = ok(call_api("POST", "/subscriptions", as_user=fleet,
                               json_body={"url": f"https://hooks.{tag.lower()}.example.com/x"}), 201)
    deliveries = ok(call_api("GET", f"/subscriptions/{subscription['subscription_id']}/deliveries", as_user=fleet))
    # the vendor's customer portal: customer, site with a service, customer user with a live link
    cust = create_customer(vendor, name=f"{tag} Customer Inc", permissions=ALL_PERMISSIONS)
    site = create_site(vendor, cust["customer_id"], name=f"{tag} yard")
    record_service(vendor, site["site_id"], service_name=f"{tag} wash")
    cust_user = create_customer_user(vendor, cust["customer_id"], [site["site_id"]])
    link = enable_link(vendor, cust_user["customer_user_id"])
    ids = {
        "<org_id>": [fleet.org_id, vendor.org_id],
        "<fleet_id>": [fleet.org_id],
        "<user_id>": [customer.user_id, tech.user_id],
        "<asset_id>": [asset["asset_id"]],
        "<group_id>": [group["group_id"]],
        "<connection_id>": [conn["connection_id"]],
        "<notification_id>": [notification["notification_id"]],
        "<service_id>": [service["service_id"]],
        "<service_connection_id>": [service_conn["connection_id"]],
        "<invitation_id>": [partner["invitation_id"]],
        "<job_id>": [job["job_id"]],
        "<template_id>": [template["template_id"]],
        "<team_id>": [team["team_id"]],
        "<integration_id>": [integration_id],
        "<event_id>": [event_id],
        "<subscription_id>": [subscription["subscription_id"]],
        "<delivery_id>": [deliveries["items"][0]["delivery_id"]],
        "<customer_id>": [cust["customer_id"]],
        "<site_id>": [site["site_id"]],
        "<customer_user_id>": [cust_user["customer_user_id"]],
        "<partner_id>": [partner["partner_id"]],  # no route names it in its path: bodies and queries do
    }
    callers = {"customer_admin": fleet, "customer": customer, "manager": manager,
               "vendor_admin": vendor, "vendor": tech}
    secrets = [f"{tag} Fleet", f"{tag} Shop", f"{tag} Customer", f"{tag} yard", f"{tag} wash", f"{tag} fuel",
               asset["vin"], str(customer.email), cust_user["email"]]
    return World(tag, callers, ids, session_for(link["token"]), link["token"], webhook_secret, secrets)


def dump_table() -> dict[tuple[str, str], str]:
    """Every item in the table, by key, as canonical JSON (tests may Scan; the API never does)."""
    table = boto3.resource("dynamodb", endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"]).Table(
        TEST_ENV["TABLE_NAME"])
    items: dict[tuple[str, str], str] = {}
    kwargs: dict[str, Any] = {"ConsistentRead": True}
    while True:
        page = table.scan(**kwargs)
        for item in page["Items"]:
            items[(str(item["pk"]), str(item["sk"]))] = json.dumps(item, sort_keys=True, default=repr)
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# items no tenant owns: the sign-up counter of a source address (every test's sign-up comes from 127.0.0.1)
NOBODYS = ("RATE#organization_sign_up#",)


def changes_to(before: dict[tuple[str, str], str], after: dict[tuple[str, str], str],
               shared: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """What happened to the items of `before` (a tenant's dump), and new items in its own partitions
    (`shared`: partition keys other tenants write too, such as uniqueness claims)."""
    before = {key: item for key, item in before.items() if not key[0].startswith(NOBODYS)}
    partitions = {pk for pk, _ in before} - set(shared)
    changed = [f"changed {key}" for key in before if key in after and after[key] != before[key]]
    gone = [f"deleted {key}" for key in before if key not in after]
    added = [f"added {key}" for key in after if key not in before and key[0] in partitions]
    return changed + gone + added
