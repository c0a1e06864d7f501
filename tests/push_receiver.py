"""A push subscriber for tests: a real local HTTP server that checks our deliveries as a subscriber would.

`verify()` is the subscriber's side of X-Fleetbridge-Signature, written from the docs (the README's
legacy recipe), not from our signing code: HMAC-SHA256 of "<t>.<delivery id>.<body>", compared in
constant time against every `v1=` of the header, with `t` within 5 minutes of the receiver's
clock. The server answers 400 to a bad signature, 500 while told to fail, and acknowledges a
delivery id it already accepted without accepting it twice. It keeps each request's headers and
body as they arrived, for the Standard Webhooks client to check (tests/test_push_standard_webhooks.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dev import dynamodb_local
from dev.stream_poller import StreamPoller
from tests.conftest import TEST_ENV

TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    """The request is not a genuine, fresh delivery."""


def verify(headers: dict[str, str], body: bytes, secrets: list[str], now: float | None = None) -> str:
    """The delivery id of a genuine, fresh delivery; raises BadSignature otherwise."""
    lowered = {k.lower(): v for k, v in headers.items()}
    delivery_id = lowered.get("x-fleetbridge-delivery", "")
    pairs = [p.split("=", 1) for p in lowered.get("x-fleetbridge-signature", "").split(",") if "=" in p]
    timestamps = [v for k, v in pairs if k == "t"]
    signatures = [v for k, v in pairs if k == "v1"]
    if not delivery_id or len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        raise BadSignature("missing delivery id, timestamp or signature")
    if abs((time.time() if now is None else now) - int(timestamps[0])) > TOLERANCE_SECONDS:
        raise BadSignature("timestamp outside the 5 minute window")
    signed = f"{timestamps[0]}.{delivery_id}.".encode() + body
    expected = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    if not any(hmac.compare_digest(e, given) for e in expected for given in signatures):
        raise BadSignature("no signature matches")
    return delivery_id


@dataclass
class Received:
    delivery_id: str | None
    headers: dict[str, str]
    body: bytes
    status: int  # what we answered

    def json(self) -> Any:
        return json.loads(self.body)


class PushReceiver:
    """The subscriber's endpoint. Set `secrets`, `fail_next` (answer 500 that many times), `delay`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or dynamodb_local.free_port()
        self.secrets: list[str] = []
        self.fail_next = 0
        self.delay = 0.0
        self.requests: list[Received] = []
        self.accepted: dict[str, Received] = {}  # by delivery id: each accepted once
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fleetbridge/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.handle(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Down: the port refuses connections until start() again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            try:
                delivery_id: str | None = verify(headers, body, self.secrets)
                status = 200
            except BadSignature:
                delivery_id, status = None, 400
            if status == 200 and self.fail_next > 0:
                self.fail_next -= 1
                status = 500
            received = Received(delivery_id, headers, body, status)
            self.requests.append(received)
            if status == 200 and delivery_id is not None:
                self.accepted.setdefault(delivery_id, received)  # a redelivery is acknowledged, not applied again
            return status


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[PushReceiver]:
    server = PushReceiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="stream")
def stream_fixture(dynamodb: Any, smtp: Any) -> Iterator[StreamPoller]:
    """The stream processor over the table's real stream, from this test's records on; `drain()` it.

    Emails (the outbox) land in the `smtp` sink.
    """
    poller = StreamPoller(table_name=TEST_ENV["TABLE_NAME"], endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"],
                          region=TEST_ENV["AWS_REGION"], start_position="LATEST")
    poller.poll_once()
    yield poller
    assert poller.dead_letters == []
