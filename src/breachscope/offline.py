"""No network while scanning: an audit hook that refuses Internet sockets in this process.

A scan has no reason to reach the network, and the dump comes from criminals: a parser
tricked into fetching a URL (an XML external entity, a remote template) must fail here rather
than leak that the hospital is reading the dump, or exfiltrate anything. Local (AF_UNIX)
sockets stay allowed: process pools use them. Audit hooks cannot be removed, so this is only
installed by commands that never need the network (scan) and in worker processes.

One exception, asked for explicitly and for the time of a block (:func:`loopback_only`):
Splink's Spark backend talks to its local JVM through loopback sockets (Py4J); inside the
block, Internet sockets may be created but only connect or bind to 127.0.0.1 / ::1, and only
loopback names resolve.
"""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Iterator
from typing import Any

_INTERNET = {socket.AF_INET, socket.AF_INET6}
_LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"}
_installed = False
_loopback_blocks = 0  # loopback_only() blocks open


class NetworkForbidden(PermissionError):
    """Raised when code tries to use the network during a scan."""


def _to_loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) and address else address
    return isinstance(host, str) and host in _LOOPBACK_HOSTS


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.__new__":
        if len(args) > 1 and args[1] in _INTERNET and not _loopback_blocks:
            raise NetworkForbidden("network access is forbidden during a scan")
    elif event in ("socket.connect", "socket.bind", "socket.sendto"):
        sock = args[0] if args else None
        if getattr(sock, "family", None) in _INTERNET and not (
                _loopback_blocks and len(args) > 1 and _to_loopback(args[-1])):
            raise NetworkForbidden("network access is forbidden during a scan")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        if not (_loopback_blocks and args and _to_loopback(args[0])):
            raise NetworkForbidden("network access is forbidden during a scan")
    elif event in ("socket.gethostbyaddr", "urllib.Request"):
        raise NetworkForbidden("network access is forbidden during a scan")


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """Within the block, sockets to this machine's loopback are allowed (a local JVM's
    bridge); anything else stays forbidden."""
    global _loopback_blocks
    _loopback_blocks += 1
    try:
        yield
    finally:
        _loopback_blocks -= 1


def forbid_network() -> None:
    """Install the hook once in this process."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
