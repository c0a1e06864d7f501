"""A fleet's dispatch system, locally: receives our pushes, verifies each signature, keeps what it accepted.

`make dev` starts it on 127.0.0.1:3200 and seeds an active subscription of the demo fleet to it.
It checks deliveries as the README tells subscribers to (HMAC-SHA256 of "<t>.<delivery id>.<body>",
any `v1=`, `t` within 5 minutes), answers 400 to a bad signature, acknowledges a delivery id it
already has without keeping it twice, logs each delivery and writes it to `<out_dir>/<delivery id>.json`,
where `make refresh` (dev/refresh.py) reads them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dev.server import serve_in_thread

log = logging.getLogger("dev.push_subscriber")
PORT = 3200
TOLERANCE_SECONDS = 300


def verify(headers: dict[str, str], body: bytes, secrets: list[str]) -> str:
    """The delivery id of a genuine, fresh delivery; ValueError otherwise (the README's recipe)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    delivery_id = lowered.get("x-fleetbridge-delivery", "")
    fields = [f.split("=", 1) for f in lowered.get("x-fleetbridge-signature", "").split(",") if "=" in f]
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
        return f"http://127.0.0.1:{self.server_address[1]}/fleetbridge/push"

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
            path.write_text(json.dumps({"delivery_id": delivery_id, "received_at": time.time(),
                                        "payload": payload}, indent=1))
        assets = payload.get("assets") or []
        log.info("push %s verified: %s for %s, page %s/%s, %d assets", delivery_id, payload.get("type"),
                 payload.get("fleet_id") or payload.get("subscription_id"), payload.get("page", 1),
                 payload.get("pages", 1), len(assets))
        return 200


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
