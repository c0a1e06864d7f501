"""Test fixtures: real DynamoDB Local on a free port, no network but loopback, handler calls.

The environment is set here, at import, before any handler module is imported: handlers read
their settings once at cold start, as they do in Lambda.
"""

from __future__ import annotations

import importlib
import ipaddress
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from dev import dynamodb_local
from dev.apigw import LocalContext, rest_event
from shared.api.catalog import handler_for_path
from shared.db import table as table_def

DYNAMODB_PORT = dynamodb_local.free_port()
SMTP_PORT = dynamodb_local.free_port()
COGNITO_PORT = dynamodb_local.free_port()
TEST_ENV = {
    "TABLE_NAME": "fleetbridge-test",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{DYNAMODB_PORT}",
    # the local Cognito (the `cognito` fixture): boto3 sends cognito-idp calls there
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": f"http://127.0.0.1:{COGNITO_PORT}",
    "USER_POOL_ID": "us-east-1_fleetbridgeTest",
    "MAILER": "smtp",
    "MAIL_FROM": "noreply@fleetbridge.test",
    "SECRETS_CIPHER": "local",
    "LOCAL_SECRET_KEY": "dGVzdC1vbmx5LWtleS0zMi1ieXRlcy1sb25nLi4uLi4=",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": str(SMTP_PORT),
    "ALLOW_LOOPBACK_HTTP": "true",
    "FLEETROCK_RETRY_BACKOFF_SECONDS": "0.01",  # retries are counted by the tests, not waited for
    "ORGANIZATIONS_PER_IP_PER_HOUR": "100000",  # every test signs up from 127.0.0.1 (one test sets a low limit)
    # customer portal: link signing keys (two: a rotation) and the pictures bucket (presigning needs no network)
    "PORTAL_SIGNING_KEYS": (
        "test2:test-only-portal-key-2-0123456789abcdef,test1:test-only-portal-key-1-0123456789abcdef"
    ),
    "PICTURES_BUCKET": "fleetbridge-test-pictures",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
os.environ.update(TEST_ENV)


# -- the real network is blocked: only loopback (DynamoDB Local, local servers) is reachable --
_real_connect = socket.socket.connect


def _loopback_only(sock: socket.socket, address: Any) -> Any:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            allowed = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = False
        if not allowed:
            raise ConnectionRefusedError(f"tests may not reach the network: {address!r}")
    return _real_connect(sock, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign,assignment]


@pytest.fixture(scope="session")
def dynamodb(cognito: Any) -> Iterator[Any]:
    """DynamoDB Local with the table created from shared.db.table (the CDK stack's definition); the local
    Cognito runs beside it (users' accounts follow the table through the stream: shared/orgs/accounts.py)."""
    proc = dynamodb_local.start(DYNAMODB_PORT)
    client = boto3.client("dynamodb", endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"])
    table_def.create_table(client, TEST_ENV["TABLE_NAME"])
    yield client
    dynamodb_local.stop(proc)


@pytest.fixture(autouse=True)
def clean_table(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touches the table starts from an empty one."""
    if "dynamodb" not in request.fixturenames:
        yield
        return
    client = request.getfixturevalue("dynamodb")
    yield
    table = boto3.resource("dynamodb", endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"]).Table(
        TEST_ENV["TABLE_NAME"]
    )
    scan_kwargs: dict[str, Any] = {"ProjectionExpression": "pk, sk"}
    with table.batch_writer() as batch:
        while True:
            page = table.scan(**scan_kwargs)
            for key in page["Items"]:
                batch.delete_item(Key=key)
            if "LastEvaluatedKey" not in page:
                break
            scan_kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert client is not None


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str:
        return str(self.json()["error"]["code"])


def claims_of(user: Any) -> dict[str, str]:
    """JWT claims as the authorizer hands them over, for a Caller/dict with user_id/org_id/role."""
    if isinstance(user, dict):  # an address in a token is a verified one (a confirmed sign-up) unless it says not
        return {"email_verified": "true", **user} if "email" in user else user
    claims = {"sub": user.user_id}
    if getattr(user, "email", None):
        claims["email"], claims["email_verified"] = user.email, "true"
    if getattr(user, "org_id", None):
        claims["custom:org_id"] = user.org_id
        claims["custom:role"] = str(user.role)
    return claims


def call_api(
    method: str,
    path: str,
    *,
    as_user: Any = None,
    json_body: Any = None,
    raw_body: str | bytes | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    source_ip: str = "127.0.0.1",
) -> ApiResponse:
    """Invoke the handler that serves `path` with a real API Gateway REST proxy event."""
    name = handler_for_path(path)
    assert name, f"no handler serves {path}"
    handler = importlib.import_module(f"functions.{name}.handler")
    body = json.dumps(json_body) if json_body is not None else raw_body
    hdrs = {"content-type": "application/json", **(headers or {})}
    q = {k: v if isinstance(v, list) else [str(v)] for k, v in (query or {}).items()}
    event = rest_event(method, path, claims=claims_of(as_user) if as_user else None, query=q, headers=hdrs,
                       body=body, source_ip=source_ip)
    result = handler.lambda_handler(event, LocalContext())
    headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items() if v}
    headers.update(result.get("headers") or {})
    return ApiResponse(status=result["statusCode"], headers=headers, body=result.get("body") or "")


# -- the local dev stack (dev/): the token signing key, the dev HTTP server on a free port --

DEV_JWT_SECRET = "test-only-dev-jwt-secret-0123456789abcdef"


@pytest.fixture
def dev_jwt_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """DEV_JWT_SECRET, the key dev/tokens signs and the dev server verifies with."""
    monkeypatch.setenv("DEV_JWT_SECRET", DEV_JWT_SECRET)
    return DEV_JWT_SECRET


@pytest.fixture
def dev_server(dynamodb: Any, dev_jwt_secret: str) -> Iterator[Any]:
    """The dev server (dev/server.py) serving the real handlers over HTTP; use its `.url`."""
    from dev.server import DevApiServer, serve_in_thread

    server = DevApiServer(("127.0.0.1", 0))
    thread = serve_in_thread(server)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="session")
def cognito() -> Iterator[Any]:
    """The local Cognito (dev/cognito.py: moto in this process, the CDK stack's pool settings) on a free
    port; each ID token it issues ran functions/token_claims against DynamoDB Local. A dev.cognito.LocalPool."""
    from dev.cognito import CognitoEmulator

    emulator = CognitoEmulator(COGNITO_PORT, region=TEST_ENV["AWS_REGION"], pool_id=TEST_ENV["USER_POOL_ID"])
    yield emulator.start()
    emulator.stop()


@pytest.fixture
def cognito_server(cognito: Any, dev_jwt_secret: str) -> Iterator[Any]:
    """The dev server as `make dev` runs it: ID tokens of the local Cognito, and dev/tokens' HS256 ones."""
    from dev.id_tokens import CognitoVerifier
    from dev.server import DevApiServer, serve_in_thread

    server = DevApiServer(("127.0.0.1", 0), cognito=CognitoVerifier(cognito))
    thread = serve_in_thread(server)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def smtp() -> Iterator[Any]:
    """The SMTP sink on the port the mailer sends to (SMTP_PORT); read `.messages` or `.wait_for(n)`."""
    from dev.smtp_sink import SmtpSink

    sink = SmtpSink(SMTP_PORT)
    sink.start()
    yield sink
    sink.stop()


class Mailbox:
    """Drives the stream processor from the table's real stream; the SMTP sink has what went out."""

    def __init__(self, poller: Any, smtp: Any) -> None:
        self.poller, self.smtp = poller, smtp

    def to(self, address: str) -> list[Any]:
        self.poller.drain()
        return [m for m in self.smtp.messages if m["To"] == address]


@pytest.fixture
def mailbox(smtp: Any) -> Iterator[Mailbox]:
    """Emails as they leave through outbox -> stream -> processor -> SMTP, from this test's records on."""
    from dev.stream_poller import StreamPoller

    poller = StreamPoller(table_name=TEST_ENV["TABLE_NAME"], endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"],
                          region=TEST_ENV["AWS_REGION"], start_position="LATEST")
    poller.poll_once()  # from now on: earlier tests' records are not ours
    yield Mailbox(poller, smtp)
    assert poller.dead_letters == []


# -- Fleetrock (fleetrock.md): the stand-in server, and the stream from this test's records on --

FLEETROCK_USERNAME = "owner"
FLEETROCK_API_KEY = "fr-test-api-key-4c1d9e"


@pytest.fixture
def fleetrock() -> Iterator[Any]:
    """The Fleetrock stand-in (dev/fleetrock_standin.py) on a free port; its login URL is `.url`."""
    from dev.fleetrock_standin import FleetrockStandin
    from tests import fleetrock_support

    standin = FleetrockStandin(accounts={FLEETROCK_USERNAME: FLEETROCK_API_KEY}).start()
    fleetrock_support.FLEETROCK.append(standin)  # the Fleetrock `send` changes before it sends a webhook
    yield standin
    fleetrock_support.FLEETROCK.remove(standin)
    standin.stop()


@pytest.fixture
def stream(dynamodb: Any, smtp: Any) -> Any:
    """A StreamPoller over the table's real stream, from this test's records on; `drain()` runs the processor
    (emails included: the SMTP sink listens)."""
    from dev.stream_poller import StreamPoller

    poller = StreamPoller(table_name=TEST_ENV["TABLE_NAME"], endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"],
                          region=TEST_ENV["AWS_REGION"], start_position="LATEST", backoff_seconds=0.05)
    poller.poll_once()
    return poller


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """Each test's outcome on its item (`rep_call`), for fixtures that keep evidence of a failure (the
    browser tests' screenshots)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.rep_call = report


# The files that take longest (a minute or so each, `pytest --durations`), in that order: started first,
# so that `make test`'s two workers (`--dist loadfile`: a file stays on one worker) never begin one of
# them when everything else is done. Only the order changes; every test still runs.
LONGEST_FILES = (
    "test_fuzz.py", "test_fuzz_second_half.py", "test_fleetrock_load.py", "test_role_matrix.py",
    "test_faults_dynamodb_refresh.py", "test_infra.py", "test_faults_dynamodb.py", "test_vendor_search.py",
    "test_throttling.py", "test_dev_run.py", "test_push_deliveries.py", "test_settings_and_events.py",
    "test_concurrency_connections.py", "test_fleetrock_webhook.py", "test_fleetrock_apply.py",
)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    rank = {name: n for n, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
