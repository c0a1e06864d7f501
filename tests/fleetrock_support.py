"""Helpers of the Fleetrock tests: set up an integration through the API, send signed webhooks."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from dev.fleetrock_standin import FleetrockStandin, sign
from tests.conftest import FLEETROCK_API_KEY, FLEETROCK_USERNAME, ApiResponse, call_api
from tests.factories import Caller


def configure(admin: Caller, standin: FleetrockStandin, **overrides: Any) -> dict[str, Any]:
    body = {"login_url": standin.url, "username": FLEETROCK_USERNAME, "api_key": FLEETROCK_API_KEY,
            "default_group": "Fleetbridge", **overrides}
    r = call_api("POST", "/integrations", as_user=admin, json_body=body)
    assert r.status == 201, r.body
    return dict(r.json())


def active_integration(admin: Caller, standin: FleetrockStandin) -> tuple[str, str]:
    """(integration_id, webhook secret) of an integration activated against the stand-in."""
    created = configure(admin, standin)
    r = call_api("POST", f"/integrations/{created['integration_id']}/activate", as_user=admin)
    assert r.status == 200, r.body
    return created["integration_id"], created["webhook_secret"]


def envelope(event: str, data: Any, *, event_id: str | None = None, sent_at: str | None = None) -> bytes:
    return json.dumps({"event": event, "event_id": event_id or f"evt_{secrets.token_hex(8)}",
                       "sent_at": sent_at or datetime.now(UTC).isoformat(), "data": data}).encode()


def post_webhook(integration_id: str, secret: str, body: bytes, *, signature: str | None = None,
                 headers: dict[str, str] | None = None) -> ApiResponse:
    hdrs = {"X-Fleetrock-Signature": signature if signature is not None else sign(secret, body), **(headers or {})}
    return call_api("POST", f"/webhooks/fleetrock/{integration_id}", raw_body=body, headers=hdrs)


FLEETROCK: list[FleetrockStandin] = []  # the test's stand-in (the `fleetrock` fixture), while there is one


def send(integration_id: str, secret: str, event: str, data: Any, **kw: Any) -> ApiResponse:
    """As Fleetrock does: a repair order that changed is changed in Fleetrock (the stand-in), then its
    webhook is sent (our envelope). Applying it reads the order back from the stand-in."""
    if event.startswith("repair_order") and isinstance(data, dict) and FLEETROCK:
        if event == "repair_order.deleted":
            FLEETROCK[-1].repair_orders.pop(str(data["id"]), None)
        elif data.get("status"):
            FLEETROCK[-1].put_repair_order(data)
    return post_webhook(integration_id, secret, envelope(event, data, **kw))


def repair_order(ro_id: str, vin: str, status: str, created: str = "01/05/2026 08:00 AM",
                 **fields: Any) -> dict[str, Any]:
    """A repair order as Fleetrock has it (the public field list; US dates without a zone)."""
    return {"id": ro_id, "vin": vin, "unit_number": fields.pop("unit_number", "U"), "unit_type": "Truck",
            "status": status, "date_created": created, "priority_code": "2", "tasks": [], "notes": [], **fields}


def dispatch(user: Caller) -> dict[str, dict[str, Any]]:
    """GET /dispatch/assets, every page, by asset id."""
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        r = call_api("GET", "/dispatch/assets", as_user=user, query={"limit": 100, **({"cursor": cursor} if cursor
                                                                                      else {})})
        assert r.status == 200, r.body
        found.update({a["asset_id"]: a for a in r.json()["items"]})
        cursor = r.json()["next_cursor"]
        if not cursor:
            return found
