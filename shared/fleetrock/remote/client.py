"""Our one client of Fleetrock's API (fleetrock.md): every call we make to Fleetrock goes through here.

httpx with short timeouts; a 5xx, a 403 (Fleetrock's way of throttling), a timeout or a dropped
connection is retried with exponential backoff, then raised as FleetrockUnavailable so the caller
(an API route or the stream processor) can fail cleanly and be retried later. The API key and
the token travel as query parameters, so no URL, and no httpx exception text (which quotes the
URL), ever reaches a log line or an error message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.fleetrock.remote.contract import (
    API_PATH,
    GETRO_BY_ID_PARAM,
    GETRO_DATETIME_FORMAT,
    GETRO_EVENTS,
    GETRO_UNSEEN_EVENTS,
    THROTTLE_STATUSES,
)
from shared.observability import traced_httpx
from shared.settings import get_settings

if TYPE_CHECKING:
    import httpx

TIMEOUT_SECONDS, CONNECT_TIMEOUT_SECONDS = 10.0, 3.0
ATTEMPTS = 3
# httpx logs each request's URL (with key= and token=) at INFO: never let that through
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


class FleetrockError(Exception):
    """Fleetrock answered something we cannot use; the message never holds a credential."""


class FleetrockUnavailable(FleetrockError):
    """Down, throttling or unreachable after every retry: try again later."""


class FleetrockAuthError(FleetrockError):
    """Fleetrock refused the username and API key."""


class FleetrockRefused(FleetrockError):
    """Fleetrock answered a 4xx to a call (not a throttle, not the credentials): it does not serve it."""


def api_base(login_url: str) -> str:
    """The tenant's login URL + /API (resellers have their own hosts)."""
    return login_url.rstrip("/") + API_PATH


