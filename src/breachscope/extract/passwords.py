"""The known passwords (``scan --passwords FILE``) as extractors see them.

Extractors take a path only; the worker sets the passwords of the scan around each task with
:func:`using_passwords`, and an extractor of a protected format (PDF, Office, ODF) asks
:func:`known_passwords`. A content-scoped variable rather than an argument keeps every
``partition_*`` function's signature the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_PASSWORDS: ContextVar[tuple[bytes, ...]] = ContextVar("breachscope_passwords", default=())


@contextlib.contextmanager
def using_passwords(passwords: tuple[bytes, ...] | list[bytes]) -> Iterator[None]:
    token = _PASSWORDS.set(tuple(passwords))
    try:
        yield
    finally:
        _PASSWORDS.reset(token)


def known_passwords() -> tuple[bytes, ...]:
    """The passwords to try, in the order given (bytes: decode as the format requires)."""
    return _PASSWORDS.get()


def known_password_texts() -> list[str]:
    """The passwords as text (UTF-8, else Latin-1), for libraries that take ``str``."""
    out = []
    for password in _PASSWORDS.get():
        try:
            out.append(password.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(password.decode("latin-1"))
    return out
