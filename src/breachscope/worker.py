"""The per-file task, run in a worker process: the only code that parses untrusted bytes.

A task gets one content. It sniffs its type, then either
- expands it if it is an archive: every member, nested archives included, is streamed into the
  work area under a unique name, under the archive limits, and described in the result; or
- extracts units from it and runs detection, streaming findings and records into Parquet
  files in the work area (so neither this process nor the main one holds them all in memory).

It never touches the case store. Any failure becomes a status and a reason. The worker process
itself runs under a memory limit (address space), with the network forbidden, and each content
under a time limit; the main process adds a hard time limit that kills a stuck worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from breachscope import memwatch
from breachscope.detect.model import Finding, Record
from breachscope.extract.passwords import using_passwords
from breachscope.extract.units import EmbeddedFile
from breachscope.ingest.archives import ByteBudget
from breachscope.masking import scrub
from breachscope.memwatch import TaskMemoryLimit, resident_bytes, trim_heap
from breachscope.settings import ScanSettings

AS_BACKSTOP_FACTOR = 4  # address-space cap = 4 x the resident-memory limit
EXIT_RECYCLE = 87  # a worker still holding too much memory from earlier tasks: replaced
FLUSH_ROWS = 50_000  # findings or records buffered before a Parquet row group is written


@dataclass(slots=True)
class ColumnRow:
    unit: str
    col_index: int
    header: str
    label: str | None
    confidence: float
    reason: str


@dataclass(slots=True)
class ExpandedMember:
    """One member of an expanded archive. ``name`` is relative to the top archive and nested
    with ``!/`` (``2019/exports.zip!/export.csv``); ``parent`` is the relative name of the
    archive holding it (``""`` for the top archive itself)."""

    name: str
    parent: str
    depth: int
    status: str  # ok (to scan), scanned (a nested archive, expanded), skipped, failed, encrypted
    reason: str | None = None
    sha256: str | None = None
    size: int = 0
    file_type: str | None = None
    blob: str | None = None  # where its bytes are, for an ``ok`` member
    is_archive: bool = False
    limit_hit: bool = False  # not read (or not wholly) because an archive or disk limit hit


DeclaredKey = tuple[str, str, list[str], str | None, list[str]]


@dataclass(slots=True)
class ContentResult:
    status: str  # scanned, partial, failed, skipped, encrypted
    reason: str | None = None
    file_type: str | None = None
    n_units: int = 0
    seconds: float = 0.0
    findings_file: str | None = None
    records_file: str | None = None
    n_findings: int = 0
    n_records: int = 0
    columns: list[ColumnRow] = field(default_factory=list)
    members: list[ExpandedMember] = field(default_factory=list)
    row_keys_file: str | None = None
    # declared keys: (unit name, kind, columns, referenced table, referenced columns)
    declared_keys: list[DeclaredKey] = field(default_factory=list)
    # Which worker limit stopped the content ("time" or "memory"), if one did, and how many
    # tasks its worker process had run before it: the pipeline retries such a content once in
    # a fresh worker (a busy worker's heap, not the file, may be what hit the limit).
    limit_hit: str | None = None
    tasks_before: int = 0


_tasks_run = 0  # tasks this worker process has run
_memory_limit = [0]  # this worker's resident-memory limit, in bytes (0: none)
_results_key: list[bytes | None] = [None]  # set for an encrypted case: result files sealed


class TaskTimeout(BaseException):
    """The content took longer than the per-file time limit (a BaseException, so that a
    parser's broad ``except Exception`` cannot swallow it)."""


# -- worker process set-up -----------------------------------------------------------------

def init_worker(memory_limit_mb: int, events: object = None, temp_dir: str | None = None,
                parent_pid: int | None = None, results_key: bytes | None = None) -> None:
    """Pool initializer: end with the main process (``parent_pid``), cap this process's
    address space, forbid the network, connect progress events (``breachscope.events``) to the
    main process, keep temporary files in the case's work area (``temp_dir``), and seal result
    files with ``results_key`` (an encrypted case: ``results.write_sealed``)."""
    _results_key[0] = results_key
    if parent_pid is not None:
        _die_with_parent(parent_pid)
    if temp_dir:
        _use_temp_dir(temp_dir)
    from breachscope import events as progress_events
    from breachscope.offline import forbid_network

    progress_events.attach(events)
    # Arrow's default allocator (jemalloc/mimalloc) reserves large address ranges up front;
    # under the address-space cap below, writing a 1-row Parquet file could then fail with
    # ArrowMemoryError after a file that hit the cap. The system allocator reserves what it
    # uses. (Read by pyarrow when it is first imported, which happens later in the worker.)
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    # glibc gives each thread its own malloc arena (64 MiB of address space reserved each):
    # the threads of Arrow's writer then exhaust the cap with little memory in use.
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX = 2
    # The same for the programs a worker runs (tesseract, antiword, LibreOffice), which inherit
    # the address-space backstop: glibc reads the variable when they start.
    os.environ["MALLOC_ARENA_MAX"] = "2"

    if memory_limit_mb > 0:
        limit = memory_limit_mb * 1024 * 1024
        # The limit is on resident memory (memwatch: the real risk); the address-space cap is
        # only a backstop, far above it (reservations are not memory: docs/limits.md).
        backstop = AS_BACKSTOP_FACTOR * limit
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (backstop, backstop))
        _memory_limit[0] = limit
    memwatch.install_handler()  # the main process's MemoryGuard signals over the limit
    forbid_network()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    _warm_up()


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent_pid: int) -> None:
    """A worker never outlives the main process: after a ``kill -9`` of the scan, workers went
    on for 20 s writing results (issue 12). On Linux the kernel sends SIGKILL to this process
    when its parent dies (``PR_SET_PDEATHSIG``); a thread watching the parent's pid is the
    fallback elsewhere (and covers a parent that died before the ``prctl``)."""
    import threading

    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the prctl
        os._exit(0)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _use_temp_dir(temp_dir: str) -> None:
    """Every temporary file of this worker and of the programs it runs (OCR page images and
    text, antiword's and LibreOffice's files) goes to ``temp_dir`` inside the case's work area,
    which the scan clears at its end: patient data never lands in the system's /tmp, outside
    the case (issue 12)."""
    import tempfile

    Path(temp_dir).mkdir(parents=True, exist_ok=True)
    os.environ["TMPDIR"] = os.environ["TEMP"] = os.environ["TMP"] = temp_dir
    tempfile.tempdir = temp_dir


