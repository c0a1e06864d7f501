"""CORS: the web app's origin (APP_BASE_URL's) may read every answer, errors included; no other origin may."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest

from dev.apigw import LocalContext, rest_event
from shared.api.cors import app_origin
from shared.settings import get_settings
from tests.conftest import call_api
from tests.factories import add_user, make_vin, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")


def headers_of(result: dict) -> dict[str, str]:
    """The answer's headers as API Gateway sends them (multi-value and single-value merged)."""
    multi = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items() if v}
    return {**multi, **(result.get("headers") or {})}


@pytest.fixture
def app() -> str:
    return app_origin(get_settings().app_base_url)


def test_the_apps_origin_may_read_answers_and_errors(app):
    admin = sign_up("fleet")
    ok = call_api("GET", "/jobs", as_user=admin, headers={"origin": app})
    assert ok.status == 200 and ok.headers["Access-Control-Allow-Origin"] == app
    assert ok.headers["Vary"] == "Origin" and "Retry-After" in ok.headers["Access-Control-Expose-Headers"]
    truck = {"unit_number": "T-1", "kind": "truck", "vin": make_vin()}
    forbidden = call_api("POST", "/assets", as_user=add_user(admin, "customer"), json_body=truck,
                         headers={"origin": app})
    missing = call_api("GET", "/jobs/job_nope", as_user=admin, headers={"origin": app})
    too_big = call_api("POST", "/assets", as_user=admin, raw_body="x" * 300_000, headers={"origin": app})
    assert [forbidden.status, missing.status, too_big.status] == [403, 404, 413]
    for refused in (forbidden, missing, too_big):
        assert refused.headers["Access-Control-Allow-Origin"] == app, refused.status


def test_another_origin_gets_no_cors_header(app):
    admin = sign_up("fleet")
    for origin in ("https://evil.example", app + ".evil.example", None):
        r = call_api("GET", "/jobs", as_user=admin, headers={"origin": origin} if origin else {})
        assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers, origin
    too_big = call_api("POST", "/assets", as_user=admin, raw_body="x" * 300_000,
                       headers={"origin": "https://evil.example"})
    assert too_big.status == 413 and "Access-Control-Allow-Origin" not in too_big.headers


def test_a_preflight_is_answered_without_a_token_and_runs_no_route(app):
    from functions.jobs.handler import lambda_handler

    event = rest_event("OPTIONS", "/jobs/import", headers={"origin": app, "access-control-request-method": "POST",
                                                           "access-control-request-headers": "idempotency-key"})
    r = lambda_handler(event, cast(Any, LocalContext()))
    headers = headers_of(r)
    assert r["statusCode"] == 204 and r["body"] == ""
    assert headers["Access-Control-Allow-Origin"] == app
    assert {"POST", "PATCH", "DELETE"} <= set(headers["Access-Control-Allow-Methods"].split(","))
    allowed_headers = set(headers["Access-Control-Allow-Headers"].split(","))
    assert {"Authorization", "Content-Type", "Idempotency-Key"} <= allowed_headers
    assert headers["Access-Control-Max-Age"] == "600"
    foreign_event = rest_event("OPTIONS", "/jobs", headers={"origin": "https://evil.example"})
    foreign = lambda_handler(foreign_event, cast(Any, LocalContext()))
    assert foreign["statusCode"] == 204 and "Access-Control-Allow-Origin" not in headers_of(foreign)


def test_the_dev_server_passes_preflights_and_marks_its_own_errors(dev_server, app):
    preflight = httpx.request("OPTIONS", f"{dev_server.url}/jobs", headers={"Origin": app})  # no token
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == app
    unauthenticated = httpx.get(f"{dev_server.url}/jobs", headers={"Origin": app})
    assert unauthenticated.status_code == 401 and unauthenticated.headers["access-control-allow-origin"] == app
    elsewhere = httpx.get(f"{dev_server.url}/jobs", headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 401 and "access-control-allow-origin" not in elsewhere.headers
