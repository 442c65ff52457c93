"""Read archive members as streams, one format per function behind :func:`iter_members`.

Members are only ever read, never extracted by the archive library: the walker streams their
bytes into content-addressed blobs, so member names cannot choose where anything is written.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ARCHIVE_TYPES = {"zip"}
CHUNK = 1 << 20


class ArchiveError(Exception):
    """The archive itself cannot be read; the message is the recorded reason."""


@dataclass(slots=True)
class Member:
    """A member: ``status`` is ``ok`` or the status to record (``encrypted``, ``skipped``)."""

    name: str
    size: int
    status: str
    reason: str
    chunks: Callable[[], Iterator[bytes]]


def iter_members(path: Path, file_type: str) -> Iterator[Member]:
    if file_type == "zip":
        yield from _zip_members(path)
    else:  # pragma: no cover - the walker only calls us for ARCHIVE_TYPES
        raise ArchiveError(f"unsupported archive type: {file_type}")


def _zip_members(path: Path) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(f"corrupt zip: {exc}") from exc
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = _member_label(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                yield Member(name, 0, "skipped", "symbolic link in archive not followed", _none)
            elif info.flag_bits & 0x1:
                yield Member(name, info.file_size, "encrypted", "password-protected member", _none)
            else:
                yield Member(name, info.file_size, "ok", "", _zip_reader(archive, info))


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise ArchiveError(f"corrupt zip member: {exc}") from exc

    return chunks


def _member_label(raw: str) -> str:
    """A display name for a member: forward slashes, no leading ``/`` (names are labels)."""
    return raw.replace("\\", "/").lstrip("/") or "(unnamed)"


def _none() -> Iterator[bytes]:
    return iter(())