def _warm_up() -> None:
    """Load what every file needs before the first file's time limit starts: the extractors,
    the detectors, pyarrow, the drug-name automaton and the name gazetteers (about 1.7 s on
    this machine; the gazetteers 0.2 s and 27 MB, else paid by the first letter). Paid
    inside the first file's limit, a two-row CSV failed "time limit exceeded" under a tight
    ``--timeout`` on a busy machine. Best effort: a failure here shows up on the files."""
    with contextlib.suppress(Exception):
        import breachscope.detect.dispatch
        import breachscope.extract.dispatch
        import breachscope.results  # noqa: F401  (pyarrow)
        from breachscope.detect.health import _automaton
        from breachscope.detect.names import first_names, surnames

        _automaton()
        first_names()
        surnames()


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    memwatch.raise_or_defer(TaskTimeout)


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    if seconds <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- the task ------------------------------------------------------------------------------

def run_task(task: Callable[..., ContentResult], *args: object) -> ContentResult:
    """What the pool runs: ``task(*args)`` (``process_content``) under the memory watchdog,
    counting the tasks this worker ran (a content stopped by a limit in a busy worker is
    retried in a fresh one)."""
    global _tasks_run
    limit = _memory_limit[0]
    if limit and resident_bytes() > limit * 3 // 4:
        trim_heap()
        if resident_bytes() > limit * 3 // 4:  # memory kept from earlier tasks, not this one's
            os._exit(EXIT_RECYCLE)
    before = _tasks_run
    _tasks_run += 1
    memwatch.arm()
    try:
        result = task(*args)
    except (MemoryError, TaskMemoryLimit):  # raised outside process_content's own handling
        settings = next((a for a in args if isinstance(a, ScanSettings)), ScanSettings())
        result = ContentResult("failed", _limit_exceeded("memory", settings),
                               limit_hit="memory")
    finally:
        memwatch.pause()
    if result.limit_hit == "memory":
        trim_heap()
    result.tasks_before = before
    return result


