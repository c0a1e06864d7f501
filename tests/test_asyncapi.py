"""asyncapi.yaml: committed as generated, served like openapi.json, and true of what we send.

Real deliveries (verification, test, snapshot, status_changed) reach a local receiver through the
real stream processor, and each body and header set validates against its message in the document;
a body or header set that breaks it does not.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import httpx
import jsonschema_rs
import pytest
import yaml

from dev.asyncapi import ASYNCAPI_FILE, generate
from shared.maintenance.public import AssetState, Cause
from shared.push import signing
from shared.push.events import StatusChangedEvent, VerificationEvent, body
from shared.push.public import push_snapshot
from tests.conftest import call_api
from tests.factories import create_asset, sign_up
from tests.push_receiver import PushReceiver, receiver_fixture, stream_fixture  # noqa: F401 - fixtures
from tests.refresh_support import subscribe

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


@cache
def document() -> dict[str, Any]:
    return dict(yaml.safe_load(ASYNCAPI_FILE.read_text()))


@cache
def validator(message: str, part: str) -> Any:
    """A message's payload or headers schema, its $refs resolved in the document's components (the
    AsyncAPI schema format is JSON Schema draft 7 and a little more)."""
    components = document()["components"]
    schema = {"allOf": [components["messages"][message][part]], "components": components}
    return jsonschema_rs.Draft7Validator(schema, validate_formats=True)


def errors(message: str, part: str, instance: Any) -> list[str]:
    return [error.message for error in validator(message, part).iter_errors(instance)]


def sent_headers(secret: str, payload: bytes) -> dict[str, str]:
    """What signing.headers() sends, names lowercased as the document lists them."""
    return {name.lower(): value for name, value in signing.headers([secret], 1_700_000_000, "dlv_1", payload).items()}


def in_shop(asset: dict[str, Any]) -> AssetState:
    cause = Cause.model_validate({"status": "in_shop", "source": "repair_order", "source_id": "RO-1",
                                  "detail": "In Progress", "since": NOW})
    return AssetState.model_validate({**{k: asset[k] for k in ("asset_id", "unit_number", "vin", "kind")},
                                      "asset_status": "active", "maintenance_status": "in_shop", "statuses": [cause]})


def test_the_committed_asyncapi_is_what_the_models_generate():
    assert ASYNCAPI_FILE.read_text() == generate(), "asyncapi.yaml is out of date: run `make openapi` and commit it"


@pytest.mark.usefixtures("dynamodb")
def test_the_docs_function_serves_it_without_a_token(dev_server):
    r = call_api("GET", "/asyncapi.yaml")
    assert (r.status, r.headers["Content-Type"]) == (200, "application/yaml")
    assert r.body == ASYNCAPI_FILE.read_text()
    assert httpx.get(f"{dev_server.url}/asyncapi.yaml").text == r.body, "public, as /openapi.json"


@pytest.mark.usefixtures("dynamodb")
def test_every_kind_of_delivery_we_send_validates_against_its_message(receiver: PushReceiver, stream):
    admin = sign_up("fleet")
    truck = create_asset(admin, unit_number="T-1")
    subscription_id = subscribe(admin, receiver, stream)  # its verification delivered
    assert call_api("POST", f"/subscriptions/{subscription_id}/test", as_user=admin).json()["delivered"]
    push_snapshot(admin.org_id, [in_shop(truck)], NOW)
    r = call_api("PATCH", f"/assets/{truck['asset_id']}", as_user=admin,
                 json_body={"status": "in_shop", "version": truck["version"]})
    assert r.status == 200, r.body
    stream.drain()

    received = list(receiver.accepted.values())
    assert sorted(d.json()["type"] for d in received) == sorted(document()["components"]["messages"])
    for delivery in received:
        kind, headers = delivery.json()["type"], {k.lower(): v for k, v in delivery.headers.items()}
        assert errors(kind, "payload", delivery.json()) == [], kind
        assert errors(kind, "headers", headers) == [], kind
        assert "webhook-signature" in headers, "a Standard Webhooks secret: both header sets"


def test_a_body_or_headers_that_break_the_document_fail_validation():
    event = VerificationEvent(fleet_id="org_1", subscription_id="psub_1", generated_at=NOW)
    payload, headers = json.loads(body(event)), sent_headers(signing.new_secret(), body(event))
    assert errors("verification", "payload", payload) == errors("verification", "headers", headers) == []
    assert errors("verification", "payload", {k: v for k, v in payload.items() if k != "subscription_id"})
    assert errors("verification", "payload", {**payload, "type": "test"})
    assert errors("verification", "payload", {**payload, "generated_at": "yesterday"})
    assert errors("verification", "headers", {k: v for k, v in headers.items() if k != "x-fleetbridge-signature"})
    assert errors("verification", "headers", {k: v for k, v in headers.items() if k != "webhook-signature"}), \
        "the webhook-* headers come together"
    assert errors("verification", "headers", sent_headers("a legacy secret", body(event))) == [], \
        "a legacy secret: the X-Fleetbridge-* headers alone"

    asset = in_shop({"asset_id": "ast_1", "unit_number": "T-1", "vin": "1FUJGLDR0CL000001", "kind": "truck"})
    change = json.loads(body(StatusChangedEvent(fleet_id="org_1", asset_id="ast_1", sequence=1, occurred_at=NOW,
                                                previous=None, current=asset)))
    assert errors("status_changed", "payload", change) == []
    change["current"]["statuses"][0]["status"] = "on_fire"  # checked through components.schemas
    assert errors("status_changed", "payload", change)
