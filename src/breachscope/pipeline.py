"""The scan: ingest → (worker processes: sniff, expand or extract + detect) → store → resolve →
assess.

The main process walks, hashes and records; it never parses the dump. Workers run under a
memory limit and each task under a time limit (pebble kills a worker that overruns and replaces
it). Only the main process writes the case store, one transaction per content, so a crash loses
at most the contents in flight, which the next run redoes.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

from breachscope.assess.categories import assess_case
from breachscope.case import Case
from breachscope.ingest.walk import Entry, Walker
from breachscope.offline import forbid_network
from breachscope.relate.attach import relate_case
from breachscope.resolve.people import linkage_method, rebuild_people
from breachscope.settings import ScanSettings
from breachscope.worker import ContentResult, init_worker, process_content

GRACE = 30.0  # seconds the hard limit adds to a task's own time limit


@dataclass
class ScanSummary:
    run_id: int
    n_files: int  # paths met in this run, archive members included
    n_scanned: int  # contents newly processed in this run
    n_failed: int
    n_findings: int
    n_people: int
    seconds: float


ProgressCallback = Callable[[Entry | None, ContentResult | None, int], None]
Task = Callable[..., ContentResult]  # process_content's signature, run in a worker process


class _TaskRunner:
    """Runs per-content tasks on a pebble process pool and stores each result as it arrives.

    A task that overruns its hard time limit, or whose worker process dies (a crash in a native
    parser, the kernel's OOM killer), fails alone: pebble replaces the worker and the other
    tasks go on."""

    def __init__(self, case: Case, walker: Walker, settings: ScanSettings, workers: int,
                 on_stored: Callable[[Entry, ContentResult], None], task: Task) -> None:
        self.case = case
        self.walker = walker
        self.settings = settings
        self.workers = max(1, workers)
        self.on_stored = on_stored
        self.task = task
        self.work_dir = str(case.work_dir)
        context = multiprocessing.get_context("spawn")
        self.events = context.Queue()
        self.on_event: Callable[[str, int], None] | None = None
        self.pool = ProcessPool(
            max_workers=self.workers, initializer=init_worker,
            initargs=(settings.memory_limit_mb, self.events, str(case.work_dir / "tmp")),
            context=context,
        )
        self.in_flight: dict[Future[ContentResult], Entry] = {}
        self.queue: deque[Entry] = deque()  # members waiting for a free slot

    def submit(self, entry: Entry) -> None:
        self.queue.append(entry)
        self._pump()

    def _pump(self) -> None:
        limit = 2 * self.workers
        while self.queue or len(self.in_flight) >= limit:
            while self.queue and len(self.in_flight) < limit:
                self._schedule(self.queue.popleft())
            if len(self.in_flight) >= limit:
                self._wait_one()
            elif not self.queue:
                break

    def _schedule(self, entry: Entry) -> None:
        unknown = entry.file_type is None
        hard = (max(self.settings.timeout, self.settings.archive_timeout) if unknown
                else self.settings.timeout) + GRACE
        fut = self.pool.schedule(
            self.task, args=(str(entry.real), entry.file_type, self.work_dir, self.settings,
                             entry.depth), timeout=hard)
        self.in_flight[fut] = entry

    def _wait_one(self) -> None:
        done: set[Future[ContentResult]] = set()
        while not done:
            done, _ = wait(list(self.in_flight), timeout=0.5, return_when=FIRST_COMPLETED)
            self._pass_events()
        for fut in done:
            entry = self.in_flight.pop(fut)
            self._store(entry, self._result(fut))

    def _result(self, fut: Future[ContentResult]) -> ContentResult:
        try:
            return fut.result()
        except FutureTimeout:
            return ContentResult("failed", "hard time limit exceeded: worker stopped")
        except ProcessExpired as exc:
            return ContentResult(
                "failed", f"worker process died while reading it (exit code {exc.exitcode}: "
                "crash or out of memory)")
        except MemoryError:
            return ContentResult("failed", "memory limit exceeded")
        except Exception as exc:
            return ContentResult("failed", f"worker error: {type(exc).__name__}")

    def _store(self, entry: Entry, result: ContentResult) -> None:
        if _is_archive(result):  # expanded by the worker: its members are now to scan
            self.queue.extend(self.walker.members(entry, result))
        elif result.members:  # scanned, with attachments: done once they are too
            store_result(self.case, entry, result, self.walker.run_id, status="pending")
            self.queue.extend(self.walker.members(entry, result))
        else:
            store_result(self.case, entry, result, self.walker.run_id)
        if entry.temporary:
            entry.real.unlink(missing_ok=True)
        self.on_stored(entry, result)

    def drain(self) -> None:
        while self.queue or self.in_flight:
            while self.queue and len(self.in_flight) < 2 * self.workers:
                self._schedule(self.queue.popleft())
            if self.in_flight:
                self._wait_one()
        self._pass_events()

    def _pass_events(self) -> None:
        """Hand the workers' progress events (counts only) to the progress display."""
        while True:
            try:
                event, count = self.events.get_nowait()
            except queue.Empty:
                return
            if self.on_event is not None:
                self.on_event(event, count)

    def close(self) -> None:
        self.events.cancel_join_thread()
        self.pool.stop()
        self.pool.join(timeout=10)


def _is_archive(result: ContentResult) -> bool:
    from breachscope.ingest.archives import ARCHIVE_TYPES

    return result.file_type in ARCHIVE_TYPES


def scan(
    sources: list[Path], case: Case, *, workers: int = 2,
    settings: ScanSettings | None = None,
    on_progress: ProgressCallback | None = None, task: Task = process_content,
) -> ScanSummary:
    """Scan ``sources`` into ``case``. ``on_progress(entry, result, top_bytes_done)`` is called
    after each content is stored (and with ``None`` values as the walk moves on). ``task`` is
    the per-content function run in worker processes (a module-level function)."""
    forbid_network()
    settings = settings or ScanSettings()
    started = time.perf_counter()
    run_id = case.start_run("scan")
    walker = Walker(case, run_id)
    counts = {"scanned": 0, "failed": 0}

    def on_stored(entry: Entry, result: ContentResult) -> None:
        counts["scanned"] += 1
        counts["failed"] += result.status == "failed"
        if on_progress:
            on_progress(entry, result, walker.stats.top_bytes_done)

    runner = _TaskRunner(case, walker, settings, workers, on_stored, task)
    runner.on_event = getattr(on_progress, "on_event", None)
    try:
        for entry in walker.walk(sources):
            runner.submit(entry)
            if on_progress:
                on_progress(None, None, walker.stats.top_bytes_done)
        runner.drain()
        for container in walker.stats.pending_archives:
            case.finish_container(
                container.sha256, size=container.size, file_type=container.file_type,
                status=container.status, reason=container.reason, run_id=run_id,
            )
        if on_progress:
            on_progress(None, None, walker.stats.top_bytes_done)
        resolved_with = case.db.execute(
            "SELECT value FROM meta WHERE key = 'people_linkage'").fetchone()
        # Re-resolve when records changed, or when the people were made with another method
        # (a case resolved by an earlier version, or BREACHSCOPE_LINKAGE set for this run).
        if case.people_stale() or (resolved_with and resolved_with[0] != linkage_method(case)):
            rebuild_people(case)
            relate_case(case)
            assess_case(case)
            case.set_people_stale(False)
    except BaseException:
        case.finish_run(run_id, "interrupted", n_files=walker.stats.files,
                        n_scanned=counts["scanned"], n_failed=counts["failed"])
        raise
    finally:
        runner.close()
    case.clear_work_dir()
    case.finish_run(run_id, "completed", n_files=walker.stats.files,
                    n_scanned=counts["scanned"], n_failed=counts["failed"])
    totals = case.counts()
    return ScanSummary(
        run_id, walker.stats.files, counts["scanned"], counts["failed"], totals["findings"],
        totals["people"], time.perf_counter() - started,
    )


def store_result(
    case: Case, entry: Entry, result: ContentResult, run_id: int, *, status: str | None = None
) -> None:
    """Write one content's results and its status in a single transaction (resume unit).
    ``status="pending"`` stores the results but leaves the content to redo after a crash."""
    sha = entry.sha256
    with case.transaction() as db:
        case.set_people_stale(True)
        for table in ("findings", "records", "columns", "row_keys", "declared_keys"):
            db.execute(f"DELETE FROM {table} WHERE sha256 = ?", [sha])
        if result.row_keys_file:
            db.execute(
                "INSERT INTO row_keys SELECT ?, unit, row_location, column_name, value "
                "FROM read_parquet(?)", [sha, result.row_keys_file])
        if result.declared_keys:
            db.executemany(
                "INSERT INTO declared_keys VALUES (?, ?, ?, ?, ?, ?)",
                [[sha, *key] for key in result.declared_keys])
        if result.findings_file:
            db.execute(
                "INSERT INTO findings SELECT ?, location, entity, value, confidence, detector "
                "FROM read_parquet(?)", [sha, result.findings_file])
        if result.records_file:
            db.execute(
                "INSERT INTO records SELECT left(?, 20) || ':' || idx, ?, location, last_name, "
                "first_name, full_name, birth_date, sex, nir, phones, emails, address, "
                "postal_code, city, ibans, patient_id, care_unit, visit_date, role_hint, "
                "entities, icd10_codes FROM read_parquet(?)", [sha, sha, result.records_file])
        if result.columns:
            db.executemany(
                "INSERT INTO columns VALUES (?, ?, ?, ?, ?, ?, ?)",
                [[sha, c.unit, c.col_index, c.header, c.label, c.confidence, c.reason]
                 for c in result.columns],
            )
        case.set_content(
            sha, size=entry.size, file_type=result.file_type or entry.file_type or "unknown",
            status=status or result.status, reason=result.reason, n_units=result.n_units,
            seconds=result.seconds, run_id=run_id,
        )
    for path in (result.findings_file, result.records_file, result.row_keys_file):
        if path:
            Path(path).unlink(missing_ok=True)
