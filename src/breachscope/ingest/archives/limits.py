"""Limits against decompression bombs, the byte budget of an archive tree, and the per-member
meter that checks them as bytes are produced; helpers shared by every archive family."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20  # bytes of output per step; a member is never held in memory whole
INPUT = 1 << 16  # compressed bytes read per step
SLACK = INPUT  # compressed bytes a decompressor may hold unaccounted (ratio denominator)
MiB = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits against decompression bombs; all are checked while bytes are produced."""

    max_member_bytes: int = 2 * 1024**3  # one member, uncompressed
    max_total_bytes: int = 20 * 1024**3  # all expanded from one top-level archive, nested too
    # Uncompressed / compressed, checked after every chunk of every member: a member may
    # produce ``max_ratio`` x its compressed bytes + ``ratio_allowance_bytes`` (so a short
    # text compressed 500x still passes), and everything expanded under one archive, nested
    # archives included, ``max_ratio`` x the archive's size + ``tree_allowance_bytes`` (so a
    # tiny archive of many highly compressible members cannot fill the disk either).
    max_ratio: float = 200.0
    ratio_allowance_bytes: int = MiB
    tree_allowance_bytes: int = 2 * MiB
    max_members: int = 200_000  # per archive
    # The whole case (see DiskGuard): free space kept on the work area's disk, and an
    # optional cap on the bytes under the work area, all workers together.
    disk_reserve_bytes: int = 1 << 30
    max_work_bytes: int | None = None
    max_depth: int = 8  # nesting (enforced by the caller)


DEFAULT_LIMITS = ArchiveLimits()


class ArchiveError(Exception):
    """The archive (or a member) cannot be read; the message is the recorded reason."""


class LimitExceeded(ArchiveError):
    """A limit of :class:`ArchiveLimits` was hit; the message says which, with numbers."""


