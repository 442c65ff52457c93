"""Limits against decompression bombs, the byte budget of an archive tree, and the per-member
meter that checks them as bytes are produced; helpers shared by every archive family."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20  # bytes of output per step; a member is never held in memory whole
INPUT = 1 << 16  # compressed bytes read per step
SLACK = INPUT  # compressed bytes a decompressor may hold unaccounted (ratio denominator)


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits against decompression bombs; all are checked while bytes are produced."""

    max_member_bytes: int = 2 * 1024**3  # one member, uncompressed
    max_total_bytes: int = 20 * 1024**3  # all expanded from one top-level archive, nested too
    max_ratio: float = 200.0  # uncompressed / compressed, once a member passed the floor
    ratio_floor_bytes: int = 8 * 1024**2
    max_members: int = 200_000  # per archive
    max_depth: int = 8  # nesting (enforced by the caller)


DEFAULT_LIMITS = ArchiveLimits()


class ArchiveError(Exception):
    """The archive (or a member) cannot be read; the message is the recorded reason."""


class LimitExceeded(ArchiveError):
    """A limit of :class:`ArchiveLimits` was hit; the message says which, with numbers."""


class ByteBudget:
    """Bytes that may still be expanded from one top-level archive, nested archives included.

    Share one budget between the nested :func:`iter_members` calls of one top-level archive.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def consume(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise LimitExceeded(
                f"archive expands beyond the {human(self.limit)} total limit "
                "(nested archives included)"
            )


@dataclass(slots=True)
class Member:
    """A member: ``status`` is ``ok`` or the status to record (``encrypted``, ``skipped``,
    ``failed``). ``name`` is a label (forward slashes, no leading ``/``), never a path.
    ``chunks()`` yields the bytes of an ``ok`` member and raises :class:`LimitExceeded` or
    :class:`ArchiveError` mid-stream; call it fully before asking for the next member, while
    the iterator of :func:`iter_members` is still open (a tar is read as one stream)."""

    name: str
    size: int
    status: str
    reason: str
    chunks: Callable[[], Iterator[bytes]]



class Meter:
    """Checks one member's limits as its bytes are produced.

    ``consumed`` returns the compressed bytes read so far (for the ratio), or is None when the
    bytes are not decompressed here. ``charge`` is False when the bytes were already charged
    to the budget (a member of a compressed tar: the whole stream is charged).
    """

    def __init__(self, limits: ArchiveLimits, budget: ByteBudget,
                 consumed: Callable[[], int] | None, *, charge: bool = True) -> None:
        self.limits = limits
        self.budget = budget
        self.consumed = consumed
        self.start = consumed() if consumed else 0
        self.charge = charge
        self.produced = 0
        self.slack = SLACK  # compressed bytes possibly read but not yet used

    def count(self, n: int) -> None:
        self.produced += n
        limits = self.limits
        if self.produced > limits.max_member_bytes:
            raise LimitExceeded(
                f"member expands beyond the {human(limits.max_member_bytes)} per-member limit")
        if self.charge:
            self.budget.consume(n)
        if self.consumed is not None and self.produced >= limits.ratio_floor_bytes:
            used = self.consumed() - self.start
            if self.produced > limits.max_ratio * (used + self.slack):
                raise LimitExceeded(
                    f"member expands beyond ratio {limits.max_ratio:g} "
                    f"({human(self.produced)} from {human(used)})")


def metered(read: Callable[[int], bytes], meter: Meter) -> Iterator[bytes]:
    while chunk := read(CHUNK):
        meter.count(len(chunk))
        yield chunk


def human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            break
        n /= 1024
    if unit == "bytes":
        return f"{int(n)} bytes"
    return f"{n:.1f} {unit}".replace(".0 ", " ")


def too_many(limits: ArchiveLimits) -> Member:
    return Member("(more members not read)", 0, "skipped",
                  f"archive has more than {limits.max_members} members; the rest were not read",
                  no_data)


def declared_too_big(size: int, limits: ArchiveLimits) -> str:
    return (f"member declares {human(size)}, beyond the "
            f"{human(limits.max_member_bytes)} per-member limit")



def member_label(raw: str) -> str:
    """A display name for a member: forward slashes, no leading ``/`` (names are labels)."""
    return raw.replace("\\", "/").lstrip("/") or "(unnamed)"


def no_data() -> Iterator[bytes]:
    return iter(())



def open_archive(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise ArchiveError(f"cannot read archive: {exc.strerror}") from exc



def short_reason(exc: BaseException) -> str:
    """An exception as a reason: its type, and its message when short and printable (py7zr
    messages name fields, never file content)."""
    text = str(exc)
    if 0 < len(text) <= 120 and text.isprintable():
        return text
    return type(exc).__name__


def password_text(password: bytes) -> str | None:
    try:
        return password.decode("utf-8")
    except UnicodeDecodeError:
        return None

