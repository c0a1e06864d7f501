"""POST one delivery to a subscriber: httpx, 10 s timeout, no redirects; the outcome, never an exception."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from shared.observability import traced_httpx
from shared.push.urls import private_address
from shared.settings import get_settings

if TYPE_CHECKING:
    import httpx

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class SendResult:
    status_code: int | None  # None when no answer came (timeout, refused, TLS error)
    error: str | None  # why it failed, for the delivery's record; None on success

    @property
    def ok(self) -> bool:
        return self.error is None


@cache
def _client() -> httpx.Client:
    """One client per process: keeps connections to subscribers alive between deliveries."""
    return traced_httpx().Client(follow_redirects=False, headers={"Accept": "*/*"})


def send(url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    """Only a 2xx answer counts; a redirect is a failure (we never re-send a signed body elsewhere).
    In AWS, a host that now resolves to a loopback or private address gets nothing (shared/push/urls.py)."""
    if not get_settings().allow_loopback_http and (address := private_address(url)):
        return SendResult(None, f"not sent: the host resolves to {address}, a loopback or private address")
    httpx = traced_httpx()
    try:
        # streamed and closed unread: the subscriber's answer body is neither needed nor trusted
        with _client().stream("POST", url, content=body, headers=headers, timeout=TIMEOUT_SECONDS) as response:
            status = response.status_code
    except httpx.TimeoutException:
        return SendResult(None, f"no answer within {TIMEOUT_SECONDS:g} s")
    except httpx.HTTPError as exc:
        return SendResult(None, f"{type(exc).__name__}: {exc}"[:300])
    if 200 <= status < 300:
        return SendResult(status, None)
    return SendResult(status, f"answered HTTP {status}")
