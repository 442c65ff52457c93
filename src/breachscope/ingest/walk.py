"""Walk the sources of a scan: files, directories and archives, nested at any depth.

The walker records every path it meets in the case store (``files``) and yields only the
contents that still need scanning. Archive members are streamed into the case's work area under
their content hash (``work/blobs/<sha256>``): a member's name is only ever a label, never a
filesystem path, so ``../`` or absolute member names cannot write outside the work area.
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
from breachscope.ingest.archives import ARCHIVE_TYPES, ArchiveError, iter_members
from breachscope.ingest.sniff import sniff_type

CHUNK = 1 << 20
MAX_DEPTH = 8  # nesting of archives; deeper members are recorded `skipped`


@dataclass(slots=True)
class Entry:
    """One content to scan: ``path`` is its contract name, ``real`` where its bytes are."""

    path: str
    real: Path
    sha256: str
    size: int
    file_type: str
    temporary: bool  # a blob in the work area, to delete once scanned


@dataclass
class WalkStats:
    files: int = 0
    bytes_read: int = 0
    top_bytes_done: int = 0
    pending_archives: list[PendingArchive] = field(default_factory=list)


@dataclass(slots=True)
class PendingArchive:
    """An expanded archive, marked done only once all its members are scanned."""

    sha256: str
    size: int
    file_type: str
    status: str
    reason: str | None


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def top_level_files(sources: Iterable[Path]) -> Iterator[tuple[str, Path, Path]]:
    """(contract name, real path, root) for every regular file under the sources. Symbolic
    links are followed only when their target stays inside the source folder."""
    for source in sources:
        if source.is_file():
            yield source.name, source, source.parent
            continue
        root = source.resolve()
        for dirpath, dirnames, filenames in os.walk(source, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                real = Path(dirpath) / name
                rel = real.relative_to(source).as_posix()
                yield rel, real, root


def total_size(sources: Iterable[Path]) -> int:
    total = 0
    for _name, real, _root in top_level_files(sources):
        with contextlib.suppress(OSError):
            total += real.stat().st_size
    return total


class Walker:
    """Records files and yields the contents that need scanning, once per content."""

    def __init__(self, case: Case, run_id: int) -> None:
        self.case = case
        self.run_id = run_id
        self.stats = WalkStats()
        self.seen: set[str] = set()  # contents yielded (or being expanded) in this run
        self.blob_dir = case.work_dir / "blobs"
        self.blob_dir.mkdir(parents=True, exist_ok=True)

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
                    self._unreadable(name, None, 0, "skipped", "symbolic link leaving the dump")
                    return
                st = target.stat()
            elif not stat.S_ISREG(st.st_mode):
                self._unreadable(name, None, 0, "skipped", "not a regular file")
                return
            known = self.case.known_file(name)
            if known and known[1] == st.st_size and known[2] == st.st_mtime:
                sha = known[0]
            else:
                sha = hash_file(real)
        except OSError as exc:
            self._unreadable(name, None, 0, "failed", f"cannot read: {exc.strerror}")
            return
        self.stats.bytes_read += st.st_size
        self.case.add_file(
            name, sha, st.st_size, mtime=st.st_mtime, parent=None, depth=0, run_id=self.run_id
        )
        yield from self._content(name, real, sha, st.st_size, depth=0, temporary=False)
        self.stats.top_bytes_done += st.st_size

    # -- any content -------------------------------------------------------------------------

    def _content(
        self, name: str, real: Path, sha: str, size: int, *, depth: int, temporary: bool
    ) -> Iterator[Entry]:
        status = self.case.content_status(sha)
        if status is not None and status != "pending":
            if temporary:
                real.unlink(missing_ok=True)
            self._reuse_members(name, sha)
            return
        if sha in self.seen:
            if temporary:
                real.unlink(missing_ok=True)
            return
        self.seen.add(sha)
        if temporary:
            blob = self.blob_dir / sha
            real.rename(blob)
            real = blob
        file_type = sniff_type(real)
        if file_type in ARCHIVE_TYPES:
            yield from self._expand(name, real, sha, size, file_type, depth)
            if temporary:
                real.unlink(missing_ok=True)
            return
        yield Entry(name, real, sha, size, file_type, temporary)

    def _reuse_members(self, name: str, sha: str) -> None:
        """An archive already expanded elsewhere: record its members under this name too."""
        other = self.case.path_for_content(sha, exclude=name)
        if other is not None:
            self.case.copy_members(other, name, self.run_id)

    def _expand(
        self, name: str, real: Path, sha: str, size: int, file_type: str, depth: int
    ) -> Iterator[Entry]:
        """Stream each member to a blob and scan it as content. The archive's own content row
        is written by the pipeline once every member has been scanned (resume safety)."""
        reason = None
        status = "scanned"
        if depth >= MAX_DEPTH:
            status, reason = "skipped", f"archive nested deeper than {MAX_DEPTH} levels"
        else:
            try:
                for member in iter_members(real, file_type):
                    member_name = f"{name}!/{member.name}"
                    if member.status != "ok":
                        self._unreadable(
                            member_name, name, depth + 1, member.status, member.reason,
                            size=member.size,
                        )
                        continue
                    tmp = self.blob_dir / f"tmp-{os.getpid()}-{self.stats.files}"
                    self.stats.files += 1
                    try:
                        member_sha, written = _stream_to(tmp, member.chunks())
                    except ArchiveError as exc:
                        tmp.unlink(missing_ok=True)
                        self._unreadable(member_name, name, depth + 1, "failed", str(exc),
                                         size=member.size)
                        continue
                    self.stats.bytes_read += written
                    self.case.add_file(
                        member_name, member_sha, written, mtime=None, parent=name,
                        depth=depth + 1, run_id=self.run_id,
                    )
                    yield from self._content(
                        member_name, tmp, member_sha, written, depth=depth + 1, temporary=True
                    )
            except ArchiveError as exc:
                status, reason = "failed", str(exc)
        self.stats.pending_archives.append(PendingArchive(sha, size, file_type, status, reason))

    def _unreadable(
        self, name: str, parent: str | None, depth: int, status: str, reason: str, *, size: int = 0
    ) -> None:
        """A path whose content cannot be hashed: keyed by a pseudo id derived from its name."""
        pseudo = "unread:" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
        self.case.add_file(name, pseudo, size, mtime=None, parent=parent, depth=depth,
                           run_id=self.run_id)
        self.case.set_content(pseudo, size=size, file_type="unknown", status=status,
                              reason=reason, run_id=self.run_id)


def _stream_to(target: Path, chunks: Iterator[bytes]) -> tuple[str, int]:
    """Write chunks to ``target``; return (sha256, bytes written)."""
    digest = hashlib.sha256()
    written = 0
    with target.open("wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
            written += len(chunk)
    return digest.hexdigest(), written