def month_windows(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut at calendar-month boundaries (UTC): Fleetrock serves one month of GetRO at a time."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    while start < end:
        first_of_next = (start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
                         .replace(year=start.year + start.month // 12, month=start.month % 12 + 1))
        stop = min(first_of_next, end)
        yield start, stop
        start = stop


class FleetrockClient:
    """One tenant's account: GetToken once, then username + token on every call."""

    def __init__(
        self,
        login_url: str,
        username: str,
        api_key: str,
        *,
        attempts: int = ATTEMPTS,
        backoff_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        httpx = traced_httpx()
        self._base = api_base(login_url)
        self._username = username
        self._api_key = api_key
        self._token: str | None = None
        self._attempts = attempts
        # the first wait between tries (FLEETROCK_RETRY_BACKOFF_SECONDS unless given), doubled each try
        self._backoff = get_settings().fleetrock_retry_backoff_seconds if backoff_seconds is None else backoff_seconds
        self._sleep = sleep
        timeout = timeout or httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def __enter__(self) -> FleetrockClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    # -- calls ---------------------------------------------------------------------------------
    def get_token(self) -> str:
        """Check the credentials and keep the token: FleetrockAuthError when refused.

        Several public clients never call GetToken and pass the API key as the token (an account with
        API tokens off): when GetToken gives no token, the key itself is tried on GetUnits."""
        try:
            data = self._request("GET", "GetToken", {"username": self._username, "key": self._api_key}, auth=False)
            token = data.get("token")
        except (FleetrockAuthError, FleetrockRefused):
            token = None
        if not isinstance(token, str) or not token:
            self._token = self._api_key
            try:
                self._request("GET", "GetUnits", {})
            except FleetrockRefused:
                raise FleetrockAuthError("Fleetrock refused the username and API key") from None
            return self._token
        self._token = token
        return token

    def get_repair_orders(self, *, event: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """GetRO by event between two times, one calendar month per call, merged and deduplicated by id.

        `event` is one public clients pass (started, finished, invoiced) or one we only try (created:
        the caller handles FleetrockRefused)."""
        if event not in GETRO_EVENTS + GETRO_UNSEEN_EVENTS:
            raise ValueError(f"GetRO event {event!r} is not in the contract")
        merged: dict[str, dict[str, Any]] = {}
        for window_start, window_end in month_windows(start, end):
            data = self._call("GET", "GetRO", {"event": event, "start": window_start.strftime(GETRO_DATETIME_FORMAT),
                                                "end": window_end.strftime(GETRO_DATETIME_FORMAT)})
            for order in _list(data, "repair_orders"):
                if order.get("id") not in (None, ""):
                    merged[str(order["id"])] = order
        return list(merged.values())

    def get_repair_order(self, ro_id: str) -> dict[str, Any] | None:
        """GetRO by id: the repair order, or None when Fleetrock has none with that id."""
        found = _list(self._call("GET", "GetRO", {GETRO_BY_ID_PARAM: ro_id}), "repair_orders")
        return next((o for o in found if str(o.get("id")) == ro_id), found[0] if len(found) == 1 else None)

    def get_units(self) -> list[dict[str, Any]]:
        return _list(self._call("GET", "GetUnits", {}), "units")

    def add_unit(self, unit: dict[str, Any]) -> dict[str, Any]:
        """AddUnit with one unit; the response entry (it carries the new unit's `id`)."""
        return self._write("AddUnit", unit, idempotent=False)

    def update_unit(self, unit: dict[str, Any]) -> dict[str, Any]:
        """UpdateUnit with one unit (identified by its Fleetrock `id`)."""
        return self._write("UpdateUnit", unit)

    # -- plumbing ------------------------------------------------------------------------------
    def _write(self, call: str, unit: dict[str, Any], *, idempotent: bool = True) -> dict[str, Any]:
        body = {"username": self._username, "units": [unit]}
        data = self._call("POST", call, {}, body=body, idempotent=idempotent)
        entries = _list(data, "response")
        if not entries or entries[0].get("result") != "success":
            message = entries[0].get("message", "no result") if entries else "no result"
            raise FleetrockError(f"{call} failed: {str(message)[:200]}")
        return entries[0]

    def _call(
        self, method: str, call: str, params: dict[str, str], body: Any = None, *, idempotent: bool = True
    ) -> dict[str, Any]:
        """A call with the token; a refused token is renewed once (tokens expire)."""
        if self._token is None:
            self.get_token()
        try:
            return self._request(method, call, params, body=body, idempotent=idempotent)
        except FleetrockAuthError:
            self.get_token()
            return self._request(method, call, params, body=body, idempotent=idempotent)

    def _request(
        self, method: str, call: str, params: dict[str, str], *, body: Any = None, auth: bool = True,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Send with retries. A call that is not idempotent (AddUnit) is retried only when Fleetrock
        surely did not run it (throttled: 403/429); after a 5xx or a lost answer the caller decides."""
        query = {**params, **({"username": self._username, "token": self._token or ""} if auth else {})}
        for attempt in range(1, self._attempts + 1):
            outcome = self._send(method, call, query, body)
            if not isinstance(outcome, _Retry):
                return outcome
            if outcome.may_have_run and not idempotent:
                raise FleetrockUnavailable(f"{call}: {outcome.reason}; not resent (it may have run)")
            if attempt == self._attempts:
                raise FleetrockUnavailable(f"{call}: {outcome.reason} after {attempt} attempts")
            self._sleep(self._backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _send(self, method: str, call: str, query: dict[str, str], body: Any) -> dict[str, Any] | _Retry:
        """One HTTP call: the answer, or why it is worth sending again; the retry policy is _request's."""
        httpx = traced_httpx()
        try:
            response = self._http.request(method, f"{self._base}/{call}", params=query, json=body)
        except httpx.TransportError as exc:  # timeout, refused, dropped: the URL stays out of it
            return _Retry(type(exc).__name__, may_have_run=True)
        return _answer(response, call)


@dataclass(frozen=True)
class _Retry:
    """An attempt that may succeed when sent again; `may_have_run`: Fleetrock may have run the call
    (a 5xx, a lost answer), so a call that is not idempotent is not resent."""

    reason: str
    may_have_run: bool


def _answer(response: httpx.Response, call: str) -> dict[str, Any] | _Retry:
    """What Fleetrock's HTTP status means: a throttle (surely not run) or a 5xx is worth a retry; a 401
    is the credentials (FleetrockAuthError: _call renews the token); any other 4xx is a refusal."""
    status = response.status_code
    if status in THROTTLE_STATUSES:
        return _Retry(f"HTTP {status}", may_have_run=False)
    if status >= 500:
        return _Retry(f"HTTP {status}", may_have_run=True)
    if status == 401:
        raise FleetrockAuthError(f"{call}: Fleetrock refused the credentials")
    if status >= 400:
        raise FleetrockRefused(f"{call}: Fleetrock answered HTTP {status}: {_answer_text(response)}")
    return _json(response, call)


def _answer_text(response: httpx.Response) -> str:
    """What Fleetrock said, short, for the record (a refusal is recorded with Fleetrock's answer)."""
    text = " ".join(response.text.split())
    return text[:200] or "(no body)"


def _json(response: httpx.Response, call: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise FleetrockError(f"{call}: the answer is not JSON") from None
    if not isinstance(data, dict):
        raise FleetrockError(f"{call}: the answer is not a JSON object")
    return data


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The answer's list; an answer that says it failed (a public client reads `"result": "error"` in a
    2xx that way) is a refusal, not an empty list."""
    if key not in data and (str(data.get("result", "")).lower() == "error" or "error" in data):
        message = data.get("message") or data.get("error") or "error"
        raise FleetrockRefused(f"Fleetrock answered an error instead of `{key}`: {str(message)[:200]}")
    value = data.get(key) or []
    if not isinstance(value, list):
        raise FleetrockError(f"`{key}` is not a list")
    return [v for v in value if isinstance(v, dict)]
