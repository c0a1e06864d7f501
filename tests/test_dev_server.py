"""dev/server over real HTTP: the authorizer's answers, the event handlers get, what they return."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, cast

import httpx
import pytest

from dev import tokens
from dev.server import DevApiServer, serve_in_thread

ADMIN = {"sub": "usr_1", "org_id": "org_1", "role": "customer_admin", "email": "admin@example.com"}


def bearer(**claims: Any) -> dict[str, str]:
    user = {**ADMIN, **claims}
    token = tokens.mint(user["sub"], org_id=user["org_id"], role=user["role"], email=user["email"])
    return {"Authorization": f"Bearer {token}"}


def assert_error(r: httpx.Response, status: int, code: str, message_part: str = "") -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert error["code"] == code
    assert message_part in error["message"]
    assert error["details"] == []


# -- against the real handlers --

def test_no_token_is_401_without_reaching_the_handler(dev_server):
    r = httpx.get(f"{dev_server.url}/audit")
    assert_error(r, 401, "unauthenticated", "missing token")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (lambda: f"Bearer {tokens.mint('usr_1', issue=tokens.Issue(ttl=timedelta(hours=1), now=time.time() - 7200))}",
         "expired"),
        (lambda: f"Bearer {tokens.mint('usr_1', secret='k' * 40)}", "signature"),
        (lambda: f"Bearer {tokens.mint('usr_1', issue=tokens.Issue(issuer='cognito'))}", "issuer"),
        (lambda: "Basic dXNlcjpwYXNz", "Bearer"),
        (lambda: "Bearer not.a.jwt", "malformed"),
    ],
)
def test_bad_token_is_401_with_the_reason(dev_server, header, reason):
    r = httpx.get(f"{dev_server.url}/audit", headers={"Authorization": header()})
    assert_error(r, 401, "unauthenticated", reason)


def test_valid_token_reaches_the_handler(dev_server):
    r = httpx.get(f"{dev_server.url}/audit", headers=bearer())
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []
    assert r.headers["x-amzn-requestid"]


def test_bare_token_without_scheme_is_accepted(dev_server):
    token = bearer()["Authorization"].removeprefix("Bearer ")
    assert httpx.get(f"{dev_server.url}/audit", headers={"Authorization": token}).status_code == 200


def test_role_is_checked_by_the_handler(dev_server):
    r = httpx.get(f"{dev_server.url}/audit", headers=bearer(role="customer"))
    assert_error(r, 403, "forbidden")


def test_unknown_path_is_404_json(dev_server):
    r = httpx.get(f"{dev_server.url}/no/such/thing", headers=bearer())
    assert_error(r, 404, "not_found", "/no/such/thing")


def test_swagger_is_public_html_with_the_ui_inline(dev_server):
    r = httpx.get(f"{dev_server.url}/swagger")
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in r.text  # the bundle itself is in the page: no CDN
    assert "<script src=\"http" not in r.text


def test_the_openapi_document_is_public_and_its_server_is_the_dev_servers_root(dev_server):
    """Swagger's "Try it out" calls the document's server: the dev server's URLs carry no stage."""
    document = httpx.get(f"{dev_server.url}/openapi.json")
    assert document.status_code == 200 and document.headers["content-type"].startswith("application/json")
    assert document.json()["servers"] == [{"url": "/"}] and "/jobs" in document.json()["paths"]
    assert httpx.get(f"{dev_server.url}/swagger", params={"format": "json"}).json() == document.json()
    me = document.json()["servers"][0]["url"].rstrip("/") + "/me"  # a path as Swagger UI builds it
    assert httpx.get(f"{dev_server.url}{me}").status_code == 401  # a route (no token), not a 404


def test_behind_the_default_execute_api_url_the_documents_server_is_the_stage():
    from dev.apigw import LocalContext, rest_event
    from functions.docs.handler import lambda_handler

    event = rest_event("GET", "/openapi.json")
    event["requestContext"]["stage"] = "v1"
    event["requestContext"]["path"] = "/v1/openapi.json"  # https://{api}.execute-api.{region}.amazonaws.com/v1/...
    assert json.loads(lambda_handler(event, cast(Any, LocalContext()))["body"])["servers"] == [{"url": "/v1"}]


