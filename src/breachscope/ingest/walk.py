"""Walk the sources of a scan and decide, content by content, what needs scanning.

The walker runs in the main process and never parses a file: it lists directories, hashes
files (reading bytes is not parsing them) and records every path in the case store. Archives
are expanded by worker processes (``worker.process_content``), which describe their members;
the walker then records those members under their contract names
(``outer.zip!/dir/inner.zip!/file.csv``) and yields the ones that still need scanning.
A member's name is only ever a label, never a filesystem path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from breachscope.case import Case
from breachscope.worker import ContentResult

CHUNK = 1 << 20


@dataclass(slots=True)
class Entry:
    """One content to process: ``path`` is its contract name, ``real`` where its bytes are."""

    path: str
    real: Path
    sha256: str
    size: int
    file_type: str | None  # None until a worker has sniffed it
    temporary: bool  # a blob in the work area, to delete once processed
    depth: int = 0


@dataclass(slots=True)
class PendingArchive:
    """An expanded archive, marked done only once all its members are stored."""

    sha256: str
    size: int
    file_type: str
    status: str
    reason: str | None


@dataclass
class WalkStats:
    files: int = 0
    bytes_read: int = 0
    top_bytes_done: int = 0
    pending_archives: list[PendingArchive] = field(default_factory=list)


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def readable_name(name: str) -> str:
    """A file or member name as the case stores and shows it. Names that are not valid UTF-8
    (a Latin-1 name written on Windows, raw bytes in a tar header) reach Python with lone
    surrogates (``surrogateescape``), which the store cannot encode: each such byte is written
    as ``\\xNN`` (``résumé`` in Latin-1 becomes ``r\\xe9sum\\xe9``). The bytes are still read
    from the real path; the name is only a label."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


class _MemberPaths:
    """Contract paths of the members of one container, one per member.

    Archive members arrive already labelled one by one (``iter_members``); this also covers
    what does not go through it (files embedded in a document or a message: two attachments
    named ``image.png``) and names that only collide once made readable. A member's path is
    its parent's *placed* path + ``!/`` + its own label, so a renamed nested archive takes its
    members along."""

    def __init__(self, root: str) -> None:
        from breachscope.ingest.archives.names import UniqueLabels

        self.root = root
        self.placed: dict[str, str] = {}  # worker name -> contract path
        self.unique = UniqueLabels()

    def place(self, name: str, parent: str) -> tuple[str, str]:
        from breachscope.ingest.archives.names import escape_separator

        if parent and name.startswith(parent + "!/"):
            base = self.placed.get(parent) or f"{self.root}!/{readable_name(parent)}"
            tail = name[len(parent) + 2 :]
        else:
            base = self.root
            tail = name
        path = self.unique(f"{base}!/{escape_separator(readable_name(tail))}")
        self.placed[name] = path  # a later namesake is followed by its own members
        return path, base


