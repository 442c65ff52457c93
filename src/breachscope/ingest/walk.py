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
from breachscope.worker import ContentResult, ExpandedMember

CHUNK = 1 << 20
# Top-level files recorded with one statement per this many (a statement per file was a fifth
# of the main process's time during a scan: issue 15).
FILES_BATCH = 256


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
    # False when the case had no row for this content when it was handed out: no old results
    # to delete before storing it (a DELETE by sha256 scans the whole findings table, so one
    # per new content made storing many members quadratic).
    had_row: bool = True


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
        # ``files`` rows not written yet, by path (flush_files): only this run's walk needs
        # them before then, and a killed run's walk records them again.
        self._files: dict[str, tuple[str, str, int, float | None, str | None, int]] = {}
        # A case with no file and no content when the walk began: no path can be known and
        # a content not handed out in this run has no status, so the walk asks the store
        # nothing per file (two queries per file were a third of the main process's time
        # on a dump of small letters). Resumed and re-scanned cases ask as before.
        self._fresh: bool | None = None
        # Contents recorded with members of their own when first asked (_may_have_members).
        self._with_members: set[str] | None = None
        # A resumed or re-scanned case: what the store knew when the walk began, read in two
        # queries (_snapshot): the top-level files' (sha256, size, mtime) by path and the
        # contents' statuses. Two point queries per file were 83 % of the walk resuming a
        # 10 GB dump (246 000 files: minutes). Contents handed out in this run are in
        # ``seen`` and asked of the store as they are met again.
        self._known_top: dict[str, tuple[str, int, float | None]] | None = None
        self._statuses: dict[str, str] | None = None

    # -- top level ---------------------------------------------------------------------------

    def walk(self, sources: Iterable[Path]) -> Iterator[Entry]:
        """Every file under ``sources``. Names are relative to their source (the contract), so
        two sources may hold the same name (``scan wave1/ wave2/``, both with ``export.csv``):
        the later one is numbered (``export (2).csv``) rather than overwrite the first's row;
        a ``!/`` in a real name (a folder called ``x.zip!``) is escaped as in archives."""
        from breachscope.ingest.archives.names import UniqueLabels, escape_separator

        unique = UniqueLabels()
        self._fresh = not self.case.db.execute(
            "SELECT EXISTS (SELECT 1 FROM files) OR EXISTS (SELECT 1 FROM contents)").fetchone()[0]
        if not self._fresh:
            self._snapshot()
        for name, real, root in top_level_files(sources):
            yield from self._top_file(unique(escape_separator(name)), real, root)
        self.flush_files()

    def _snapshot(self) -> None:
        """Read what the store knows of top-level files and contents (see ``__init__``); the
        contents this run retries (``Case.retry``) have no status, as ``content_status`` says."""
        db = self.case.db
        self._known_top = {path: (sha, size, mtime) for path, sha, size, mtime in db.execute(
            "SELECT path, sha256, size, mtime FROM files WHERE parent IS NULL").fetchall()}
        self._statuses = {sha: status for sha, status in db.execute(
            "SELECT sha256, status FROM contents").fetchall() if sha not in self.case.retry}

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
            if self._fresh:
                known = None
            elif self._known_top is not None:
                known = self._known_top.get(name)
            else:
                known = self.case.known_file(name)
            if known and known[1] == st.st_size and known[2] == st.st_mtime:
                sha = known[0]
            else:
                sha = hash_file(real)
        except OSError as exc:
            self.unreadable(name, None, 0, "failed", f"cannot read: {exc.strerror}")
            return
        self.stats.bytes_read += st.st_size
        self._add_file(name, sha, st.st_size, st.st_mtime, None, 0)
        entry = Entry(name, real, sha, st.st_size, None, temporary=False)
        if self._needs_processing(entry):
            yield entry
        self.stats.top_bytes_done += st.st_size

    # -- archive members ---------------------------------------------------------------------

    def members(self, archive: Entry, result: ContentResult) -> Iterator[Entry]:
        """Record the members a worker found in ``archive`` (an archive, or a message with
        attachments); yield those to scan. The container's own status is written only once
        every member is stored (``pending_archives``), so an interrupted scan redoes it."""
        self.flush_files()  # the queries below read ``files``
        self.stats.pending_archives.append(PendingArchive(
            archive.sha256, archive.size, result.file_type or "unknown", result.status,
            result.reason))
        paths = _MemberPaths(archive.path)
        files: list[tuple[str, str, int, str, int]] = []  # path, sha256, size, parent, depth
        unread: list[tuple[str, int, str, str]] = []  # pseudo sha256, size, status, reason
        placed: list[tuple[ExpandedMember, str]] = []
        for m in result.members:
            self.stats.files += 1
            path, parent = paths.place(m.name, m.parent)
            if m.sha256 is None:  # never read whole: encrypted, link, limit, corrupt
                pseudo = _pseudo_id(path)
                files.append((path, pseudo, m.size, parent, m.depth))
                unread.append((pseudo, m.size, m.status, m.reason or m.status))
                continue
            files.append((path, m.sha256, m.size, parent, m.depth))
            self.stats.bytes_read += m.size
            if m.is_archive:
                self.stats.pending_archives.append(PendingArchive(
                    m.sha256, m.size, m.file_type or "unknown", m.status, m.reason))
                continue
            placed.append((m, path))
        # One statement per table for the whole container: a statement per member made a
        # 100 000-member archive cost the main process minutes (see _store_members).
        self._store_members(files, unread)
        known = self._known_statuses([m.sha256 for m, _ in placed])
        containers = self._containers({sha for sha, status in known.items()
                                       if status != "pending"})
        for m, path in placed:
            entry = Entry(path, Path(m.blob or ""), m.sha256, m.size, m.file_type,
                          temporary=True, depth=m.depth)
            status = known.get(m.sha256)
            if status is not None and status != "pending":
                if m.sha256 in containers:  # a message or document with members
                    self._reuse_members(entry.path, entry.sha256)
                entry.real.unlink(missing_ok=True)
                continue
            if m.sha256 in self.seen:
                entry.real.unlink(missing_ok=True)
                continue
            self.seen.add(m.sha256)
            entry.had_row = status is not None
            yield entry

    def _store_members(self, files: list[tuple[str, str, int, str, int]],
                       unread: list[tuple[str, int, str, str]]) -> None:
        """``files`` and ``contents`` rows of a container's members, in one statement each
        (DuckDB costs milliseconds per statement, and more as the table grows; an Arrow
        table inserted at once costs microseconds per row). The SQL is that of
        :meth:`Case.add_file` and :meth:`Case.set_content`, for many rows."""
        if not files:
            return
        import pyarrow as pa

        db = self.case.db
        table = pa.table({
            "path": [f[0] for f in files], "sha256": [f[1] for f in files],
            "size": pa.array([f[2] for f in files], pa.int64()),
            "mtime": pa.nulls(len(files), pa.float64()),
            "parent": [f[3] for f in files], "depth": pa.array([f[4] for f in files], pa.int32()),
            "run_id": pa.array([self.run_id] * len(files), pa.int64()),
        })
        with _registered(db, "_bs_new_files", table):
            db.execute("INSERT OR REPLACE INTO files "
                       "SELECT path, sha256, size, mtime, parent, depth, run_id "
                       "FROM _bs_new_files")
        if not unread:
            return
        table = pa.table({
            "sha256": [u[0] for u in unread], "size": pa.array([u[1] for u in unread], pa.int64()),
            "status": [u[2] for u in unread], "reason": [u[3] for u in unread],
        })
        with _registered(db, "_bs_new_contents", table):
            db.execute(
                "INSERT OR REPLACE INTO contents "
                "(sha256, size, type, doc_class, status, reason, n_units, seconds, run_id) "
                "SELECT sha256, size, 'unknown', NULL, status, reason, 0, 0.0, ? "
                "FROM _bs_new_contents", [self.run_id])

    def _known_statuses(self, shas: list[str]) -> dict[str, str]:
        """Status of the contents already in the case, for many contents in one query."""
        if not shas:
            return {}
        import pyarrow as pa

        db = self.case.db
        with _registered(db, "_bs_shas", pa.table({"sha256": list(set(shas))})):
            rows = db.execute("SELECT c.sha256, c.status FROM contents c "
                              "JOIN _bs_shas USING (sha256)").fetchall()
        return dict(rows)

    def _containers(self, shas: set[str]) -> set[str]:
        """Those of ``shas`` that may be recorded somewhere with members of their own (a
        message with attachments, a document with embedded files): their members are copied
        to the new place (:meth:`_may_have_members`, no query per container)."""
        return {sha for sha in shas if self._may_have_members(sha)}

    # -- shared ------------------------------------------------------------------------------

    def _add_file(self, path: str, sha256: str, size: int, mtime: float | None,
                  parent: str | None, depth: int) -> None:
        """:meth:`Case.add_file`, deferred to the next :meth:`flush_files`."""
        self._files[path] = (path, sha256, size, mtime, parent, depth)
        if len(self._files) >= FILES_BATCH:
            self.flush_files()

    def flush_files(self) -> None:
        """Write the ``files`` rows recorded since the last call, in one statement (the SQL
        of :meth:`Case.add_file`, for many rows). Called before anything reads ``files``
        and at the end of the walk."""
        if not self._files:
            return
        import pyarrow as pa

        rows, self._files = list(self._files.values()), {}
        table = pa.table({
            "path": pa.array([r[0] for r in rows], pa.string()),
            "sha256": pa.array([r[1] for r in rows], pa.string()),
            "size": pa.array([r[2] for r in rows], pa.int64()),
            "mtime": pa.array([r[3] for r in rows], pa.float64()),
            "parent": pa.array([r[4] for r in rows], pa.string()),
            "depth": pa.array([r[5] for r in rows], pa.int32()),
        })
        with _registered(self.case.db, "_bs_top_files", table):
            self.case.db.execute("INSERT OR REPLACE INTO files SELECT path, sha256, size, "
                                 "mtime, parent, depth, ? FROM _bs_top_files", [self.run_id])

    def _needs_processing(self, entry: Entry) -> bool:
        if entry.sha256 in self.seen:
            status = self.case.content_status(entry.sha256)
        elif self._fresh:
            status = None
        elif self._statuses is not None:
            status = self._statuses.get(entry.sha256)
        else:
            status = self.case.content_status(entry.sha256)
        entry.had_row = status is not None
        if status is not None and status != "pending":
            if self._may_have_members(entry.sha256):
                self._reuse_members(entry.path, entry.sha256)
            return False
        if entry.sha256 in self.seen:
            return False
        self.seen.add(entry.sha256)
        return True

    def _may_have_members(self, sha: str) -> bool:
        """Whether a content already done may have members recorded under another path: it
        was the parent of some file when this walk first asked (one query), or it was handed
        out in this run. Asking the store for a path per known file (two scans of ``files``
        each) made resuming a 10 GB dump of 246 000 files take most of an hour just walking
        (issue 15, session 11); plain files, most of a dump, have no members to copy."""
        if self._with_members is None:
            self._with_members = {row[0] for row in self.case.db.execute(
                "SELECT DISTINCT p.sha256 FROM files p "
                "WHERE EXISTS (SELECT 1 FROM files c WHERE c.parent = p.path)").fetchall()}
        return sha in self._with_members or sha in self.seen

    def _reuse_members(self, name: str, sha: str) -> None:
        """An archive already expanded elsewhere: record its members under this name too."""
        self.flush_files()
        other = self.case.path_for_content(sha, exclude=name)
        if other is not None:
            self.case.copy_members(other, name, self.run_id)

    def unreadable(
        self, name: str, parent: str | None, depth: int, status: str, reason: str, *,
        size: int = 0,
    ) -> None:
        """A path whose content cannot be hashed: keyed by a pseudo id derived from its name."""
        pseudo = _pseudo_id(name)
        self._add_file(name, pseudo, size, None, parent, depth)
        self.case.set_content(pseudo, size=size, file_type="unknown", status=status,
                              reason=reason, run_id=self.run_id)


def _pseudo_id(name: str) -> str:
    """The content key of a path whose bytes were never read whole."""
    return "unread:" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()


@contextlib.contextmanager
def _registered(db: object, name: str, table: object) -> Iterator[None]:
    db.register(name, table)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        db.unregister(name)  # type: ignore[attr-defined]
