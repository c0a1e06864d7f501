"""The local API Gateway: HTTP on localhost -> REST proxy event -> the Lambda handler, in process.

Each request is checked the way API Gateway's Cognito authorizer would: a Bearer ID token of the
local Cognito pool (dev/id_tokens.py; `make dev` runs it, dev/cognito.py) or, a shortcut for tests
and scripts that AWS does not have, a token signed with the local HS256 key (dev/tokens.py,
`python -m dev.token`); then it is turned into the same proxy event (dev/apigw.rest_event) and handed to the handler
that serves the path in AWS (shared.api.catalog), so handlers run unchanged.

Handlers run one request at a time, behind one lock: Powertools keeps the event being resolved
on a class attribute (`BaseRouter.current_event`, shared by every resolver in the process), so
two requests resolved at once, even by two different handlers, could read each other's event
and caller. In Lambda one instance serves one request at a time, so this never arises there.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import socketserver
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt

from dev import tokens
from dev.apigw import LocalContext, rest_event
from shared.api import catalog
from shared.api.cors import app_origin
from shared.settings import get_settings

if TYPE_CHECKING:
    from dev.id_tokens import CognitoVerifier

log = logging.getLogger("dev.server")

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_TEXT_TYPES = ("text/", "application/json", "+json", "application/xml", "+xml",
               "application/x-www-form-urlencoded", "application/csv", "application/javascript")


def import_handler(name: str) -> LambdaHandler:
    """`functions.<name>.handler.lambda_handler`, imported (cold start) on first use."""
    module = importlib.import_module(f"functions.{name}.handler")
    handler: LambdaHandler = module.lambda_handler
    return handler


def public_handlers() -> frozenset[str]:
    """Handlers behind no authorizer, answering GET only (the same list infra/constructs/api.py uses)."""
    return catalog.PUBLIC_HANDLERS


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": []}}).encode()


def _is_text(content_type: str) -> bool:
    ct = content_type.split(";", 1)[0].strip().lower()
    return any(t in ct for t in _TEXT_TYPES)


def _merged_headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    """API Gateway's merge: multiValueHeaders win for a name present in both."""
    multi = {k: [str(v) for v in vs] for k, vs in (result.get("multiValueHeaders") or {}).items()}
    lowered = {k.lower() for k in multi}
    pairs = [(k, str(v)) for k, v in (result.get("headers") or {}).items() if k.lower() not in lowered]
    pairs += [(k, v) for k, vs in multi.items() for v in vs]
    return [(k, v) for k, v in pairs if k.lower() not in ("content-length", "transfer-encoding", "connection")]


class DevApiServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows how to reach the handlers."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        secret: str | None = None,
        load_handler: Callable[[str], LambdaHandler] = import_handler,
        max_body_bytes: int = MAX_BODY_BYTES,
        cognito: CognitoVerifier | None = None,
        local_tokens: bool = True,
    ) -> None:
        super().__init__(address, _RequestHandler)
        self.secret = secret  # None: read DEV_JWT_SECRET per request
        self.cognito = cognito  # the local Cognito pool's ID tokens (RS256)
        self.local_tokens = local_tokens  # also HS256 tokens of dev/tokens (tests, scripts; not in AWS)
        self.load_handler = load_handler
        self.max_body_bytes = max_body_bytes
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def verify(self, token: str | None) -> dict[str, Any]:
        """The token's claims, or TokenError: an HS256 token is checked as dev/tokens mints it (when
        local tokens are on), any other as an ID token of the local Cognito pool (when there is one)."""
        if not token:
            raise tokens.TokenError("missing token: send `Authorization: Bearer <token>`")
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.InvalidTokenError as exc:
            raise tokens.TokenError(f"malformed token: {exc}") from None
        if self.cognito is not None and not (algorithm == tokens.ALGORITHM and self.local_tokens):
            return self.cognito.verify(token)
        if not self.local_tokens:
            raise tokens.TokenError("no token issuer is configured")
        return tokens.verify(token, secret=self.secret)

    def handler_lock(self, name: str) -> threading.Lock:
        """One lock for every handler (see the module docstring: the resolved event is process-wide)."""
        with self._locks_guard:
            return self._locks.setdefault("all handlers", threading.Lock())

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        """Run one handler on one event, one request at a time in this process."""
        with self.handler_lock(name):
            handler = self.load_handler(name)
            return handler(event, LocalContext(function_name=f"fleetbridge-{name}"))


