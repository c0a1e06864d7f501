"""Which URLs a subscription may push to: https to a public host; plain http to loopback only locally.

"Public" is checked on the addresses the host resolves to, not only on how it is written: a name
(or a short numeric form such as `127.1` or `2130706433`) may lead to a loopback or private
address. Checked when the subscription is made and again at every delivery, which then connects to
the address it checked (public_address); a name that does not resolve yet passes at subscription
time (its deliveries fail and retry).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

from shared.errors import Unprocessable

if TYPE_CHECKING:
    import httpx

_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def check_push_url(url: str, *, allow_loopback_http: bool) -> str:
    """The URL, or a 422 saying what is wrong with it.

    In AWS (allow_loopback_http false) we never POST a fleet's data in clear text, nor to a
    loopback or private address (that would reach our own network, not a subscriber's).
    """
    parts, host = _absolute_url(url)
    loopback = host in _LOOPBACK_NAMES
    if parts.scheme == "http" and allow_loopback_http and loopback:
        return url
    if parts.scheme != "https":
        local = " (http is allowed for 127.0.0.1 and localhost in local development)" if allow_loopback_http else ""
        raise Unprocessable.field("url", f"must be https{local}")
    if not allow_loopback_http:
        _check_public(url, host, loopback)
    return url


def _absolute_url(url: str) -> tuple[SplitResult, str]:
    """The URL's parts and its host (lower case), or a 422 unless it is an absolute URL that both we and
    the sender's httpx read, without credentials or a fragment."""
    if any(ord(c) < 0x21 or c == "\x7f" for c in url):
        raise Unprocessable.field("url", "must not hold spaces or control characters (percent-encode them)")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a bad port
        http_url(url)
    except ValueError:
        raise Unprocessable.field("url", "not a valid URL") from None
    if not host:
        raise Unprocessable.field("url", "must be an absolute URL with a host")
    if parts.username or parts.password:
        raise Unprocessable.field("url", "must not carry credentials; we sign every delivery instead")
    if parts.fragment:
        raise Unprocessable.field("url", "must not have a #fragment")
    return parts, host


def _check_public(url: str, host: str, loopback: bool) -> None:
    """A 422 unless the host is public, as written and as it resolves now (a name that does not resolve
    yet passes: its deliveries fail and retry)."""
    if loopback or host.endswith(".localhost"):
        raise Unprocessable.field("url", "must be a public host, not a loopback or private address")
    try:
        public_address(url)
    except NotPublic as exc:
        raise Unprocessable.field("url", f"must be a public host: it resolves to {exc.address}, a loopback or "
                                         "private address") from None
    except OSError:  # does not resolve now: its deliveries fail and retry
        pass


def http_url(url: str) -> httpx.URL:
    """The URL as the sender's httpx reads it; ValueError when it cannot be (its host no valid IDNA
    name, xn--zz..., a control character): the subscription check and the sender parse it alike."""
    import httpx  # here, not at import: the subscriptions API's cold start does without it

    try:
        parsed = httpx.URL(url)
        parsed.host  # noqa: B018 - decodes the name: an invalid IDNA one raises here (a UnicodeError)
    except httpx.InvalidURL as exc:
        raise ValueError(str(exc)) from None
    return parsed


class NotPublic(Exception):
    """The URL's host resolves to a loopback or private address (`address`)."""

    def __init__(self, address: str) -> None:
        super().__init__(f"the host resolves to {address}, a loopback or private address")
        self.address = address


def public_address(url: str) -> str:
    """The address to connect to for `url`: the first its host resolves to, when every one is public.

    The sender connects to this very address (the host goes in the Host header and TLS SNI, and the
    certificate is checked against it), so a DNS answer that changes between the check and the
    connection (DNS rebinding) cannot lead a delivery into our own network. Raises NotPublic, or
    OSError when the name does not resolve.
    """
    try:
        addresses = _addresses(url)
    except UnicodeError as exc:
        raise OSError(f"the host name is not valid: {exc}") from None
    if (private := _first_private(addresses)) is not None:
        raise NotPublic(private)
    if not addresses:
        raise OSError("the host resolves to no address")
    return addresses[0]


def _addresses(url: str) -> list[str]:
    parts = urlsplit(url)
    found = socket.getaddrinfo(parts.hostname or "", parts.port or 443, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]).split("%")[0] for *_, sockaddr in found]


def _first_private(addresses: list[str]) -> str | None:
    return next((a for a in addresses if not ipaddress.ip_address(a).is_global), None)