def process_content(
    path: str, file_type: str | None, work_dir: str, settings: ScanSettings, depth: int = 0
) -> ContentResult:
    """Sniff, then expand or scan one content. Never raises for a bad file."""
    from breachscope.ingest.archives import ARCHIVE_TYPES
    from breachscope.sealed_blobs import SealedBlobError

    started = time.perf_counter()
    try:
        with _readable(Path(path), file_type, Path(work_dir)) as (readable, file_type):
            if file_type in ARCHIVE_TYPES:
                result = _expand(readable, file_type, Path(work_dir), settings, depth)
            else:
                with _time_limit(settings.timeout), using_passwords(settings.passwords):
                    result = _scan(readable, file_type, Path(work_dir), settings, depth)
    except SealedBlobError as exc:
        result = ContentResult("failed", str(exc))
    except TaskTimeout:
        result = ContentResult("failed", _limit_exceeded("time", settings), limit_hit="time")
    except (MemoryError, TaskMemoryLimit):
        result = ContentResult("failed", _limit_exceeded("memory", settings),
                               limit_hit="memory")
    except OSError as exc:  # the work area's disk is full while expanding or sniffing
        if not no_space(exc):
            raise
        result = ContentResult("failed", NO_SPACE_REASON)
    result.file_type = result.file_type or file_type
    result.seconds = time.perf_counter() - started
    return result


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
    key = _results_key[0]
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
    path: Path, file_type: str, work_dir: Path, settings: ScanSettings, depth: int
) -> ContentResult:
    from breachscope.detect.dispatch import StreamingDetector
    from breachscope.extract.dispatch import UnsupportedType, partition
    from breachscope.extract.partial import PartialContent
    from breachscope.extract.units import EncryptedContent, ExtractionError, TableUnit
    from breachscope.filetypes import BY_NAME

    spec = BY_NAME.get(file_type)
    if spec is not None and spec.extractor is None and spec.status:  # e.g. an empty file
        return ContentResult(spec.status, spec.reason)
    sink = _ResultSink(work_dir)
    detector = StreamingDetector()
    n_units = n_rows = 0
    columns: list[ColumnRow] = []
    members: list[ExpandedMember] = []
    declared: list[list[DeclaredKey]] = []
    expander: _Expander | None = None
    stopped: str | None = None  # the limit that stopped the content: "time" or "memory"
    units: Iterator[object] = iter(())
    try:
        try:
            units = partition(path, file_type)  # raises UnsupportedType at once
            for unit in units:
                if isinstance(unit, EmbeddedFile):  # an attachment: scanned as a member
                    if expander is None:
                        expander = _new_expander(work_dir, settings, members)
                    expander.take(unit.name, "", depth + 1,
                                  _counted(unit.chunks, expander.budget))
                    continue
                detected = detector.detect(unit)
                with memwatch.held():  # a limit never stops a batch halfway through its write
                    sink.add(detected.findings, detected.records, detected.row_keys)
                n_units += 1
                n_rows += len(unit.rows) if isinstance(unit, TableUnit) else 0
                declared.extend(_declared(k) for k in detected.declared_keys)
                columns.extend(
                    ColumnRow(name, c.index, c.header, c.label, c.confidence, c.reason)
                    for name, c in detected.columns
                )
        finally:
            _quiet_limits()  # what follows is quick (storing what was read): never cut it
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
        status, reason = _honest_status([m for m in members if not m.parent])
        return _partial(sink, status, reason, file_type, n_units, columns, members, declared)
    # Degrade, don't discard: what was found before the limit is kept (issue 12). The parser
    # and its buffers are dropped first, so that writing the last batch has memory to work in.
    with contextlib.suppress(BaseException):
        units.close()  # type: ignore[attr-defined]
    del units, detector
    name, amount = _limit(stopped, settings)
    for member in members:  # an attachment the limit cut while it was being copied
        if member.status == "ok" and member.sha256 is None:
            member.status, member.reason = "skipped", f"{name} {amount} reached while it was read"
    if n_units == 0 and not members:
        sink.discard()
        result = ContentResult("failed", _limit_exceeded(stopped, settings), file_type)
    else:
        done = f"{n_units:,} parts".replace(",", " ")
        if n_rows:
            done += f" ({n_rows:,} table rows)".replace(",", " ")
        result = _partial(sink, "partial",
                          f"{name} {amount} reached after {done}; findings so far kept",
                          file_type, n_units, columns, members, declared)
    result.limit_hit = stopped
    return result