class _RequestHandler(BaseHTTPRequestHandler):
    server: DevApiServer
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: headers and body go out in separate writes; with Nagle on, the body waits for
    # the client's delayed ACK (about 40 ms on Linux) on every keep-alive response.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def _handle(self) -> None:
        started = time.monotonic()
        status = self._respond()
        log.info("%s %s -> %s (%.0f ms)", self.command, self.path, status, (time.monotonic() - started) * 1000)

    def _respond(self) -> int:
        url = urlsplit(self.path)
        path = unquote(url.path) or "/"
        if not (self.headers.get("Content-Length") or "0").strip().isdigit():
            self.close_connection = True  # where the body ends is unknown: this connection cannot go on
            return self._send_error(400, "bad_request", "Content-Length is not a number")
        body = self._read_body()  # read first, so a keep-alive connection stays in step
        if body is None:
            return self._send_error(413, "payload_too_large",
                                    f"request body is larger than {self.server.max_body_bytes} bytes")
        name = catalog.handler_for_path(path)
        if name is None:
            return self._send_error(404, "not_found", f"no handler serves {path}")
        claims = None
        if name in catalog.SELF_AUTHENTICATED_HANDLERS:
            pass  # the handler checks the request's own credentials (signature, portal token)
        elif self.command == "OPTIONS" and name not in public_handlers():
            pass  # a CORS preflight: API Gateway's OPTIONS methods have no authorizer; the handler answers
        elif name in public_handlers():
            if self.command != "GET":  # API Gateway: no such method -> MISSING_AUTHENTICATION_TOKEN -> 404
                return self._send_error(404, "not_found", f"no route for {self.command} {path}")
        else:
            try:
                claims = tokens.authorizer_claims(self.server.verify(self._bearer_token()))
            except tokens.TokenError as exc:
                return self._send_error(401, "unauthenticated", str(exc))
        event = self._event(path, url.query, body, claims)
        try:
            result = self.server.invoke(name, event)
            status = int(result["statusCode"])
        except Exception as exc:  # as API Gateway: a failed invocation is a 502 (DEFAULT_5XX); logged
            log.exception("handler %s failed on %s %s", name, self.command, path)
            return self._send_error(502, "internal_error", f"handler {name} failed: {type(exc).__name__}: {exc}")
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else str(payload).encode()
        headers = [*_merged_headers(result), ("x-amzn-RequestId", event["requestContext"]["requestId"])]
        self._send(status, headers, data)
        return status

    def _bearer_token(self) -> str | None:
        value = self.headers.get("Authorization")
        if not value:
            return None
        scheme, _, token = value.strip().partition(" ")
        if not token and scheme.count(".") == 2:  # a bare JWT, as Cognito's REST authorizer also takes
            return scheme
        if scheme.lower() != "bearer" or not token.strip():
            raise tokens.TokenError("the Authorization header must be `Bearer <token>`")
        return token.strip()

    def _read_body(self) -> bytes | None:
        """The body, or None when it is over the limit (read and dropped, or the connection closes)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length <= self.server.max_body_bytes:
            return self.rfile.read(length) if length else b""
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                break
            length -= len(chunk)
        return None

    def _read_chunked(self) -> bytes | None:
        data = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():  # trailers, then the blank line
                    pass
                return bytes(data)
            if len(data) + size > self.server.max_body_bytes:
                self.close_connection = True  # the rest of the body is never read
                return None
            data += self.rfile.read(size)
            self.rfile.readline()

    def _event(self, path: str, query: str, body: bytes, claims: dict[str, str] | None) -> dict[str, Any]:
        content_type = self.headers.get("Content-Type") or ""
        text_body: str | bytes | None = None
        if body:
            try:
                text_body = body.decode() if _is_text(content_type) else body
            except UnicodeDecodeError:
                text_body = body
        multi: dict[str, list[str]] = {}
        for key, value in self.headers.items():
            multi.setdefault(key.lower(), []).append(value)
        event = rest_event(
            self.command, path, claims=claims, query=parse_qs(query, keep_blank_values=True),
            headers={k: v[-1] for k, v in multi.items()}, body=text_body,
            source_ip=self.client_address[0],
        )
        event["multiValueHeaders"] = multi | {k: [v] for k, v in event["headers"].items() if k not in multi}
        return event

    def _send_error(self, status: int, code: str, message: str) -> int:
        """An error made here, as API Gateway makes it (gateway responses carry the CORS headers too)."""
        headers = [("Content-Type", "application/json")]
        if self.headers.get("Origin") == app_origin(get_settings().app_base_url):
            headers += [("Access-Control-Allow-Origin", str(self.headers["Origin"])), ("Vary", "Origin")]
        if self.close_connection:
            headers.append(("Connection", "close"))
        self._send(status, headers, error_body(code, message))
        return status

    def _send(self, status: int, headers: Iterable[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def serve_in_thread(
    server: socketserver.BaseServer, name: str = "dev-api", poll_seconds: float = 0.1
) -> threading.Thread:
    """Serve until server.shutdown(); the thread is a daemon so a stuck request cannot block exit."""
    thread = threading.Thread(target=server.serve_forever, args=(poll_seconds,), name=name, daemon=True)
    thread.start()
    return thread
