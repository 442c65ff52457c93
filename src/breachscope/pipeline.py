"""The scan: ingest → extract+detect (worker pool, one content per task) → store → resolve →
assess. The main process walks and records; workers parse; only the main process writes the
case store, one transaction per content, so a crash loses at most the contents in flight."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from breachscope.assess.categories import assess_case
from breachscope.case import Case
from breachscope.ingest.walk import Entry, Walker
from breachscope.resolve.people import rebuild_people
from breachscope.worker import ContentResult, process_content


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
Task = Callable[[str, str], ContentResult]  # (path, type) → result, run in a worker process


class _TaskRunner:
    """Runs per-content tasks on a process pool and stores each result as it arrives.

    If a worker process dies (a crash in a native parser, the kernel's OOM killer...), the pool
    is broken and every task in it is lost. The tasks that were in flight are then retried one
    at a time in a fresh pool, so the content that kills its worker again is recorded `failed`
    alone and every other content is still scanned."""

    def __init__(self, case: Case, run_id: int, workers: int,
                 on_stored: Callable[[Entry, ContentResult], None], task: Task) -> None:
        self.task = task
        self.case = case
        self.run_id = run_id
        self.workers = max(1, workers)
        self.on_stored = on_stored
        self.ctx = multiprocessing.get_context("spawn")
        self.pool = self._new_pool()
        self.in_flight: dict[Future[ContentResult], Entry] = {}
        self.suspects: list[Entry] = []

    def _new_pool(self, workers: int | None = None) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers or self.workers, mp_context=self.ctx)

    def submit(self, entry: Entry) -> None:
        self.drain(block_until=2 * self.workers - 1)
        try:
            fut = self.pool.submit(self.task, str(entry.real), entry.file_type)
        except BrokenProcessPool:
            self._recover()
            fut = self.pool.submit(self.task, str(entry.real), entry.file_type)
        self.in_flight[fut] = entry

    def drain(self, block_until: int = 0) -> None:
        while len(self.in_flight) > block_until:
            done, _ = wait(list(self.in_flight), return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                entry = self.in_flight.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    self.suspects.append(entry)
                    broken = True
                    continue
                self._store(entry, result)
            if broken:
                self._recover()

    def _recover(self) -> None:
        """Replace the broken pool; retry every lost task alone to find the culprit."""
        self.suspects.extend(self.in_flight.values())
        self.in_flight.clear()
        self.pool.shutdown(wait=False, cancel_futures=True)
        suspects, self.suspects = self.suspects, []
        for entry in suspects:
            solo = self._new_pool(1)
            try:
                result = solo.submit(self.task, str(entry.real), entry.file_type).result()
            except BrokenProcessPool:
                result = ContentResult(
                    "failed", "worker process died while reading it (crash or out of memory)")
            finally:
                solo.shutdown(wait=False, cancel_futures=True)
            self._store(entry, result)
        self.pool = self._new_pool()

    def _store(self, entry: Entry, result: ContentResult) -> None:
        store_result(self.case, entry, result, self.run_id)
        if entry.temporary:
            entry.real.unlink(missing_ok=True)
        self.on_stored(entry, result)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def scan(
    sources: list[Path], case: Case, *, workers: int = 2,
    on_progress: ProgressCallback | None = None, task: Task = process_content,
) -> ScanSummary:
    """Scan ``sources`` into ``case``. ``on_progress(entry, result, top_bytes_done)`` is called
    after each content is stored (and with ``None`` values as the walk moves on). ``task`` is
    the per-content function run in worker processes (a module-level function)."""
    started = time.perf_counter()
    run_id = case.start_run("scan")
    walker = Walker(case, run_id)
    counts = {"scanned": 0, "failed": 0}

    def on_stored(entry: Entry, result: ContentResult) -> None:
        counts["scanned"] += 1
        counts["failed"] += result.status == "failed"
        if on_progress:
            on_progress(entry, result, walker.stats.top_bytes_done)

    runner = _TaskRunner(case, run_id, workers, on_stored, task)
    try:
        for entry in walker.walk(sources):
            runner.submit(entry)
            if on_progress:
                on_progress(None, None, walker.stats.top_bytes_done)
        runner.drain()
        for archive in walker.stats.pending_archives:
            case.set_content(
                archive.sha256, size=archive.size, file_type=archive.file_type,
                status=archive.status, reason=archive.reason, run_id=run_id,
            )
        if on_progress:
            on_progress(None, None, walker.stats.top_bytes_done)
        if case.people_stale():
            rebuild_people(case)
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


def store_result(case: Case, entry: Entry, result: ContentResult, run_id: int) -> None:
    """Write one content's results and its status in a single transaction (resume unit)."""
    sha = entry.sha256
    with case.transaction() as db:
        case.set_people_stale(True)
        for table in ("findings", "records", "columns"):
            db.execute(f"DELETE FROM {table} WHERE sha256 = ?", [sha])
        if result.findings:
            findings = pa.table({
                "sha256": [sha] * len(result.findings),
                "location": [f.location for f in result.findings],
                "entity": [f.entity for f in result.findings],
                "value": [f.value for f in result.findings],
                "confidence": [float(f.confidence) for f in result.findings],
                "detector": [f.detector for f in result.findings],
            })
            db.register("new_findings", findings)
            db.execute("INSERT INTO findings SELECT * FROM new_findings")
            db.unregister("new_findings")
        if result.records:
            db.register("new_records", _records_table(sha, result))
            db.execute("INSERT INTO records SELECT * FROM new_records")
            db.unregister("new_records")
        if result.columns:
            db.executemany(
                "INSERT INTO columns VALUES (?, ?, ?, ?, ?, ?, ?)",
                [[sha, c.unit, c.col_index, c.header, c.label, c.confidence, c.reason]
                 for c in result.columns],
            )
        case.set_content(
            sha, size=entry.size, file_type=entry.file_type, status=result.status,
            reason=result.reason, n_units=result.n_units, seconds=result.seconds, run_id=run_id,
        )


def _records_table(sha: str, result: ContentResult) -> pa.Table:
    recs = result.records
    strings = pa.list_(pa.string())
    return pa.table({
        "record_id": [f"{sha[:20]}:{i}" for i in range(len(recs))],
        "sha256": [sha] * len(recs),
        "location": [r.location for r in recs],
        "last_name": [r.last_name for r in recs],
        "first_name": [r.first_name for r in recs],
        "full_name": [r.full_name for r in recs],
        "birth_date": [r.birth_date for r in recs],
        "sex": [r.sex for r in recs],
        "nir": [r.nir for r in recs],
        "phones": pa.array([list(r.phones) for r in recs], strings),
        "emails": pa.array([list(r.emails) for r in recs], strings),
        "address": [r.address for r in recs],
        "postal_code": [r.postal_code for r in recs],
        "city": [r.city for r in recs],
        "ibans": pa.array([list(r.ibans) for r in recs], strings),
        "patient_id": [r.patient_id for r in recs],
        "care_unit": [r.care_unit for r in recs],
        "visit_date": [r.visit_date for r in recs],
        "role_hint": [r.role_hint for r in recs],
        "entities": pa.array([sorted(r.entities) for r in recs], strings),
    })
