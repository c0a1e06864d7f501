"""Warm API "instances" in their own processes, for tests that race requests against each other.

Powertools keeps the event being resolved on a class attribute (`BaseRouter.current_event`),
so two requests resolved at once in one process can read each other's event (and caller).
Lambda never does that: one instance, one request at a time. So each racing caller here is a
process of its own, with every handler imported (warm), released together by one event.
This module imports nothing of tests.conftest: a spawned process keeps the parent's
environment (DynamoDB Local's port) instead of drawing new ports.
"""

from __future__ import annotations

import atexit
import importlib
import json
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Any

Request = tuple[str, str, dict[str, str] | None, Any, dict[str, Any] | None]  # method, path, claims, body, query
Answer = tuple[int, dict[str, str], str]  # status, headers, body


def _resolve(request: Request) -> Answer:
    from dev.apigw import LocalContext, rest_event
    from shared.api.catalog import handler_for_path

    method, path, claims, body, query = request
    handler = importlib.import_module(f"functions.{handler_for_path(path)}.handler")
    event = rest_event(method, path, claims=claims, query={k: [str(v)] for k, v in (query or {}).items()},
                       headers={"content-type": "application/json"},
                       body=json.dumps(body) if body is not None else None)
    result = handler.lambda_handler(event, LocalContext())
    headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items() if v}
    headers.update(result.get("headers") or {})
    return result["statusCode"], headers, result.get("body") or ""


def _serve(conn: Connection, go: Event) -> None:
    from shared.api.catalog import API_HANDLERS

    for name in API_HANDLERS:  # cold starts (and first requests' router imports) now, not in the middle of a race
        app = importlib.import_module(f"functions.{name}.handler").app
        app.lazy_routers.include_all(app)
    conn.send("warm")
    while True:
        request = conn.recv()
        if request is None:
            return
        conn.send("ready")
        go.wait()
        conn.send(_resolve(request))  # a crash ends the worker: the test sees EOFError, not a hang


class Workers:
    """n worker processes; `race` sends one request to each and releases them at the same moment."""

    def __init__(self, n: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._go = context.Event()
        self._conns: list[Connection] = []
        self._procs = []
        for _ in range(n):
            parent, child = context.Pipe()
            proc = context.Process(target=_serve, args=(child, self._go), daemon=True)
            proc.start()
            self._conns.append(parent)
            self._procs.append(proc)
        for conn in self._conns:
            assert conn.recv() == "warm"

    def __len__(self) -> int:
        return len(self._conns)

    def race(self, requests: list[Request]) -> list[Answer]:
        assert len(requests) <= len(self._conns), "more racing requests than workers"
        self._go.clear()
        conns = self._conns[:len(requests)]
        for conn, request in zip(conns, requests, strict=True):
            conn.send(request)
        for conn in conns:
            assert conn.recv() == "ready"
        self._go.set()
        return [conn.recv() for conn in conns]

    def close(self) -> None:
        for conn in self._conns:
            try:
                conn.send(None)
            except OSError:  # gone already (the interpreter is exiting)
                continue
        for proc in self._procs:
            proc.join(5)


_workers: Workers | None = None


def workers(n: int) -> Workers:
    """The session's workers (started on first use, at least n of them)."""
    global _workers
    if _workers is None or len(_workers) < n:
        if _workers is not None:
            _workers.close()
        _workers = Workers(n)
        atexit.register(_workers.close)
    return _workers
