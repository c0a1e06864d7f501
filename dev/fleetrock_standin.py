"""The Fleetrock stand-in: a real local HTTP server that behaves only as docs/fleetrock-contract.md's evidence says.

It reads its rules from shared/fleetrock/remote/contract.py (the contract as code): `GET
{login}/API/GetToken?username=&key=` -> `{"token"}`; `GetRO?event=E&start=&end=` with E in
started | finished | invoiced (`created` is refused unless `allow_created`: never seen in public
code) and ISO 8601 date-times at most one month apart (a longer window is refused, as a pipeline
reports); `GetRO?id=` (lower case) for one order -> `{"repair_orders": [...]}` with the public
field list (tasks, parts, notes, meters) and **no date_updated**, dates written as US
`MM/DD/YYYY hh:mm AM|PM` without a zone (UTC); `GetUnits` -> `{"units": [...]}`; `POST AddUnit` /
`UpdateUnit` (assumed) with `{"username", "units": [...]}` -> `{"response": [{"result": "success",
"id"}]}`. Calls pass `username=` and `token=` (or the raw API key) as query parameters.

It keeps everything in memory, sends signed webhooks in two envelopes (ours: JSON `{"event",
"event_id", "sent_at", "data"}` signed `X-Fleetrock-Signature: sha256=<hex>`; bare: a form body
`ro_id=<id>` signed `X-Signature: <base64>`), serves scheduled-maintenance items with intervals
(by webhook only: no read call is known), and can be told to fail (5xx), throttle (403), delay, or
drop (do the work, then close the connection without an answer).

Tests drive it in-process; `make dev` starts one on port 3100 and it answers control calls too:
    POST /_standin/repair_orders     {"id", "vin", "status", ...}  upsert and send a webhook to every target
    POST /_standin/maintenance_items {"id", "vin", "status", "interval_days", ...}  upsert and send
    POST /_standin/test_webhook      {}  "Send Test Webhook" to every target
    POST /_standin/faults            {"fail": n, "status": 503, "throttle": n, "drop": n, "delay": seconds}
    POST /_standin/webhook_targets   {"url", "secret", "envelope": "bare" | "ours"}  (a new secret replaces the old)
    GET  /_standin/state             units, repair orders, maintenance items, calls
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from dev.server import serve_in_thread
from shared.fleetrock.remote import contract
from shared.fleetrock.remote.dates import parse_time

API_CALLS = ("GetToken", "GetRO", *contract.UNIT_CALLS_SEEN, *contract.UNIT_CALLS_ASSUMED)
US_FORMAT = "%m/%d/%Y %I:%M %p"  # as a public client parses them: a US date, then a time; no zone (UTC)
STATUS_DATES = {"Waiting": "date_started", "In Progress": "date_started", "Finished": "date_finished",
                "Invoiced": "date_invoiced", "Paid": "date_invoice_paid"}
ENVELOPES = ("ours", "bare")


def us_time(at: datetime | None = None) -> str:
    """Fleetrock's date format as the evidence shows it: US `MM/DD/YYYY hh:mm AM|PM`, UTC, no zone."""
    return (at or datetime.now(UTC)).astimezone(UTC).strftime(US_FORMAT)


def sign(secret: str, body: bytes) -> str:
    """Our envelope's signature: `sha256=<hex HMAC-SHA256>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign_base64(secret: str, body: bytes) -> str:
    """The bare form's signature: base64 of the HMAC-SHA256, no prefix."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Refused(Exception):
    """A call Fleetrock refuses: 400 (an event it does not serve), or, `in_body`, a 200 whose body says
    `"result": "error"` (how a public client reads some refusals): a window over a month."""

    def __init__(self, message: str, *, in_body: bool = False) -> None:
        super().__init__(message)
        self.in_body = in_body


