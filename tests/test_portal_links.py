"""Portal links: enable, refresh, disable, expiry, tampering, key rotation, the access log, no tokens in logs."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from aws_lambda_powertools.utilities.parameters.base import clear_caches
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

from shared.observability import logger as powertools_logger
from shared.portal import keys, tokens
from shared.portal.setup.links import add_months
from shared.settings import get_settings
from tests.conftest import call_api
from tests.factories import Caller, sign_up
from tests.portal_helpers import (
    ALL_PERMISSIONS,
    bearer,
    create_customer,
    create_customer_user,
    create_site,
    enable_link,
    open_link,
    portal_get,
    record_service,
    session_for,
)

pytestmark = pytest.mark.usefixtures("dynamodb")


def portal_user(vendor: Caller | None = None) -> tuple[Caller, dict[str, Any], dict[str, Any]]:
    vendor = vendor or sign_up("vendor", "Shop")
    customer = create_customer(vendor, permissions=ALL_PERMISSIONS)
    site = create_site(vendor, customer["customer_id"])
    user = create_customer_user(vendor, customer["customer_id"], [site["site_id"]])
    return vendor, user, site


def refusal(r: Any) -> str:
    assert r.status == 401, r.body
    assert r.json()["error"]["code"] == "unauthenticated"
    return str(r.json()["error"]["message"])


def test_link_opens_a_session_and_carries_what_it_should():
    vendor, user, site = portal_user()
    link = enable_link(vendor, user["customer_user_id"])
    assert link["version"] == 1 and link["url"].endswith(f"/portal#link={link['token']}")
    state = call_api("GET", f"/customer-users/{user['customer_user_id']}", as_user=vendor).json()["portal_link"]
    activated, expires = (datetime.fromisoformat(state[k]) for k in ("activated_at", "expires_at"))
    assert expires == add_months(activated, 6) == datetime.fromisoformat(link["expires_at"])  # six calendar months
    assert add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 12, 15, tzinfo=UTC), 6) == datetime(2027, 6, 15, tzinfo=UTC)
    r = open_link(link["token"])
    assert r.status == 201, r.body
    opened = r.json()
    assert opened["profile"]["customer_user_id"] == user["customer_user_id"]
    assert opened["profile"]["permissions"] == ALL_PERMISSIONS
    assert datetime.fromisoformat(opened["expires_at"]) - datetime.now(UTC) <= timedelta(hours=1)
    r = portal_get(opened["session_token"], "/portal/sites")
    assert r.status == 200 and [s["site_id"] for s in r.json()["sites"]] == [site["site_id"]]
    # a link is not a session, a session is not a link
    assert "not valid" in refusal(portal_get(link["token"], "/portal/sites"))
    assert "not valid" in refusal(open_link(opened["session_token"]))
    assert "link" in refusal(call_api("GET", "/portal/sites"))
    assert "link" in refusal(open_link(""))
    r = call_api("POST", f"/customer-users/{user['customer_user_id']}/portal-link", as_user=vendor)
    assert r.status == 409  # enabled already: refresh instead


def test_refresh_and_disable_take_effect_at_once():
    vendor, user, _ = portal_user()
    user_id = user["customer_user_id"]
    first = enable_link(vendor, user_id)
    first_session = session_for(first["token"])
    r = call_api("POST", f"/customer-users/{user_id}/portal-link/refresh", as_user=vendor)
    assert r.status == 201
    second = r.json()
    assert second["version"] == 2 and second["token"] != first["token"]
    assert refusal(open_link(first["token"])).startswith("this link has been replaced by a newer one")
    assert "replaced" in refusal(portal_get(first_session, "/portal/sites"))
    second_session = session_for(second["token"])
    assert portal_get(second_session, "/portal/sites").status == 200

    assert call_api("DELETE", f"/customer-users/{user_id}/portal-link", as_user=vendor).status == 204
    assert call_api("DELETE", f"/customer-users/{user_id}/portal-link", as_user=vendor).status == 204  # no-op
    assert "disabled" in refusal(open_link(second["token"]))
    assert "disabled" in refusal(portal_get(second_session, "/portal/sites"))
    r = call_api("POST", f"/customer-users/{user_id}/portal-link/refresh", as_user=vendor)
    assert r.status == 409  # disabled: enable it instead

    again = enable_link(vendor, user_id)  # "disable invalidates it until enabled again": the same link is back
    assert (again["version"], again["expires_at"]) == (second["version"], second["expires_at"])
    assert open_link(second["token"]).status == 201 and open_link(again["token"]).status == 201
    assert "replaced" in refusal(open_link(first["token"]))  # a refreshed link stays dead
    audit = [e["action"] for e in call_api("GET", "/audit", as_user=vendor).json()["items"]]
    assert audit[:4] == ["portal_link.enabled", "portal_link.disabled", "portal_link.refreshed", "portal_link.enabled"]


def _claims(link: dict[str, Any], user: dict[str, Any], vendor: Caller, **changes: Any) -> tokens.PortalClaims:
    fields: dict[str, Any] = {"kind": "link", "org_id": vendor.org_id, "customer_user_id": user["customer_user_id"],
                              "link_version": link["version"],
                              "expires_at": datetime.fromisoformat(link["expires_at"]), **changes}
    return tokens.PortalClaims(**fields)


def test_enabling_a_disabled_link_that_has_expired_issues_a_new_one():
    from shared.portal.items import CustomerUserItem

    vendor, user, _ = portal_user()
    user_id = user["customer_user_id"]
    first = enable_link(vendor, user_id)
    assert call_api("DELETE", f"/customer-users/{user_id}/portal-link", as_user=vendor).status == 204
    item = CustomerUserItem.get(f"ORG#{vendor.org_id}", f"CUSTUSER#{user_id}", consistent_read=True)
    item.update(actions=[CustomerUserItem.link_expires_at.set(datetime.now(UTC) - timedelta(days=1))])
    renewed = enable_link(vendor, user_id)
    assert renewed["version"] == first["version"] + 1 and open_link(renewed["token"]).status == 201
    assert "replaced" in refusal(open_link(first["token"]))


def test_expired_tampered_and_foreign_tokens_are_refused_with_a_reason():
    vendor, user, _ = portal_user()
    link = enable_link(vendor, user["customer_user_id"])
    ring = keys.keyring()
    past = datetime.now(UTC) - timedelta(minutes=1)
    expired = tokens.sign(_claims(link, user, vendor, expires_at=past), ring)
    assert refusal(open_link(expired)) == "this link has expired; ask your service provider for a new one"
    expired_session = tokens.sign(_claims(link, user, vendor, kind="session", expires_at=past), ring)
    assert refusal(portal_get(expired_session, "/portal/sites")).startswith("your portal session has expired")

    prefix, kid, payload, signature = link["token"].split(".")
    other = json.loads(tokens._unb64(payload))
    other["u"] = "cu_someone_else"
    forged_payload = tokens._b64(json.dumps(other).encode())
    for bad in (
        f"{prefix}.{kid}.{forged_payload}.{signature}",  # claims changed, signature kept
        f"{prefix}.{kid}.{payload}.{signature[:-2]}AA",  # signature changed
        f"{prefix}.nokey.{payload}.{signature}",  # a key we do not hold
        link["token"][:-10],
        "fbp1.test2.e30.e30",
        "garbage",
    ):
        assert refusal(open_link(bad)).startswith("this link is not valid"), bad
    # a token signed with another key, or naming a user of another vendor, opens nothing
    stranger = tokens.sign(_claims(link, user, vendor), keys.Keyring("evil", {"evil": b"x" * 40}))
    assert "not valid" in refusal(open_link(stranger))
    elsewhere = tokens.sign(_claims(link, user, vendor, org_id="org_other"), ring)
    assert "not valid" in refusal(open_link(elsewhere))


def test_both_keys_of_a_rotation_verify():
    vendor, user, _ = portal_user()
    link = enable_link(vendor, user["customer_user_id"])
    ring = keys.keyring()
    assert ring.current == "test2" and link["token"].split(".")[1] == "test2"
    old_ring = keys.Keyring("test1", ring.keys)  # what the previous deployment signed with
    older = tokens.sign(_claims(link, user, vendor), old_ring)
    assert older.split(".")[1] == "test1"
    assert open_link(older).status == 201


def test_access_log_and_last_use_for_the_vendor():
    vendor, user, site = portal_user()
    user_id = user["customer_user_id"]
    record_service(vendor, site["site_id"])
    session = session_for(enable_link(vendor, user_id)["token"])
    assert portal_get(session, "/portal/sites").status == 200
    assert portal_get(session, f"/portal/sites/{site['site_id']}").status == 200
    assert portal_get(session, "/portal/me").status == 200
    log = call_api("GET", f"/customer-users/{user_id}/access-log", as_user=vendor).json()["items"]
    assert [e["action"] for e in log] == ["view_me", "view_site", "view_sites", "link_exchange"]
    assert log[1]["site_id"] == site["site_id"]
    state = call_api("GET", f"/customer-users/{user_id}", as_user=vendor).json()["portal_link"]
    assert state["last_used_at"] == log[0]["at"]
    refused = portal_get("fbp1.x.y.z", "/portal/sites")
    assert refused.status == 401  # a refusal is no use of the link
    again = call_api("GET", f"/customer-users/{user_id}/access-log", as_user=vendor).json()["items"]
    assert len(again) == 4


@pytest.fixture
def captured_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Everything logged at DEBUG: Powertools' logger (with event logging asked for) and every other logger."""
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(powertools_logger.registered_formatter)
    pt_logger = logging.getLogger(powertools_logger.name)
    root = logging.getLogger()
    old_levels = (pt_logger.level, root.level)
    pt_logger.addHandler(handler)
    root.addHandler(handler)
    pt_logger.setLevel(logging.DEBUG)
    root.setLevel(logging.DEBUG)
    yield out
    pt_logger.removeHandler(handler)
    root.removeHandler(handler)
    pt_logger.setLevel(old_levels[0])
    root.setLevel(old_levels[1])


