"""Read archive members as streams, with hostile-input limits checked while streaming.

Members are only ever read, never extracted by an archive library: the caller streams their
bytes into content-addressed blobs, so member names cannot choose where anything is written
(a member name is a label).

Formats (:data:`ARCHIVE_TYPES`): zip (zip64, ZipCrypto and WinZip AES with known passwords),
tar (plain), single-file gzip / bzip2 / xz, whose content is iterated as a tar when it is
one (``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``), 7z (py7zr: headers parsed by py7zr,
data decoded here in bounded steps; AES with known passwords, encrypted headers too) and RAR
1.5-5 (headers parsed by rarfile, each member decoded by the ``unar`` tool into a pipe read
here in bounded steps; the tool is killed when a limit trips).

Everything is decompressed here, in bounded steps (never more than :data:`CHUNK` bytes of
output per step), so the limits of :class:`ArchiveLimits` are checked as bytes are produced: a
zip bomb is stopped after a few MiB of output, not after gigabytes. The zip central directory
is read as a stream too (its size is set by the attacker), so memory stays constant whatever
the number of members.

Package layout: :mod:`.limits` (limits, byte budget, per-member meter), :mod:`.decoder`
(bounded decompression), one module per family: :mod:`.zips`, :mod:`.tars` (tar and
compressed streams), :mod:`.sevenzip`, :mod:`.rar`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from breachscope.ingest.archives.decoder import STREAM_KINDS
from breachscope.ingest.archives.limits import (
    CHUNK,
    DEFAULT_LIMITS,
    ArchiveError,
    ArchiveLimits,
    ByteBudget,
    DiskGuard,
    LimitExceeded,
    Member,
)
from breachscope.ingest.archives.names import UniqueLabels, escape_separator
from breachscope.ingest.archives.rar import UNAR, rar_members
from breachscope.ingest.archives.sevenzip import sevenzip_members
from breachscope.ingest.archives.tars import compressed_members, tar_file_members
from breachscope.ingest.archives.zips import zip_members

__all__ = [
    "ARCHIVE_TYPES", "CHUNK", "DEFAULT_LIMITS", "UNAR", "ArchiveError", "ArchiveLimits",
    "ByteBudget", "DiskGuard", "LimitExceeded", "Member", "iter_members", "load_passwords",
]

ARCHIVE_TYPES = {"zip", "tar", "gzip", "bzip2", "xz", "7z", "rar"}


def load_passwords(path: Path) -> list[bytes]:
    """Known archive passwords: one per line, UTF-8, blank lines ignored."""
    text = Path(path).read_text(encoding="utf-8-sig")
    lines = (line.removesuffix("\r") for line in text.split("\n"))
    return [line.encode("utf-8") for line in lines if line.strip()]


def iter_members(
    path: Path,
    file_type: str,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    budget: ByteBudget | None = None,
    passwords: Sequence[bytes] = (),
) -> Iterator[Member]:
    """The members of the archive at ``path`` (``file_type`` from :func:`sniff_type`).

    Raises :class:`ArchiveError` when the archive itself cannot be read (possibly after some
    members were yielded: a corrupt central directory or tar header stops the listing).
    Every member gets a label of its own (see :mod:`.names`): repeated names are numbered,
    a ``!/`` inside a name is escaped.
    """
    path = Path(path)
    if budget is None:
        budget = ByteBudget(limits.max_total_bytes)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ArchiveError(f"cannot read archive: {exc.strerror}") from exc
    frame = budget.enter(size, limits)
    unique = UniqueLabels()
    try:
        for member in _members(path, file_type, limits, budget, list(passwords)):
            member.name = unique(escape_separator(member.name))
            yield member
    finally:
        budget.leave(frame)


def _members(path: Path, file_type: str, limits: ArchiveLimits, budget: ByteBudget,
             passwords: list[bytes]) -> Iterator[Member]:
    if file_type == "zip":
        yield from zip_members(path, limits, budget, passwords)
    elif file_type == "tar":
        yield from tar_file_members(path, limits, budget)
    elif file_type in STREAM_KINDS:
        yield from compressed_members(path, file_type, limits, budget)
    elif file_type == "7z":
        yield from sevenzip_members(path, limits, budget, passwords)
    elif file_type == "rar":
        yield from rar_members(path, limits, budget, passwords)
    else:
        raise ArchiveError(f"unsupported archive type: {file_type}")