class ByteBudget:
    """Bytes that may still be expanded from one top-level archive, nested archives included.

    Share one budget between the nested :func:`iter_members` calls of one top-level archive.
    Besides the absolute ``limit``, each open :func:`iter_members` call (a *frame*: the
    archive being listed, and every archive it is nested in) bounds what is expanded under
    it to ``max_ratio`` x its own size + an allowance: a frame is pushed when the listing
    starts and removed when it ends, and every byte produced meanwhile counts in every open
    frame. The outermost frame therefore bounds the whole tree by the top-level archive's
    size, whatever the nesting, the number of members or their sizes.
    """

    def __init__(self, limit: int, *, disk: DiskGuard | None = None) -> None:
        self.limit = limit
        self.used = 0
        self.frames: list[_Frame] = []
        self.disk = disk

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def enter(self, size: int, limits: ArchiveLimits) -> _Frame:
        """Open a frame for an archive of ``size`` bytes (see the class docstring)."""
        frame = _Frame(size, int(limits.max_ratio * size) + limits.tree_allowance_bytes,
                       limits.max_ratio)
        self.frames.append(frame)
        return frame

    def leave(self, frame: _Frame) -> None:
        with contextlib.suppress(ValueError):  # already left
            self.frames.remove(frame)

    def exhausted(self) -> str | None:
        """Why nothing more may be expanded (the reason, prefixed ``not read:``), or None.
        Asked before each member: where listing costs no expansion (zip, plain tar, 7z and
        RAR headers), the remaining members still get their rows, each with this reason."""
        try:
            self.consume(0)
        except LimitExceeded as exc:
            return f"not read: {exc}"
        return None

    def consume(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise LimitExceeded(
                f"archive expands beyond the {human(self.limit)} total limit "
                "(nested archives included)"
            )
        if self.disk is not None:
            self.disk.check(n)
        for frame in self.frames:
            frame.produced += n
            if frame.produced > frame.limit:
                raise LimitExceeded(
                    f"archive expands beyond ratio {frame.ratio:g} of its size "
                    f"({human(frame.produced)} from {human(frame.size)}, nested archives "
                    "included)")


class DiskGuard:
    """One disk budget for the whole case, shared by every worker through the filesystem.

    Before each chunk of a member is handed out (and so written by the caller), the free
    space of the work area's filesystem is read (``statvfs``: microseconds) and, when
    ``max_work_bytes`` is set, the bytes under the work area are counted again every
    ``recount_bytes`` handed out (a directory scan: the blobs of every worker, the OCR
    pages, the result batches). Either limit stops the member with a :class:`LimitExceeded`
    that says which, and the archive's listing ends there, instead of each archive of each
    worker expanding up to its own 20 GiB whatever the others do.
    """

    def __init__(self, work_dir: Path, *, reserve_bytes: int = 1 << 30,
                 max_work_bytes: int | None = None, recount_bytes: int = 64 << 20) -> None:
        self.work_dir = Path(work_dir)
        self.reserve_bytes = reserve_bytes
        self.max_work_bytes = max_work_bytes
        self.recount_bytes = recount_bytes
        self.since_count = 0
        self.counted: int | None = None  # bytes under the work area at the last count + since

    @classmethod
    def for_limits(cls, work_dir: Path, limits: ArchiveLimits) -> DiskGuard:
        return cls(work_dir, reserve_bytes=limits.disk_reserve_bytes,
                   max_work_bytes=limits.max_work_bytes)

    def check(self, n: int) -> None:
        import os

        try:
            st = os.statvfs(self.work_dir)
        except OSError:  # the work area vanished: writing will fail and say so
            return
        free = st.f_bavail * st.f_frsize
        if free - n < self.reserve_bytes:
            raise LimitExceeded(
                f"disk nearly full: {human(max(free, 0))} free on the case's disk, "
                f"{human(self.reserve_bytes)} kept in reserve; not written")
        if self.max_work_bytes is None:
            return
        self.since_count += n
        if self.counted is None or self.since_count >= self.recount_bytes:
            self.counted, self.since_count = _tree_bytes(self.work_dir) + n, 0
        else:
            self.counted += n
        if self.counted > self.max_work_bytes:
            raise LimitExceeded(
                f"the case's work area holds {human(self.counted)}, beyond its "
                f"{human(self.max_work_bytes)} limit (all workers together); not written")


def _tree_bytes(root: Path) -> int:
    """Bytes of the regular files under ``root`` (files vanishing meanwhile are skipped)."""
    import os

    total = 0
    stack = [str(root)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
                except OSError:
                    continue
    return total


@dataclass(slots=True, eq=False)
class _Frame:
    size: int  # of the archive file
    limit: int  # bytes that may be produced under it
    ratio: float
    produced: int = 0


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

    ``before`` is given for a member of a solid stream (a 7z folder, a compressed tar, a
    solid RAR): the bytes the stream produced before this member. The ratio is then that of
    the stream so far (``consumed`` counting from the stream's start): in a solid stream a
    member that repeats an earlier one costs almost no compressed bytes, so its own ratio
    says nothing, while the stream's still bounds what the archive can make.
    """

    def __init__(self, limits: ArchiveLimits, budget: ByteBudget,
                 consumed: Callable[[], int] | None, *, charge: bool = True,
                 before: int | None = None) -> None:
        self.limits = limits
        self.budget = budget
        self.consumed = consumed
        self.start = consumed() if consumed and before is None else 0
        self.before = before or 0
        self.charge = charge
        self.produced = 0
        # Output allowed beyond ratio x compressed bytes: a short member may be highly
        # compressible, and a decompressor's read-ahead makes the compressed position
        # move in steps.
        self.allowance = limits.ratio_allowance_bytes

    def count(self, n: int) -> None:
        self.produced += n
        limits = self.limits
        if self.produced > limits.max_member_bytes:
            raise LimitExceeded(
                f"member expands beyond the {human(limits.max_member_bytes)} per-member limit")
        if self.charge:
            self.budget.consume(n)
        total = self.produced + self.before
        if self.consumed is not None and total > self.allowance:
            used = self.consumed() - self.start
            if total > limits.max_ratio * used + self.allowance:
                where = " (solid stream so far)" if self.before else ""
                raise LimitExceeded(
                    f"member expands beyond ratio {limits.max_ratio:g} "
                    f"({human(total)} from {human(used)}{where})")


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

