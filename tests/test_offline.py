"""The scan's network guard (an audit hook in the process) and its one exception: loopback
sockets inside ``loopback_only()`` (Splink's Spark backend talks to its JVM through them)."""

from __future__ import annotations

import socket

import pytest

from breachscope.offline import NetworkForbidden, forbid_network, loopback_only


def test_loopback_only_allows_this_machine_and_nothing_else():
    forbid_network()  # as a scan does (the hook stays for the process: tests never need more)
    with pytest.raises(NetworkForbidden):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with loopback_only():
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        server.listen()
        client = socket.create_connection(server.getsockname(), timeout=5)
        accepted, _ = server.accept()
        client.sendall(b"ok")
        assert accepted.recv(2) == b"ok"
        for sock in (accepted, client, server):
            sock.close()
        outward = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with pytest.raises(NetworkForbidden):
            outward.connect(("192.0.2.1", 80))  # TEST-NET-1: never reached
        outward.close()
        with pytest.raises(NetworkForbidden):
            socket.getaddrinfo("example.org", 80)
    with pytest.raises(NetworkForbidden):  # the exception ends with the block
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