def _limit(limit: str, settings: ScanSettings) -> tuple[str, str]:
    """(which limit, how much) for a reason."""
    if limit == "time":
        return "time limit", f"{settings.timeout:g} s"
    return "memory limit", f"{settings.memory_limit_mb} MB per worker"


def _limit_exceeded(limit: str, settings: ScanSettings) -> str:
    name, amount = _limit(limit, settings)
    return f"{name} exceeded ({amount})"


def _quiet_limits() -> None:
    """Disarm the time limit and the memory watchdog's signal for the rest of the task."""
    signal.setitimer(signal.ITIMER_REAL, 0)
    memwatch.pause()


NO_SPACE_REASON = "no space left on device (retryable)"


def no_space(exc: BaseException) -> bool:
    """True for "No space left on device" (or a quota), however a library wrapped it (an
    OSError, Arrow's or DuckDB's own error carrying the message)."""
    import errno

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(current)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return True
        current = current.__cause__ or current.__context__
    return False


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
    sink: _ResultSink, status: str, reason: str | None, file_type: str, n_units: int,
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
        sink.n_findings, sink.n_records, columns, members, sink.row_keys_file,
        [key for keys in declared or [] for key in keys],
    )


class _ResultSink:
    """Findings and records streamed to Parquet files in batches; identical findings at the
    same location in consecutive units (overlapping pieces of one huge line) kept once."""

    _ids = itertools.count()

    def __init__(self, work_dir: Path) -> None:
        from breachscope.results import SEALED_SUFFIX

        tag = f"{os.getpid()}-{next(self._ids)}"
        self.key = _results_key[0]
        suffix = SEALED_SUFFIX if self.key else ".parquet"
        self.dir = work_dir / "results"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.findings_path = self.dir / f"{tag}-findings{suffix}"
        self.records_path = self.dir / f"{tag}-records{suffix}"
        self.row_keys_path = self.dir / f"{tag}-row_keys{suffix}"
        self.findings: list[Finding] = []
        self.records: list[Record] = []
        self.row_keys: list[tuple[str, str, str, str]] = []
        self.n_findings = self.n_records = self.n_row_keys = 0
        self._writers: dict[str, object] = {}
        self._previous_keys: set[tuple[str, str, str]] = set()

    def add(self, findings: list[Finding], records: list[Record],
            row_keys: list[tuple[str, str, str, str]] | None = None) -> None:
        keys = {(f.location, f.entity, f.value) for f in findings}
        if self._previous_keys:
            findings = [f for f in findings
                        if (f.location, f.entity, f.value) not in self._previous_keys]
        self._previous_keys = keys
        self.findings.extend(findings)
        self.records.extend(records)
        if row_keys:
            self.row_keys.extend(row_keys)
        if max(len(self.findings), len(self.records), len(self.row_keys)) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        from breachscope.results import findings_table, records_table, row_keys_table

        if self.findings:
            self._write("findings", self.findings_path, findings_table(self.findings))
            self.n_findings += len(self.findings)
            self.findings = []
        if self.records:
            first = self.n_records
            self._write("records", self.records_path, records_table(self.records, first))
            self.n_records += len(self.records)
            self.records = []
        if self.row_keys:
            self._write("row_keys", self.row_keys_path, row_keys_table(self.row_keys))
            self.n_row_keys += len(self.row_keys)
            self.row_keys = []

    def _write(self, kind: str, path: Path, table: object) -> None:
        import pyarrow.parquet as pq

        writer = self._writers.get(kind)
        if self.key:  # an encrypted case: nothing readable on disk (results.write_sealed)
            from breachscope.results import write_sealed

            if writer is None:
                writer = self._writers[kind] = path.open("wb")
            write_sealed(writer, table, self.key, kind)  # type: ignore[arg-type]
            return
        if writer is None:
            writer = self._writers[kind] = pq.ParquetWriter(path, table.schema)  # type: ignore[attr-defined]
        writer.write_table(table)  # type: ignore[attr-defined]

    def close(self) -> None:
        self._flush()
        for writer in self._writers.values():
            writer.close()  # type: ignore[attr-defined]

    @property
    def findings_file(self) -> str | None:
        return str(self.findings_path) if self.n_findings else None

    @property
    def records_file(self) -> str | None:
        return str(self.records_path) if self.n_records else None

    @property
    def row_keys_file(self) -> str | None:
        return str(self.row_keys_path) if self.n_row_keys else None

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
        self.findings_path.unlink(missing_ok=True)
        self.records_path.unlink(missing_ok=True)
        self.row_keys_path.unlink(missing_ok=True)
        self.n_findings = self.n_records = self.n_row_keys = 0