def test_public_route_answers_get_only(dev_server):
    assert_error(httpx.post(f"{dev_server.url}/swagger"), 404, "not_found")


# -- against a stand-in handler that shows the event it got --

class Echo:
    """A handler that answers with the event; optionally slow or failing, and counting overlap."""

    def __init__(self) -> None:
        self.running = 0
        self.max_running = 0
        self.delay = 0.0
        self.guard = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.guard:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            time.sleep(self.delay)
            if event["path"] == "/audit/boom":
                raise RuntimeError("kaput")
            if event["path"] == "/audit/binary":
                return {"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(b"\x00\xff").decode(),
                        "headers": {"Content-Type": "application/octet-stream"}}
            return {
                "statusCode": 201,
                "headers": {"Content-Type": "application/json", "X-One": "1", "Set-Cookie": "ignored=1"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": json.dumps(event),
                "isBase64Encoded": False,
            }
        finally:
            with self.guard:
                self.running -= 1


@pytest.fixture
def echo_server(dev_jwt_secret) -> Iterator[tuple[DevApiServer, Echo]]:
    echo = Echo()
    server = DevApiServer(("127.0.0.1", 0), load_handler=lambda name: echo, max_body_bytes=1000)
    thread = serve_in_thread(server)
    yield server, echo
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_event_is_an_api_gateway_rest_proxy_event(echo_server):
    server, _ = echo_server
    r = httpx.post(f"{server.url}/audit/x%20y?a=1&a=2&b=&c=3", headers={**bearer(), "X-Multi": "v"},
                   json={"hello": "world"})
    assert r.status_code == 201
    event = r.json()
    assert event["httpMethod"] == "POST"
    assert event["path"] == "/audit/x y"
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""], "c": ["3"]}
    assert event["queryStringParameters"] == {"a": "2", "b": "", "c": "3"}
    assert event["headers"]["x-multi"] == "v"
    assert event["multiValueHeaders"]["x-multi"] == ["v"]
    assert json.loads(event["body"]) == {"hello": "world"}
    assert event["isBase64Encoded"] is False
    claims = event["requestContext"]["authorizer"]["claims"]
    assert all(isinstance(v, str) for v in claims.values())
    assert {k: claims[k] for k in ("sub", "email", "custom:org_id", "custom:role", "iss", "aud")} == {
        "sub": "usr_1", "email": "admin@example.com", "custom:org_id": "org_1", "custom:role": "customer_admin",
        "iss": "fleetbridge-local", "aud": "fleetbridge",
    }
    assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}", claims["exp"])


def test_binary_body_is_base64_both_ways(echo_server):
    server, _ = echo_server
    r = httpx.put(f"{server.url}/audit", headers={**bearer(), "Content-Type": "image/png"}, content=b"\x89PNG\x00")
    event = r.json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x89PNG\x00"
    r = httpx.get(f"{server.url}/audit/binary", headers=bearer())
    assert r.content == b"\x00\xff"


def test_response_headers_merge_as_api_gateway_does(echo_server):
    server, _ = echo_server
    r = httpx.get(f"{server.url}/audit", headers=bearer())
    assert r.headers["x-one"] == "1"
    assert r.headers.get_list("set-cookie") == ["a=1", "b=2"]


def test_handler_exception_is_502_json(echo_server):
    server, _ = echo_server
    r = httpx.get(f"{server.url}/audit/boom", headers=bearer())
    assert_error(r, 502, "internal_error", "RuntimeError: kaput")


def test_body_over_the_limit_is_413_and_the_connection_stays_usable(echo_server):
    server, _ = echo_server
    with httpx.Client(base_url=server.url, headers=bearer()) as client:
        assert_error(client.post("/audit", content=b"x" * 1001), 413, "payload_too_large")
        assert client.post("/audit", content=b"x" * 1000).status_code == 201


def test_one_request_at_a_time_per_handler(echo_server):
    server, echo = echo_server
    echo.delay = 0.2
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(httpx.get(f"{server.url}/audit",
                                                                         headers=bearer()).status_code))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [201, 201, 201]
    assert echo.max_running == 1
