"""No network while scanning: an audit hook that refuses Internet sockets in this process.

A scan has no reason to reach the network, and the dump comes from criminals: a parser
tricked into fetching a URL (an XML external entity, a remote template) must fail here rather
than leak that the hospital is reading the dump, or exfiltrate anything. Local (AF_UNIX)
sockets stay allowed: process pools use them. Audit hooks cannot be removed, so this is only
installed by commands that never need the network (scan) and in worker processes.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

_INTERNET = {socket.AF_INET, socket.AF_INET6}
_installed = False


class NetworkForbidden(PermissionError):
    """Raised when code tries to use the network during a scan."""


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.__new__":
        if len(args) > 1 and args[1] in _INTERNET:
            raise NetworkForbidden("network access is forbidden during a scan")
    elif event in ("socket.connect", "socket.bind", "socket.sendto"):
        sock = args[0] if args else None
        if getattr(sock, "family", None) in _INTERNET:
            raise NetworkForbidden("network access is forbidden during a scan")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                   "socket.gethostbyaddr", "urllib.Request"):
        raise NetworkForbidden("network access is forbidden during a scan")


def forbid_network() -> None:
    """Install the hook once in this process."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