# -- archives ------------------------------------------------------------------------------

def _expand(
    path: Path, file_type: str, work_dir: Path, settings: ScanSettings, depth: int
) -> ContentResult:
    """Expand an archive tree (nested archives included) into uniquely named blobs."""
    if depth >= settings.archive.max_depth:
        return ContentResult(
            "skipped", f"archive nested deeper than {settings.archive.max_depth} levels")
    members: list[ExpandedMember] = []
    expander = _new_expander(work_dir, settings, members)
    status, reason = expander.expand(path, file_type, prefix="", parent="", depth=depth)
    if any(m.reason == NO_SPACE_REASON for m in members):
        # A member lost to a full disk: the archive is redone by the next scan of the case
        # (its members already stored are not scanned again).
        status, reason = "failed", NO_SPACE_REASON
    return ContentResult(status, reason, file_type, members=members)


def _honest_status(members: list[ExpandedMember]) -> tuple[str, str | None]:
    """An archive whose listing ended is ``scanned`` unless a limit kept some of its members
    (or of a nested archive's) from being read: then ``partial``, saying how many and why
    (each such member has its own ``skipped`` row with the limit)."""
    stopped = [m for m in members if m.limit_hit or (m.is_archive and m.status == "partial")]
    if not stopped:
        return "scanned", None
    first = stopped[0].reason or "a limit"
    return "partial", (f"{len(stopped)} of {len(members)} members not read whole "
                       f"(limit): {first}")


def _new_expander(
    work_dir: Path, settings: ScanSettings, members: list[ExpandedMember]
) -> _Expander:
    from breachscope.ingest.archives import ByteBudget
    from breachscope.ingest.archives.limits import DiskGuard

    blob_dir = work_dir / "blobs"
    blob_dir.mkdir(parents=True, exist_ok=True)
    # One disk budget for the whole case (free space kept in reserve, and the work area's
    # size if capped), whatever the number of archives and workers expanding at once.
    disk = DiskGuard.for_limits(work_dir, settings.archive)
    return _Expander(blob_dir, settings, members,
                     ByteBudget(settings.archive.max_total_bytes, disk=disk))


def _counted(
    chunks: Callable[[], Iterator[bytes]], budget: ByteBudget
) -> Callable[[], Iterator[bytes]]:
    """Embedded files count against the same byte budget as archive members."""

    def counted() -> Iterator[bytes]:
        for chunk in chunks():
            budget.consume(len(chunk))
            yield chunk

    return counted


class _Expander:
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
        return _honest_status([m for m in self.out[first:] if m.parent == parent])

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
        key = _blob_key()
        if key is not None:
            self._take_sealed(base, blob, chunks, key)
            return
        if not self._copy(base, blob, lambda: _stream_to(blob, chunks())):
            return
        base.file_type = sniff_type(blob)
        if base.file_type not in _archive_types():
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
            if base.file_type in _archive_types():
                self._expand_nested(base, plain)
                return
            done = (base.sha256 or "", base.size)

            def seal() -> tuple[str, int]:
                handle.seek(0)
                seal_stream(handle, blob, key)
                return done

            if self._copy(base, blob, seal):
                base.blob = str(blob)


def _blob_key() -> bytes | None:
    """The key member blobs are sealed with: the scan's results key (an encrypted case),
    where in-memory files exist (Linux); None: plain blobs, as for a case without a key."""
    from breachscope.sealed_blobs import memfd_available

    key = _results_key[0]
    return key if key is not None and memfd_available() else None


def _archive_types() -> set[str]:
    from breachscope.ingest.archives import ARCHIVE_TYPES

    return set(ARCHIVE_TYPES)


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