def test_tokens_never_reach_the_logs(captured_logs, dev_server):
    vendor, user, site = portal_user()
    link = enable_link(vendor, user["customer_user_id"])
    session = session_for(link["token"])
    portal_get(session, "/portal/sites")
    portal_get(session, f"/portal/sites/{site['site_id']}")
    portal_get(session, "/portal/sites/site_nope")  # 404
    call_api("POST", f"/customer-users/{user['customer_user_id']}/portal-link/refresh", as_user=vendor)
    open_link(link["token"])  # refused: replaced
    portal_get(session, "/portal/sites")  # refused
    # over HTTP too: the dev server logs each request line
    r = httpx.post(f"{dev_server.url}/portal/session", headers=bearer(link["token"]))
    assert r.status_code == 401
    text = captured_logs.getvalue()
    assert "[redacted]" in text and "/portal/sites" in text  # the events were logged, without credentials
    for secret in (link["token"], session, link["token"].split(".")[3], session.split(".")[3]):
        assert secret not in text


class _SecretsManager(BaseHTTPRequestHandler):
    """A local stand-in for Secrets Manager's GetSecretValue (JSON 1.1 over HTTP), counting reads."""

    secret: ClassVar[dict[str, str]] = {}
    reads: ClassVar[int] = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        assert self.headers.get("X-Amz-Target") == "secretsmanager.GetSecretValue"
        type(self).reads += 1
        body = json.dumps({"ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:portal",
                           "Name": "portal", "VersionId": "v1", "SecretString": json.dumps(self.secret)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_SecretsManager]]:
    """Settings naming a signing secret, read from the stand-in through Powertools Parameters."""
    _SecretsManager.secret = {"current": "k2", "k2": "second-key-" + "b" * 32, "k1": "first-key-" + "a" * 32}
    _SecretsManager.reads = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SecretsManager)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("PORTAL_SIGNING_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:000000000000:secret:portal")
    monkeypatch.delenv("PORTAL_SIGNING_KEYS")  # as in AWS: the secret, not local keys (Settings refuses both)
    DEFAULT_PROVIDERS.pop("secrets", None)
    clear_caches()
    get_settings.cache_clear()
    yield _SecretsManager
    get_settings.cache_clear()
    DEFAULT_PROVIDERS.pop("secrets", None)
    clear_caches()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_keys_come_from_secrets_manager_cached(secrets_manager):
    vendor, user, _ = portal_user()
    link = enable_link(vendor, user["customer_user_id"])
    assert link["token"].split(".")[1] == "k2"
    session = session_for(link["token"])
    assert portal_get(session, "/portal/sites").status == 200
    ring = keys.keyring()
    older = tokens.sign(_claims(link, user, vendor), keys.Keyring("k1", ring.keys))
    assert open_link(older).status == 201  # the previous key still verifies during the rotation
    assert secrets_manager.reads == 1  # one read, then Powertools' cache