def top_level_files(sources: Iterable[Path]) -> Iterator[tuple[str, Path, Path]]:
    """(contract name, real path, root) for every file under the sources, in a stable order.
    Directory symbolic links are not descended into."""
    for source in sources:
        if not source.is_dir():
            yield readable_name(source.name), source, source.resolve().parent
            continue
        root = source.resolve()
        for dirpath, dirnames, filenames in os.walk(source, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                real = Path(dirpath) / name
                yield readable_name(real.relative_to(source).as_posix()), real, root


def total_size(sources: Iterable[Path]) -> int:
    total = 0
    for _name, real, _root in top_level_files(sources):
        with contextlib.suppress(OSError):
            total += real.stat().st_size
    return total


class Walker:
    """Records files and yields the contents that need processing, once per content."""

    def __init__(self, case: Case, run_id: int) -> None:
        self.case = case
        self.run_id = run_id
        self.stats = WalkStats()
        self.seen: set[str] = set()  # contents handed out (or done) in this run

    # -- top level ---------------------------------------------------------------------------

    def walk(self, sources: Iterable[Path]) -> Iterator[Entry]:
        for name, real, root in top_level_files(sources):
            yield from self._top_file(name, real, root)

    def _top_file(self, name: str, real: Path, root: Path) -> Iterator[Entry]:
        self.stats.files += 1
        try:
            st = real.lstat()
            if stat.S_ISLNK(st.st_mode):
                target = real.resolve()
                if not target.is_relative_to(root) or not target.is_file():
                    self.unreadable(name, None, 0, "skipped", "symbolic link leaving the dump")
                    return
                st = target.stat()
            elif not stat.S_ISREG(st.st_mode):
                self.unreadable(name, None, 0, "skipped", "not a regular file")
                return
            known = self.case.known_file(name)
            if known and known[1] == st.st_size and known[2] == st.st_mtime:
                sha = known[0]
            else:
                sha = hash_file(real)
        except OSError as exc:
            self.unreadable(name, None, 0, "failed", f"cannot read: {exc.strerror}")
            return
        self.stats.bytes_read += st.st_size
        self.case.add_file(
            name, sha, st.st_size, mtime=st.st_mtime, parent=None, depth=0, run_id=self.run_id
        )
        entry = Entry(name, real, sha, st.st_size, None, temporary=False)
        if self._needs_processing(entry):
            yield entry
        self.stats.top_bytes_done += st.st_size

    # -- archive members ---------------------------------------------------------------------

    def members(self, archive: Entry, result: ContentResult) -> Iterator[Entry]:
        """Record the members a worker found in ``archive`` (an archive, or a message with
        attachments); yield those to scan. The container's own status is written only once
        every member is stored (``pending_archives``), so an interrupted scan redoes it."""
        self.stats.pending_archives.append(PendingArchive(
            archive.sha256, archive.size, result.file_type or "unknown", result.status,
            result.reason))
        paths = _MemberPaths(archive.path)
        for m in result.members:
            self.stats.files += 1
            path, parent = paths.place(m.name, m.parent)
            depth = m.depth
            if m.sha256 is None:  # never read whole: encrypted, link, limit, corrupt
                self.unreadable(path, parent, depth, m.status, m.reason or m.status,
                                size=m.size)
                continue
            self.case.add_file(path, m.sha256, m.size, mtime=None, parent=parent, depth=depth,
                               run_id=self.run_id)
            self.stats.bytes_read += m.size
            if m.is_archive:
                self.stats.pending_archives.append(PendingArchive(
                    m.sha256, m.size, m.file_type or "unknown", m.status, m.reason))
                continue
            entry = Entry(path, Path(m.blob or ""), m.sha256, m.size, m.file_type,
                          temporary=True, depth=depth)
            if self._needs_processing(entry):
                yield entry
            else:
                entry.real.unlink(missing_ok=True)

    # -- shared ------------------------------------------------------------------------------

    def _needs_processing(self, entry: Entry) -> bool:
        status = self.case.content_status(entry.sha256)
        if status is not None and status != "pending":
            self._reuse_members(entry.path, entry.sha256)
            return False
        if entry.sha256 in self.seen:
            return False
        self.seen.add(entry.sha256)
        return True

    def _reuse_members(self, name: str, sha: str) -> None:
        """An archive already expanded elsewhere: record its members under this name too."""
        other = self.case.path_for_content(sha, exclude=name)
        if other is not None:
            self.case.copy_members(other, name, self.run_id)

    def unreadable(
        self, name: str, parent: str | None, depth: int, status: str, reason: str, *,
        size: int = 0,
    ) -> None:
        """A path whose content cannot be hashed: keyed by a pseudo id derived from its name."""
        pseudo = "unread:" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
        self.case.add_file(name, pseudo, size, mtime=None, parent=parent, depth=depth,
                           run_id=self.run_id)
        self.case.set_content(pseudo, size=size, file_type="unknown", status=status,
                              reason=reason, run_id=self.run_id)
