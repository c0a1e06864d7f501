"""Which URLs a subscription may push to: https to a public host; plain http to loopback only locally."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from shared.errors import Unprocessable

_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def check_push_url(url: str, *, allow_loopback_http: bool) -> str:
    """The URL, or a 422 saying what is wrong with it.

    In AWS (allow_loopback_http false) we never POST a fleet's data in clear text, nor to a
    loopback or private address (that would reach our own network, not a subscriber's).
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise Unprocessable.field("url", "not a valid URL") from None
    if not host:
        raise Unprocessable.field("url", "must be an absolute URL with a host")
    if parts.username or parts.password:
        raise Unprocessable.field("url", "must not carry credentials; we sign every delivery instead")
    if parts.fragment:
        raise Unprocessable.field("url", "must not have a #fragment")
    loopback = host in _LOOPBACK_NAMES
    if parts.scheme == "http" and allow_loopback_http and loopback:
        return url
    if parts.scheme != "https":
        local = " (http is allowed for 127.0.0.1 and localhost in local development)" if allow_loopback_http else ""
        raise Unprocessable.field("url", f"must be https{local}")
    if not allow_loopback_http and (loopback or host.endswith(".localhost") or _private_ip(host)):
        raise Unprocessable.field("url", "must be a public host, not a loopback or private address")
    return url


def _private_ip(host: str) -> bool:
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False  # a name, not an address
