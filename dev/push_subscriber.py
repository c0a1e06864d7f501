"""A fleet's dispatch system, locally: receives our pushes, verifies each signature, keeps what it accepted.

`make dev` starts it on 127.0.0.1:3200 and seeds an active subscription of the demo fleet to it.
It checks deliveries as the README tells subscribers to: the `webhook-*` headers with the official
`standardwebhooks` package when they are present and it holds a Standard Webhooks secret, else the
legacy `X-Fleetbridge-Signature` recipe. It answers 400 to a bad signature, acknowledges a delivery
id it already has without keeping it twice, logs each delivery and writes it to
`<out_dir>/<delivery id>.json` (`make refresh`, dev/refresh.py, reads them) with the headers we
sent beside it in `<delivery id>.headers.json`, so a stored delivery can be verified again:
`Webhook(secret).verify(stored["body"], headers)` (within 5 minutes; later, compare
`Webhook(secret).sign(...)` with webhook-signature, as that check refuses old timestamps).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from dev.server import serve_in_thread
from shared.push import signing

log = logging.getLogger("dev.push_subscriber")
PORT = 3200
PATH = "/fleetbridge/push"
DEFAULT_URL = f"http://127.0.0.1:{PORT}{PATH}"
TOLERANCE_SECONDS = 300
HEADERS_SUFFIX = ".headers.json"
KEPT_HEADERS = ("content-type", "user-agent")  # and every webhook-* and x-fleetbridge-* header


def verify(headers: dict[str, str], body: bytes, secrets: list[str]) -> str:
    """The delivery id of a genuine, fresh delivery; ValueError otherwise.

    A legacy secret cannot sign webhook-* (shared/push/signing.py), so holding only legacy ones
    means the legacy recipe even when webhook-* headers are there.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    standard = [s for s in secrets if signing.standard_key(s) is not None]
    if signing.WEBHOOK_SIGNATURE in lowered and standard:
        return verify_standard(lowered, body, standard)
    return verify_legacy(lowered, body, secrets)


def verify_standard(headers: dict[str, str], body: bytes, secrets: list[str]) -> str:
    """Standard Webhooks, by its official package: any of our secrets, 5 minutes of tolerance."""
    reasons = []
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return headers[signing.WEBHOOK_ID]
        except (WebhookVerificationError, ValueError) as exc:  # ValueError: a malformed signature
            reasons.append(str(exc))
    raise ValueError(f"webhook-signature: {', '.join(reasons)}")


def verify_legacy(headers: dict[str, str], body: bytes, secrets: list[str]) -> str:
    """The README's legacy recipe: hex HMAC-SHA256 of "<t>.<delivery id>.<body>", any `v1=`, `t` within 5 minutes."""
    delivery_id = headers.get("x-fleetbridge-delivery", "")
    fields = [f.split("=", 1) for f in headers.get("x-fleetbridge-signature", "").split(",") if "=" in f]
    stamps = [v for k, v in fields if k == "t"]
    if not delivery_id or len(stamps) != 1 or not stamps[0].isdigit():
        raise ValueError("no delivery id or timestamp")
    if abs(time.time() - int(stamps[0])) > TOLERANCE_SECONDS:
        raise ValueError("signed more than 5 minutes ago")
    signed = f"{stamps[0]}.{delivery_id}.".encode() + body
    macs = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    if not any(hmac.compare_digest(mac, v) for mac in macs for k, v in fields if k == "v1"):
        raise ValueError("no signature matches")
    return delivery_id


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers we sent that a verifier needs (not the transport's: Host, Content-Length…)."""
    return {k: v for k, v in headers.items()
            if k.lower() in KEPT_HEADERS or k.lower().startswith(("webhook-", "x-fleetbridge-"))}


def stored_deliveries(out_dir: Path) -> Iterator[dict[str, Any]]:
    """What the subscriber kept: {"delivery_id", "received_at", "payload", "body"} each."""
    for path in out_dir.glob("*.json"):
        if not path.name.endswith(HEADERS_SUFFIX):
            yield json.loads(path.read_text())


def stored_headers(out_dir: Path, delivery_id: str) -> dict[str, str]:
    found: dict[str, str] = json.loads((out_dir / f"{delivery_id}{HEADERS_SUFFIX}").read_text())
    return found


def _write(path: Path, content: Any) -> None:
    """Whole or not at all: `make refresh` reads these while we write."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(content, indent=1))
    os.replace(partial, path)


class PushSubscriber(ThreadingHTTPServer):
    """`secrets` are the subscription secrets it accepts (set when the seed creates the subscription)."""

    daemon_threads = True

    def __init__(self, out_dir: Path, port: int = PORT) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.out_dir = out_dir
        self.secrets: list[str] = []
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{PATH}"

    def start(self) -> PushSubscriber:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for old in self.out_dir.glob("*.json"):  # the previous run's; its data is gone
            old.unlink()
        self._thread = serve_in_thread(self, name="dev-push-subscriber")
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        try:
            delivery_id = verify(headers, body, self.secrets)
        except ValueError as exc:
            log.warning("push rejected: %s", exc)
            return 400
        path = self.out_dir / f"{delivery_id}.json"
        with self.lock:
            if path.exists():
                return 200  # a redelivery: acknowledged, kept once
            payload: dict[str, Any] = json.loads(body)
            _write(self.out_dir / f"{delivery_id}{HEADERS_SUFFIX}", kept_headers(headers))
            _write(path, {"delivery_id": delivery_id, "received_at": time.time(), "payload": payload,
                          "body": body.decode()})  # the exact body, to verify it again
        log.info("push %s verified: %s", delivery_id, describe(payload))
        return 200


def describe(payload: dict[str, Any]) -> str:
    """One line on what a delivery says, for the dev log."""
    kind = payload.get("type")
    if kind == "status_changed":
        def top(state: dict[str, Any] | None) -> str:
            return "deleted" if state is None else f"{state['asset_status']}/{state['maintenance_status'] or 'ok'}"

        current = payload.get("current") or payload.get("previous") or {}
        return (f"status_changed of {current.get('unit_number', payload.get('asset_id'))} #{payload.get('sequence')}: "
                f"{top(payload.get('previous'))} -> {top(payload.get('current'))} ({payload.get('cause')})")
    if kind == "snapshot":
        return (f"snapshot of {payload.get('fleet_id')}, page {payload.get('page')}/{payload.get('pages')}, "
                f"{len(payload.get('assets') or [])} assets")
    return f"{kind} for {payload.get('fleet_id')}"


class _Handler(BaseHTTPRequestHandler):
    server: PushSubscriber

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = self.server.receive(dict(self.headers.items()), body)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
