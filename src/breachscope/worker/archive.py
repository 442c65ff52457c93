"""Archive expansion in the worker: every member of an archive tree (nested archives
included) streamed into a uniquely named blob of the work area (sealed for an encrypted case),
under the archive limits and one disk budget, and described in the task's result. Embedded
files of documents (attachments) go through the same expander."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from breachscope.ingest.archives import ByteBudget
from breachscope.masking import scrub
from breachscope.settings import ScanSettings
from breachscope.worker import sandbox
from breachscope.worker.model import NO_SPACE_REASON, ContentResult, ExpandedMember, no_space


def expand(
    path: Path, file_type: str, work_dir: Path, settings: ScanSettings, depth: int
) -> ContentResult:
    """Expand an archive tree (nested archives included) into uniquely named blobs."""
    if depth >= settings.archive.max_depth:
        return ContentResult(
            "skipped", f"archive nested deeper than {settings.archive.max_depth} levels")
    members: list[ExpandedMember] = []
    expander = new_expander(work_dir, settings, members)
    status, reason = expander.expand(path, file_type, prefix="", parent="", depth=depth)
    if any(m.reason == NO_SPACE_REASON for m in members):
        # A member lost to a full disk: the archive is redone by the next scan of the case
        # (its members already stored are not scanned again).
        status, reason = "failed", NO_SPACE_REASON
    return ContentResult(status, reason, file_type, members=members)


def honest_status(members: list[ExpandedMember]) -> tuple[str, str | None]:
    """An archive whose listing ended is ``scanned`` unless a limit kept some of its members
    (or of a nested archive's) from being read: then ``partial``, saying how many and why
    (each such member has its own ``skipped`` row with the limit)."""
    stopped = [m for m in members if m.limit_hit or (m.is_archive and m.status == "partial")]
    if not stopped:
        return "scanned", None
    first = stopped[0].reason or "a limit"
    return "partial", (f"{len(stopped)} of {len(members)} members not read whole "
                       f"(limit): {first}")


def new_expander(
    work_dir: Path, settings: ScanSettings, members: list[ExpandedMember]
) -> Expander:
    from breachscope.ingest.archives import ByteBudget
    from breachscope.ingest.archives.limits import DiskGuard

    blob_dir = work_dir / "blobs"
    blob_dir.mkdir(parents=True, exist_ok=True)
    # One disk budget for the whole case (free space kept in reserve, and the work area's
    # size if capped), whatever the number of archives and workers expanding at once.
    disk = DiskGuard.for_limits(work_dir, settings.archive)
    return Expander(blob_dir, settings, members,
                     ByteBudget(settings.archive.max_total_bytes, disk=disk))


def counted(
    chunks: Callable[[], Iterator[bytes]], budget: ByteBudget
) -> Callable[[], Iterator[bytes]]:
    """Embedded files count against the same byte budget as archive members."""

    def counted() -> Iterator[bytes]:
        for chunk in chunks():
            budget.consume(len(chunk))
            yield chunk

    return counted


class Expander:
    _ids = itertools.count()

    def __init__(self, blob_dir: Path, settings: ScanSettings, out: list[ExpandedMember],
                 budget: ByteBudget) -> None:
        self.blob_dir = blob_dir
        self.settings = settings
        self.out = out
        self.budget = budget

    def expand(
        self, path: Path, file_type: str, *, prefix: str, parent: str, depth: int
    ) -> tuple[str, str | None]:
        """Expand one archive; ``depth`` is the archive's own nesting depth in the dump."""
        from breachscope.ingest.archives import ArchiveError, LimitExceeded, iter_members

        first = len(self.out)
        try:
            for member in iter_members(
                path, file_type, limits=self.settings.archive, budget=self.budget,
                passwords=self.settings.passwords,
            ):
                self.take(prefix + member.name, parent, depth + 1, member.chunks,
                          status=member.status, reason=member.reason, size=member.size,
                          limit_hit=member.status == "skipped" and bool(
                              member.reason and member.reason.startswith("not read")))
        except LimitExceeded as exc:  # the listing itself stopped: members so far are kept
            read_some = any(m.parent == parent for m in self.out[first:])
            return ("partial" if read_some else "skipped"), scrub(str(exc))
        except ArchiveError as exc:
            return "failed", scrub(str(exc))
        return honest_status([m for m in self.out[first:] if m.parent == parent])

    def take(
        self, name: str, parent: str, depth: int, chunks: Callable[[], Iterator[bytes]], *,
        status: str = "ok", reason: str | None = None, size: int = 0,
        limit_hit: bool = False,
    ) -> None:
        """Stream one member (or embedded file) into a blob; expand it if it is an archive."""
        from breachscope.ingest.sniff import sniff_type

        base = ExpandedMember(name, parent, depth, status, reason or None, size=size,
                              limit_hit=limit_hit)
        self.out.append(base)
        if status != "ok":
            return
        blob = self.blob_dir / f"{os.getpid()}-{next(self._ids)}"
        key = blob_key()
        if key is not None:
            self._take_sealed(base, blob, chunks, key)
            return
        if not self._copy(base, blob, lambda: stream_to(blob, chunks())):
            return
        base.file_type = sniff_type(blob)
        if base.file_type not in archive_types():
            base.blob = str(blob)
            return
        self._expand_nested(base, blob)
        blob.unlink(missing_ok=True)

    def _copy(self, base: ExpandedMember, blob: Path,
              copy: Callable[[], tuple[str, int]]) -> bool:
        """Run ``copy`` (the member's bytes to where they go), recording its sha256 and size;
        False, with the member's status and reason set, when it failed."""
        from breachscope.ingest.archives import ArchiveError, LimitExceeded

        try:
            base.sha256, base.size = copy()
        except LimitExceeded as exc:
            blob.unlink(missing_ok=True)
            base.status, base.reason = "skipped", scrub(str(exc))
            base.limit_hit = True
            return False
        except (ArchiveError, OSError) as exc:
            blob.unlink(missing_ok=True)
            base.status = "failed"
            base.reason = NO_SPACE_REASON if no_space(exc) else scrub(str(exc))
            return False
        except BaseException:  # a limit stopped the task: no half-copied member is left
            blob.unlink(missing_ok=True)
            raise
        return True

    def _expand_nested(self, base: ExpandedMember, readable: Path) -> None:
        base.is_archive = True
        if base.depth >= self.settings.archive.max_depth:
            base.status = "skipped"
            base.reason = f"archive nested deeper than {self.settings.archive.max_depth} levels"
        else:
            base.status, base.reason = self.expand(
                readable, base.file_type or "", prefix=base.name + "!/", parent=base.name,
                depth=base.depth)

    def _take_sealed(self, base: ExpandedMember, blob: Path,
                     chunks: Callable[[], Iterator[bytes]], key: bytes) -> None:
        """An encrypted case: the member's plain bytes go to an in-memory file (sniffed
        there, and a nested archive expanded from there), and only a sealed copy is written
        to the work area for the task that scans it (:mod:`breachscope.sealed_blobs`)."""
        from breachscope.ingest.sniff import sniff_type
        from breachscope.sealed_blobs import SUFFIX, memory_file, seal_stream, stream_to_memory

        blob = blob.with_name(blob.name + SUFFIX)
        with memory_file() as (handle, plain):
            if not self._copy(base, blob, lambda: stream_to_memory(handle, chunks())):
                return
            base.file_type = sniff_type(plain)
            if base.file_type in archive_types():
                self._expand_nested(base, plain)
                return
            done = (base.sha256 or "", base.size)

            def seal() -> tuple[str, int]:
                handle.seek(0)
                seal_stream(handle, blob, key)
                return done

            if self._copy(base, blob, seal):
                base.blob = str(blob)


def blob_key() -> bytes | None:
    """The key member blobs are sealed with: the scan's results key (an encrypted case),
    where in-memory files exist (Linux); None: plain blobs, as for a case without a key."""
    from breachscope.sealed_blobs import memfd_available

    key = sandbox.sealing_key[0]
    return key if key is not None and memfd_available() else None


def archive_types() -> set[str]:
    from breachscope.ingest.archives import ARCHIVE_TYPES

    return set(ARCHIVE_TYPES)


def stream_to(target: Path, chunks: Iterator[bytes]) -> tuple[str, int]:
    """Write chunks to ``target``; return (sha256, bytes written)."""
    digest = hashlib.sha256()
    written = 0
    with target.open("wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
            written += len(chunk)
    return digest.hexdigest(), written
