"""The per-file task: the only code that parses untrusted bytes. It sniffs a content's type,
then expands it if it is an archive (:mod:`breachscope.worker.archive`) or extracts units from
it and runs detection, streaming findings and records into result files
(:mod:`breachscope.worker.sink`). It never touches the case store; any failure becomes a status
and a reason."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from breachscope import memwatch
from breachscope.extract.passwords import using_passwords
from breachscope.extract.units import EmbeddedFile
from breachscope.masking import scrub
from breachscope.memwatch import TaskMemoryLimit
from breachscope.settings import ScanSettings
from breachscope.worker import sandbox
from breachscope.worker.archive import Expander, counted, expand, honest_status, new_expander
from breachscope.worker.model import (
    NO_SPACE_REASON,
    ColumnRow,
    ContentResult,
    DeclaredKey,
    ExpandedMember,
    no_space,
)
from breachscope.worker.sandbox import (
    TaskTimeout,
    limit_exceeded,
    limit_text,
    quiet_limits,
    time_limit,
)
from breachscope.worker.sink import ResultSink


def process_content(
    path: str, file_type: str | None, work_dir: str, settings: ScanSettings, depth: int = 0
) -> ContentResult:
    """Sniff, then expand or scan one content. Never raises for a bad file."""
    return _process(path, file_type, work_dir, settings, depth)


def process_content_by_page(
    path: str, file_type: str | None, work_dir: str, settings: ScanSettings, depth: int = 0
) -> ContentResult:
    """:func:`process_content`, leaving the pages to OCR (a PDF's scanned pages, the frames
    of a multi-page image) to tasks of their own: they are listed in the result's
    ``ocr_pages`` and the pipeline runs :func:`process_ocr_page` on each (issue 15: the
    scanned pages of one document on every worker)."""
    from breachscope.extract.ocr_pages import deferring_ocr

    with deferring_ocr():
        return _process(path, file_type, work_dir, settings, depth)


def process_ocr_page(
    path: str, file_type: str | None, work_dir: str, settings: ScanSettings, depth: int,
    index: int, first_line: int,
) -> ContentResult:
    """OCR one page of a document (an ``ocr_pages`` entry of its result: a PDF page, a frame
    of a multi-page image) under the worker's limits, as a content of its own would be: its
    findings and records (located ``page N, line L`` as when the document's task read it)
    are the document's. Never raises for a bad page: a failure is this page's status and
    reason."""
    from breachscope.extract.image import IMAGE_TYPES, ocr_image_frame
    from breachscope.extract.pdf import ocr_pdf_page

    read = ocr_image_frame if file_type in IMAGE_TYPES else ocr_pdf_page
    return _process(path, file_type or "pdf", work_dir, settings, depth,
                    source=lambda readable: read(readable, index, first_line))


def _process(
    path: str, file_type: str | None, work_dir: str, settings: ScanSettings, depth: int = 0,
    read: ReadAhead | None = None, source: Callable[[Path], Iterator[object]] | None = None,
) -> ContentResult:
    """:func:`process_content`; with ``read``, the content's units as a batch task read them
    ahead (:func:`process_batch`): the time they took counts against the content's limit;
    with ``source``, the units it gives for the readable file instead of its extractor's."""
    from breachscope.ingest.archives import ARCHIVE_TYPES
    from breachscope.sealed_blobs import SealedBlobError

    started = time.perf_counter()
    timeout = settings.timeout
    if read is not None and timeout > 0:
        timeout = max(timeout - read.seconds, 1e-6)
    try:
        with _readable(Path(path), file_type, Path(work_dir)) as (readable, file_type):
            if file_type in ARCHIVE_TYPES:
                result = expand(readable, file_type, Path(work_dir), settings, depth)
            else:
                with time_limit(timeout), using_passwords(settings.passwords):
                    result = _scan(readable, file_type, Path(work_dir), settings, depth,
                                   read, source)
    except SealedBlobError as exc:
        result = ContentResult("failed", str(exc))
    except TaskTimeout:
        result = ContentResult("failed", limit_exceeded("time", settings), limit_hit="time")
    except (MemoryError, TaskMemoryLimit):
        result = ContentResult("failed", limit_exceeded("memory", settings),
                               limit_hit="memory")
    except OSError as exc:  # the work area's disk is full while expanding or sniffing
        if not no_space(exc):
            raise
        result = ContentResult("failed", NO_SPACE_REASON)
    result.file_type = result.file_type or file_type
    result.seconds = time.perf_counter() - started + (read.seconds if read else 0.0)
    return result


@dataclass(slots=True)
class ReadAhead:
    """A content's units read ahead by a batch task (:mod:`breachscope.worker.batch`), and
    the extractor's error that ended the reading, if any (an ``ExtractionError``, a
    ``PartialContent``...): replayed by :func:`_scan` as the extractor would have streamed
    them, the error raised where the extractor raised it."""

    units: list[object]
    error: BaseException | None
    seconds: float

    def replay(self) -> Iterator[object]:
        yield from self.units
        if self.error is not None:
            raise self.error


#: Types whose extractor cannot read an in-memory file by its ``/proc/self/fd/N`` path (it
#: would resolve the path, to ``/memfd:... (deleted)``, which does not exist): their sealed
#: blobs are decrypted into a file of the work area for the time of the task only. Empty
#: since pdf.py (a file object), sqlite.py (deserialised in memory) and pst.py (libpff opens
#: the descriptor's path) take such a path; tests/test_sealed_blobs.py checks every type.
NEEDS_NAMED_FILE: frozenset[str] = frozenset()


@contextlib.contextmanager
def _readable(
    path: Path, file_type: str | None, work_dir: Path
) -> Iterator[tuple[Path, str]]:
    """(a path the extractors can read, the content's type): the file itself, or for a sealed
    member blob of an encrypted case its plain bytes in an in-memory file
    (:mod:`breachscope.sealed_blobs`), gone when the task ends."""
    from breachscope.ingest.sniff import sniff_type
    from breachscope.sealed_blobs import SUFFIX, SealedBlobError, opened

    # Only a blob of this case's work area is sealed (a file of the dump may have any name).
    if not (path.name.endswith(SUFFIX) and path.parent == work_dir / "blobs"):
        yield path, file_type if file_type is not None else sniff_type(path)
        return
    key = sandbox.sealing_key[0]
    if key is None:
        raise SealedBlobError("sealed member blob without the scan's key")
    with opened(path, key) as plain:
        file_type = file_type if file_type is not None else sniff_type(plain)
        if file_type not in NEEDS_NAMED_FILE:
            yield plain, file_type
            return
        named = work_dir / "tmp" / f"{path.name}-{os.getpid()}"
        named.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(named, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with plain.open("rb") as source, os.fdopen(fd, "wb") as target:
                while chunk := source.read(1024 * 1024):
                    target.write(chunk)
            yield named, file_type
        finally:
            named.unlink(missing_ok=True)



def _scan(
    path: Path, file_type: str, work_dir: Path, settings: ScanSettings, depth: int,
    read: ReadAhead | None = None, source: Callable[[Path], Iterator[object]] | None = None,
) -> ContentResult:
    """Extract and detect; the pages left to tasks of their own (``OcrPageRef``) are
    listed in ``ocr_pages`` whatever stopped the reading (they were found before it), unless
    the content is to be redone whole (no space left) or was not read (skipped)."""
    pages: list[tuple[int, int]] = []
    result = _scan_units(path, file_type, work_dir, settings, depth, read, source, pages)
    if result.status != "skipped" and result.reason != NO_SPACE_REASON:
        result.ocr_pages = pages
    return result


def _scan_units(
    path: Path, file_type: str, work_dir: Path, settings: ScanSettings, depth: int,
    read: ReadAhead | None, source: Callable[[Path], Iterator[object]] | None,
    pages: list[tuple[int, int]],
) -> ContentResult:
    from breachscope.detect.dispatch import StreamingDetector
    from breachscope.extract.dispatch import UnsupportedType, partition
    from breachscope.extract.ocr_pages import OcrPageRef
    from breachscope.extract.partial import PartialContent
    from breachscope.extract.units import EncryptedContent, ExtractionError, TableUnit
    from breachscope.filetypes import BY_NAME

    spec = BY_NAME.get(file_type)
    if spec is not None and spec.extractor is None and spec.status:  # e.g. an empty file
        return ContentResult(spec.status, spec.reason)
    sink = ResultSink(work_dir)
    detector = StreamingDetector()
    n_units = n_rows = 0
    columns: list[ColumnRow] = []
    members: list[ExpandedMember] = []
    declared: list[list[DeclaredKey]] = []
    expander: Expander | None = None
    stopped: str | None = None  # the limit that stopped the content: "time" or "memory"
    units: Iterator[object] = iter(())
    try:
        try:
            # raises UnsupportedType at once (a batch's read ahead: at the first unit)
            units = (source(path) if source is not None else
                     partition(path, file_type) if read is None else read.replay())
            for unit in units:
                if isinstance(unit, OcrPageRef):  # OCR'd by a task of its own
                    pages.append((unit.index, unit.first_line))
                    continue
                if isinstance(unit, EmbeddedFile):  # an attachment: scanned as a member
                    if expander is None:
                        expander = new_expander(work_dir, settings, members)
                    expander.take(unit.name, "", depth + 1,
                                  counted(unit.chunks, expander.budget))
                    continue
                detected = detector.detect(unit)
                with memwatch.held():  # a limit never stops a batch halfway through its write
                    sink.add(detected.findings, detected.records, detected.row_keys,
                             overlapping=not isinstance(unit, TableUnit))
                n_units += 1
                n_rows += len(unit.rows) if isinstance(unit, TableUnit) else 0
                declared.extend(_declared(k) for k in detected.declared_keys)
                columns.extend(
                    ColumnRow(name, c.index, c.header, c.label, c.confidence, c.reason)
                    for name, c in detected.columns
                )
        finally:
            quiet_limits()  # what follows is quick (storing what was read): never cut it
    except UnsupportedType as exc:
        sink.discard()
        return ContentResult("skipped", scrub(str(exc)))
    except TaskTimeout:
        stopped = "time"
    except (MemoryError, TaskMemoryLimit):
        stopped = "memory"
    except PartialContent as exc:  # the extractor says what it skipped; what it read is kept
        return _partial(sink, "partial", scrub(str(exc)), file_type, n_units, columns,
                        members, declared)
    except EncryptedContent as exc:  # the contract's status, with what kind of file
        return _partial(sink, "encrypted", scrub(str(exc)), file_type, n_units, columns,
                        members, declared)
    except Exception as exc:  # ExtractionError, or a bug on hostile bytes: never stop the scan
        if no_space(exc):
            sink.discard()
            return ContentResult("failed", NO_SPACE_REASON, file_type, n_units)
        reason = str(exc) if isinstance(exc, ExtractionError) else (
            f"error: {type(exc).__name__}: {exc}")
        # What was read before the failure (the good pages of a damaged PDF) is kept.
        return _partial(sink, "failed", scrub(reason), file_type, n_units, columns, members,
                        declared)
    if stopped is None:
        # Embedded parts a limit kept from being read (a 64 MiB+ object in a letter, the
        # case's disk nearly full): each has its own row; the document is 'partial'.
        status, reason = honest_status([m for m in members if not m.parent])
        return _partial(sink, status, reason, file_type, n_units, columns, members, declared)
    # Degrade, don't discard: what was found before the limit is kept (issue 12). The parser
    # and its buffers are dropped first, so that writing the last batch has memory to work in.
    with contextlib.suppress(BaseException):
        units.close()  # type: ignore[attr-defined]
    del units, detector
    name, amount = limit_text(stopped, settings)
    for member in members:  # an attachment the limit cut while it was being copied
        if member.status == "ok" and member.sha256 is None:
            member.status, member.reason = "skipped", f"{name} {amount} reached while it was read"
    if n_units == 0 and not members:
        sink.discard()
        result = ContentResult("failed", limit_exceeded(stopped, settings), file_type)
    else:
        done = f"{n_units:,} parts".replace(",", " ")
        if n_rows:
            done += f" ({n_rows:,} table rows)".replace(",", " ")
        result = _partial(sink, "partial",
                          f"{name} {amount} reached after {done}; findings so far kept",
                          file_type, n_units, columns, members, declared)
    result.limit_hit = stopped
    return result


def _declared(keys: object) -> list[DeclaredKey]:
    """A ``KeysUnit`` as plain tuples (primary key first, then each foreign key)."""
    out: list[DeclaredKey] = []
    if keys.primary_key:  # type: ignore[attr-defined]
        out.append((keys.unit_name, "primary", list(keys.primary_key), None, []))  # type: ignore[attr-defined]
    for fk in keys.foreign_keys:  # type: ignore[attr-defined]
        out.append((keys.unit_name, "foreign", list(fk.columns), fk.ref_table,  # type: ignore[attr-defined]
                    list(fk.ref_columns)))
    return out


def _partial(
    sink: ResultSink, status: str, reason: str | None, file_type: str, n_units: int,
    columns: list[ColumnRow], members: list[ExpandedMember],
    declared: list[list[DeclaredKey]] | None = None,
) -> ContentResult:
    try:
        sink.close()
    except Exception as exc:  # results that cannot be written must not pass for "nothing found"
        sink.discard()
        reason = NO_SPACE_REASON if no_space(exc) else scrub(
            f"cannot store results: {type(exc).__name__}")
        return ContentResult("failed", reason, file_type, n_units, columns=columns,
                             members=members)
    return ContentResult(
        status, reason, file_type, n_units, 0.0, sink.findings_file, sink.records_file,
        sink.n_findings + sink.n_cells, sink.n_records, columns, members, sink.row_keys_file,
        [key for keys in declared or [] for key in keys], inline=sink.inline,
        cells_file=sink.cells_file, cell_columns=sink.cell_columns,
    )
