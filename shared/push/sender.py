"""POST one delivery to a subscriber: httpx, 10 s timeout, no redirects; the outcome, never an exception."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from shared.observability import traced_httpx
from shared.push.urls import NotPublic, http_url, public_address
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


@lru_cache(maxsize=64)
def _client(host: str) -> httpx.Client:
    """One client per subscriber host: keeps connections to it alive between deliveries. Per host,
    because in AWS the client connects to an address (public_address): a pool keyed by address
    could reuse a connection verified for another host that shares it."""
    traced_httpx()  # imports httpx and patches it for X-Ray, once
    import httpx  # imported by now: this only names it, typed

    return httpx.Client(follow_redirects=False, headers={"Accept": "*/*"})


def send(url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    """Only a 2xx answer counts; a redirect is a failure (we never re-send a signed body elsewhere).
    In AWS, the host is resolved once and must resolve to public addresses only; the request goes to
    that address (shared/push/urls.py public_address), so a changed DNS answer cannot redirect it."""
    httpx = traced_httpx()
    parts = urlsplit(url)
    try:
        target, sni = http_url(url), {}
    except ValueError as exc:  # a URL stored before the subscription check refused it
        return SendResult(None, f"not sent: not a valid URL ({exc})"[:300])
    if not get_settings().allow_loopback_http:
        try:
            target = target.copy_with(host=public_address(url))
        except NotPublic as exc:
            return SendResult(None, f"not sent: {exc}")
        except OSError as exc:
            return SendResult(None, f"not sent: the host does not resolve ({exc})"[:300])
        headers = {**headers, "Host": parts.netloc}
        sni = {"sni_hostname": parts.hostname or ""}
    try:
        # streamed and closed unread: the subscriber's answer body is neither needed nor trusted
        with _client(parts.netloc).stream("POST", target, content=body, headers=headers, timeout=TIMEOUT_SECONDS,
                                          extensions=sni) as response:
            status = response.status_code
    except httpx.TimeoutException:
        return SendResult(None, f"no answer within {TIMEOUT_SECONDS:g} s")
    except httpx.HTTPError as exc:
        return SendResult(None, f"{type(exc).__name__}: {exc}"[:300])
    if 200 <= status < 300:
        return SendResult(status, None)
    return SendResult(status, f"answered HTTP {status}")
