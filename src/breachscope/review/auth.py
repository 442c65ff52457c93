"""Access to the review server: one access token per server start, sessions in memory.

The token is printed once with the URL that opens the UI (``/?token=...``); that request
trades it for a session cookie (HttpOnly, SameSite=Strict) and redirects to a URL without
it, so the token does not stay in the address bar or the history. Every other request needs
the session cookie; POST forms also carry the session's CSRF token. Sessions live in the
server's memory only: a restart (a new token) logs everyone out.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

COOKIE = "bs_session"


@dataclass(slots=True)
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    reviewer: str | None = None


class Sessions:
    """The access token and the sessions opened with it."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(32)
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def check_token(self, given: str | None) -> bool:
        return given is not None and secrets.compare_digest(
            given.encode("utf-8", "replace"), self.token.encode())

    def open(self) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[sid] = Session()
        return sid

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            # compare_digest over every id: the lookup time does not tell a guess apart
            for known, session in self._sessions.items():
                if secrets.compare_digest(known.encode(), sid.encode("utf-8", "replace")):
                    return session
        return None


def valid_reviewer(name: str) -> str | None:
    """A reviewer's name as stored on decisions: printable, 1 to 80 characters."""
    name = " ".join(name.split())
    if not name or len(name) > 80 or not name.isprintable():
        return None
    return name
