"""Tests reach nothing but loopback: the guard refuses before any packet leaves."""

from __future__ import annotations

import socket

import pytest


def test_non_loopback_connections_are_refused_by_the_guard():
    with pytest.raises(ConnectionRefusedError, match="tests may not reach the network"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1: documentation only


def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