class FleetrockStandin(ThreadingHTTPServer):
    """Start with `start()`, stop with `stop()`; the login URL is `.url` (the API is at `.url + "/API"`)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int] = ("127.0.0.1", 0), accounts: dict[str, str] | None = None) -> None:
        super().__init__(address, _Handler)
        self.accounts = dict(accounts or {})  # username -> API key
        self.tokens: dict[str, str] = {}  # token -> username
        self.units: dict[str, dict[str, Any]] = {}
        self.repair_orders: dict[str, dict[str, Any]] = {}
        self.maintenance_items: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (call, params or body): what we were asked
        self.webhook_targets: list[tuple[str, str, str]] = []  # (url, secret, envelope)
        self.allow_created = False  # GetRO event=created: refused, as nothing public shows it served
        self.tokens_served = True  # False: an account with API tokens off (the API key is the token)
        self.unit_refusal: str | None = None  # AddUnit / UpdateUnit answer `result: error` with this message
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
        """Upsert a repair order as Fleetrock keeps it: the public field list, US dates, no date_updated.

        A status change stamps its date (date_started for Waiting / In Progress, date_finished...)
        unless given."""
        with self.lock:
            ro_id = str(order["id"])
            stored = {**self.repair_orders.get(ro_id, _new_repair_order(ro_id)), **order, "id": ro_id}
            stored.pop("date_updated", None)  # Fleetrock has none (contract: repair-order fields)
            field = STATUS_DATES.get(str(stored.get("status")))
            if field and not stored.get(field):
                stored[field] = us_time()
            self.repair_orders[ro_id] = stored
            return dict(stored)

    def put_maintenance_item(self, item: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            sm_id = str(item["id"])
            stored = {**self.maintenance_items.get(sm_id, {"status": "Scheduled", "recurring": True}), **item,
                      "id": sm_id}
            self.maintenance_items[sm_id] = stored
            return dict(stored)

    # -- webhooks ------------------------------------------------------------------------------
    def add_webhook_target(self, url: str, secret: str, envelope: str = "ours") -> None:
        """Send webhooks to `url` in that envelope, signed with `secret` (which replaces that URL's old one)."""
        if envelope not in ENVELOPES:
            raise ValueError(f"envelope is one of {ENVELOPES}")
        with self.lock:
            self.webhook_targets = [t for t in self.webhook_targets if t[0] != url] + [(url, secret, envelope)]

    @staticmethod
    def webhook_body(event: str, data: Any, *, event_id: str | None = None, sent_at: str | None = None) -> bytes:
        """Our envelope, JSON."""
        envelope = {"event": event, "event_id": event_id or f"evt_{secrets.token_hex(8)}",
                    "sent_at": sent_at or datetime.now(UTC).isoformat().replace("+00:00", "Z"), "data": data}
        return json.dumps(envelope, separators=(",", ":")).encode()

    @staticmethod
    def bare_body(ro_id: str) -> bytes:
        """The bare envelope: a form body naming the order, nothing else."""
        return urlencode({"ro_id": ro_id}).encode()

    @staticmethod
    def post_webhook(url: str, secret: str, body: bytes, *, signature: str | None = None,
                     content_type: str = "application/json", header: str = "X-Fleetrock-Signature") -> tuple[int, str]:
        """POST a signed body to `url`: (HTTP status, body)."""
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": content_type, header: signature or sign(secret, body)})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def send_webhook(self, url: str, secret: str, event: str, data: Any, **envelope: str | None) -> tuple[int, str]:
        return self.post_webhook(url, secret, self.webhook_body(event, data, **envelope))

    def send_to(self, target: tuple[str, str, str], event: str, data: Any) -> tuple[int, str]:
        """One event to one target, in its envelope: a repair order's goes bare as `ro_id=` alone."""
        url, secret, envelope = target
        if envelope == "bare" and event.startswith("repair_order") and isinstance(data, dict):
            body = self.bare_body(str(data["id"]))
            return self.post_webhook(url, secret, body, signature=sign_base64(secret, body),
                                     content_type="application/x-www-form-urlencoded", header="X-Signature")
        body = self.webhook_body(event, data)
        signature = sign_base64(secret, body) if envelope == "bare" else sign(secret, body)
        return self.post_webhook(url, secret, body, signature=signature,
                                 header="X-Signature" if envelope == "bare" else "X-Fleetrock-Signature")

    def notify(self, event: str, data: Any) -> list[tuple[int, str]]:
        """Send one event to every webhook target."""
        with self.lock:
            targets = list(self.webhook_targets)
        return [self.send_to(target, event, data) for target in targets]

    # -- the API -------------------------------------------------------------------------------
    def api(self, call: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls.append((call, dict(body) if isinstance(body, dict) else dict(query)))
            if call == "GetToken":
                if not self.tokens_served:
                    return 400, {"result": "error", "message": "API tokens are not enabled for this account"}
                if self.accounts.get(query.get("username", "")) != query.get("key") or not query.get("key"):
                    return 401, {"error": "Invalid username or API key"}
                token = secrets.token_hex(16)
                self.tokens[token] = query["username"]
                return 200, {"token": token}
            username, token = query.get("username", ""), query.get("token", "")
            if self.tokens.get(token) != username and self.accounts.get(username) != token:
                return 401, {"error": "Invalid token"}
            if call == "GetRO":
                try:
                    return 200, {"repair_orders": self._find_repair_orders(query)}
                except Refused as exc:
                    if exc.in_body:
                        return 200, {"result": "error", "message": str(exc)}
                    return 400, {"error": str(exc)}
            if call == "GetUnits":
                return 200, {"units": [dict(u) for u in self.units.values()]}
            units = body.get("units") if isinstance(body, dict) else None
            if not isinstance(units, list):
                return 400, {"error": "send {username, units: [...]}"}
            return 200, {"response": [self._write_unit(call, u) for u in units]}

    def _find_repair_orders(self, query: dict[str, str]) -> list[dict[str, Any]]:
        if contract.GETRO_BY_ID_PARAM in query:
            found = self.repair_orders.get(query[contract.GETRO_BY_ID_PARAM])
            return [dict(found)] if found else []
        event = query.get("event", "")
        if event not in contract.GETRO_EVENTS and not (self.allow_created and event in contract.GETRO_UNSEEN_EVENTS):
            raise Refused(f"Invalid event {event!r}")
        try:
            start, end = _iso(query.get("start")), _iso(query.get("end"))
        except ValueError:
            raise Refused("start and end must be ISO 8601 date-times") from None
        if end - start > timedelta(days=contract.GETRO_MAX_WINDOW_DAYS) or end < start:
            raise Refused("You can only download 1 month at a time", in_body=True)
        field = f"date_{event}"
        return [dict(o) for o in self.repair_orders.values()
                if o.get(field) and start <= (parse_time(o[field]) or start) < end]

    def _write_unit(self, call: str, unit: Any) -> dict[str, Any]:
        if self.unit_refusal:
            return {"result": "error", "message": self.unit_refusal}
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
                    "maintenance_items": list(self.maintenance_items.values()), "calls": [c for c, _ in self.calls]}


def _new_repair_order(ro_id: str) -> dict[str, Any]:
    """A repair order with the public field list (a pipeline's), before what the caller sets."""
    return {"id": ro_id, "group": "", "vin": "", "unit_number": "", "unit_type": "Truck", "custom_asset_id": "",
            "vendor_name": "", "customer_name": "", "odometer_miles": None, "engine_hours": None,
            "priority_code": "", "status": "Not Started", "date_created": us_time(), "date_started": "",
            "date_expected_finish": "", "date_finished": "", "date_invoiced": "", "date_invoice_paid": "",
            "total_labor": 0, "total_parts": 0, "grand_total": 0, "tasks": [], "notes": []}


def _iso(value: str | None) -> datetime:
    """A GetRO start/end: an ISO 8601 date-time (a zone or UTC)."""
    if not value or "T" not in value:
        raise ValueError("not a date-time")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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
        elif what == "maintenance_items" and isinstance(body, dict) and body.get("id"):
            item = s.put_maintenance_item(body)
            threading.Thread(target=s.notify, args=("scheduled_maintenance.updated", {"items": [item]}),
                             daemon=True).start()
            self._send(202, item)
        elif what == "test_webhook":
            self._send(200, {"answers": s.notify("test", {})})
        elif what == "webhook_targets" and isinstance(body, dict) and body.get("url") and body.get("secret"):
            envelope = str(body.get("envelope") or "ours")
            if envelope not in ENVELOPES:
                self._send(400, {"error": f"envelope is one of {ENVELOPES}"})
                return
            s.add_webhook_target(str(body["url"]), str(body["secret"]), envelope)
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
