"""The Fleetrock stand-in: a real local HTTP server speaking the part of Fleetrock's API we use.

It is the executable contract of what we assume about Fleetrock (fleetrock.md): `GET
{login}/API/GetToken?username=&key=` -> `{"token"}`; `GetRO` by `event=&start=&end=` (dates,
US Eastern) or by `ID=` -> `{"repair_orders": [...]}`; `GetUnits` -> `{"units": [...]}`;
`POST AddUnit` / `UpdateUnit` with `{"username", "units": [...]}` -> `{"response": [{"result":
"success", "id"}]}`. Calls pass `username=` and `token=` (or the raw API key) as query parameters.
It keeps everything in memory, sends signed webhooks, and can be told to fail (5xx), throttle
(403), delay, or drop (do the work, then close the connection without an answer).

Tests drive it in-process; `make dev` starts one on port 3100 and it answers control calls too:
    POST /_standin/repair_orders   {"id", "vin", "status", ...}  upsert and send a webhook to every target
    POST /_standin/faults          {"fail": n, "status": 503, "throttle": n, "drop": n, "delay": seconds}
    POST /_standin/webhook_targets {"url", "secret"}  send webhooks there too (a new secret replaces the URL's old one)
    GET  /_standin/state           units, repair orders, calls
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from dev.server import serve_in_thread

EASTERN = ZoneInfo("America/New_York")
API_CALLS = ("GetToken", "GetRO", "GetUnits", "AddUnit", "UpdateUnit")


def eastern_now() -> str:
    """Fleetrock's date format: US Eastern, no zone."""
    return datetime.now(EASTERN).strftime("%Y-%m-%d %H:%M:%S")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FleetrockStandin(ThreadingHTTPServer):
    """Start with `start()`, stop with `stop()`; the login URL is `.url` (the API is at `.url + "/API"`)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int] = ("127.0.0.1", 0), accounts: dict[str, str] | None = None) -> None:
        super().__init__(address, _Handler)
        self.accounts = dict(accounts or {})  # username -> API key
        self.tokens: dict[str, str] = {}  # token -> username
        self.units: dict[str, dict[str, Any]] = {}
        self.repair_orders: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (call, params or body): what we were asked
        self.webhook_targets: list[tuple[str, str]] = []  # (url, secret)
        self.lock = threading.RLock()
        self._faults: dict[str, Any] = {"fail": 0, "status": 503, "throttle": 0, "drop": 0, "delay": 0.0}
        self._unit_ids = itertools.count(1)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FleetrockStandin:
        self._thread = serve_in_thread(self, name="fleetrock-standin", poll_seconds=0.05)
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(5)

    # -- switches ------------------------------------------------------------------------------
    def set_faults(self, *, fail: int = 0, status: int = 503, throttle: int = 0, drop: int = 0,
                   delay: float = 0.0) -> None:
        """The next `fail` API calls answer `status`, then `throttle` answer 403, then `drop` are dropped."""
        with self.lock:
            self._faults = {"fail": fail, "status": status, "throttle": throttle, "drop": drop, "delay": delay}

    def clear_faults(self) -> None:
        self.set_faults()

    def take_fault(self) -> tuple[str, Any]:
        """The fault for this call (counted down), or ("", None)."""
        with self.lock:
            f = self._faults
            delay = float(f["delay"])
            found: tuple[str, Any] = ("", None)
            for kind in ("fail", "throttle", "drop"):
                if f[kind] > 0:
                    f[kind] -= 1
                    found = (kind, f["status"] if kind == "fail" else 403 if kind == "throttle" else None)
                    break
        if delay:
            time.sleep(delay)  # a slow Fleetrock: our client's timeout decides
        return found

    # -- data ----------------------------------------------------------------------------------
    def add_account(self, username: str, api_key: str) -> None:
        with self.lock:
            self.accounts[username] = api_key

    def put_unit(self, unit: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            stored = {"id": str(unit.get("id") or f"U{next(self._unit_ids)}"), **unit}
            stored["id"] = str(stored["id"])
            self.units[stored["id"]] = stored
            return stored

    def units_with_vin(self, vin: str) -> list[dict[str, Any]]:
        with self.lock:
            return [u for u in self.units.values() if str(u.get("vin", "")).upper() == vin.upper()]

    def put_repair_order(self, order: dict[str, Any]) -> dict[str, Any]:
        """Upsert a repair order; `date_updated` is now unless given (Fleetrock's own clock)."""
        with self.lock:
            ro_id = str(order["id"])
            stored = {**self.repair_orders.get(ro_id, {"date_created": eastern_now()}), **order, "id": ro_id}
            stored.setdefault("tasks", [])
            if "date_updated" not in order:  # Fleetrock's clock, a second apart at least per repair order
                previous = self.repair_orders.get(ro_id, {}).get("date_updated")
                now = eastern_now()
                if previous and now <= previous:
                    now = (datetime.fromisoformat(previous) + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
                stored["date_updated"] = now
            if stored.get("status") in ("Waiting", "In Progress") and not stored.get("date_started"):
                stored["date_started"] = stored["date_updated"]
            self.repair_orders[ro_id] = stored
            return dict(stored)

    # -- webhooks ------------------------------------------------------------------------------
    def add_webhook_target(self, url: str, secret: str) -> None:
        """Send webhooks to `url`, signed with `secret` (which replaces that URL's old one: a rotation)."""
        with self.lock:
            self.webhook_targets = [(u, s) for u, s in self.webhook_targets if u != url] + [(url, secret)]

    @staticmethod
    def webhook_body(event: str, data: Any, *, event_id: str | None = None, sent_at: str | None = None) -> bytes:
        envelope = {"event": event, "event_id": event_id or f"evt_{secrets.token_hex(8)}",
                    "sent_at": sent_at or datetime.now(UTC).isoformat().replace("+00:00", "Z"), "data": data}
        return json.dumps(envelope, separators=(",", ":")).encode()

    @staticmethod
    def post_webhook(url: str, secret: str, body: bytes, *, signature: str | None = None,
                     content_type: str = "application/json") -> tuple[int, str]:
        """POST a signed body to `url`: (HTTP status, body)."""
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": content_type, "X-Fleetrock-Signature": signature or sign(secret, body)})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def send_webhook(self, url: str, secret: str, event: str, data: Any, **envelope: str | None) -> tuple[int, str]:
        return self.post_webhook(url, secret, self.webhook_body(event, data, **envelope))

    def notify(self, event: str, data: Any) -> list[tuple[int, str]]:
        """Send one event to every webhook target."""
        with self.lock:
            targets = list(self.webhook_targets)
        return [self.send_webhook(url, secret, event, data) for url, secret in targets]

    # -- the API -------------------------------------------------------------------------------
    def api(self, call: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls.append((call, dict(body) if isinstance(body, dict) else dict(query)))
            if call == "GetToken":
                if self.accounts.get(query.get("username", "")) != query.get("key") or not query.get("key"):
                    return 401, {"error": "Invalid username or API key"}
                token = secrets.token_hex(16)
                self.tokens[token] = query["username"]
                return 200, {"token": token}
            username, token = query.get("username", ""), query.get("token", "")
            if self.tokens.get(token) != username and self.accounts.get(username) != token:
                return 401, {"error": "Invalid token"}
            if call == "GetRO":
                return 200, {"repair_orders": self._find_repair_orders(query)}
            if call == "GetUnits":
                return 200, {"units": [dict(u) for u in self.units.values()]}
            units = body.get("units") if isinstance(body, dict) else None
            if not isinstance(units, list):
                return 400, {"error": "send {username, units: [...]}"}
            return 200, {"response": [self._write_unit(call, u) for u in units]}

    def _find_repair_orders(self, query: dict[str, str]) -> list[dict[str, Any]]:
        if "ID" in query:
            found = self.repair_orders.get(query["ID"])
            return [dict(found)] if found else []
        field = f"date_{query.get('event', 'created')}"
        start = date.fromisoformat(query.get("start") or "1970-01-01")
        end = date.fromisoformat(query.get("end") or "2999-12-31")
        return [dict(o) for o in self.repair_orders.values()
                if o.get(field) and start <= date.fromisoformat(str(o[field])[:10]) <= end]

    def _write_unit(self, call: str, unit: Any) -> dict[str, Any]:
        if not isinstance(unit, dict) or not unit.get("vin"):
            return {"result": "error", "message": "a unit needs a vin"}
        if call == "AddUnit":
            return {"result": "success", "id": self.put_unit({k: v for k, v in unit.items() if k != "id"})["id"]}
        stored = self.units.get(str(unit.get("id", "")))
        if stored is None:
            return {"result": "error", "message": f"no unit {unit.get('id')}"}
        stored.update(unit)
        return {"result": "success", "id": stored["id"]}

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"units": list(self.units.values()), "repair_orders": list(self.repair_orders.values()),
                    "calls": [c for c, _ in self.calls]}


class _Handler(BaseHTTPRequestHandler):
    server: FleetrockStandin
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # query strings hold API keys and tokens: never logged

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_GET

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._send(400, {"error": "the body is not JSON"})
            return
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path.startswith("/_standin/"):
            self._control(url.path.removeprefix("/_standin/"), body)
            return
        call = url.path.removeprefix("/API/")
        if not url.path.startswith("/API/") or call not in API_CALLS:
            self._send(404, {"error": f"no such call {url.path}"})
            return
        fault, status = self.server.take_fault()
        if fault == "fail" or fault == "throttle":
            self._send(int(status), {"error": "throttled" if fault == "throttle" else "server error"})
            return
        result_status, result = self.server.api(call, query, body)
        if fault == "drop":  # the work is done, the answer is lost
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._send(result_status, result)

    def _control(self, what: str, body: Any) -> None:
        s = self.server
        if what == "state" and self.command == "GET":
            self._send(200, s.state())
        elif what == "faults" and isinstance(body, dict):
            s.set_faults(**{k: body[k] for k in ("fail", "status", "throttle", "drop", "delay") if k in body})
            self._send(200, {"ok": True})
        elif what == "repair_orders" and isinstance(body, dict) and body.get("id"):
            order = s.put_repair_order(body)
            threading.Thread(target=s.notify, args=("repair_order.updated", order), daemon=True).start()
            self._send(202, order)
        elif what == "webhook_targets" and isinstance(body, dict) and body.get("url") and body.get("secret"):
            s.add_webhook_target(str(body["url"]), str(body["secret"]))
            self._send(200, {"ok": True})
        elif what == "units" and isinstance(body, dict) and body.get("vin"):
            self._send(201, s.put_unit(body))
        else:
            self._send(404, {"error": f"no control call {self.command} {what}"})

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:  # pragma: no cover - a manual tool
    import argparse

    parser = argparse.ArgumentParser(description="Run the Fleetrock stand-in alone.")
    parser.add_argument("--port", type=int, default=3100)
    parser.add_argument("--username", default="demo")
    parser.add_argument("--api-key", default="demo-api-key")
    args = parser.parse_args()
    standin = FleetrockStandin(("127.0.0.1", args.port), {args.username: args.api_key})
    print(f"Fleetrock stand-in on {standin.url} (API at {standin.url}/API)")
    standin.serve_forever()


if __name__ == "__main__":
    main()
