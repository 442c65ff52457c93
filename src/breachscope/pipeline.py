"""The scan: ingest → extract+detect (worker pool, one content per task) → store → resolve →
assess. The main process walks and records; workers parse; only the main process writes the
case store, one transaction per content, so a crash loses at most the contents in flight."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
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


def scan(
    sources: list[Path], case: Case, *, workers: int = 2,
    on_progress: ProgressCallback | None = None,
) -> ScanSummary:
    """Scan ``sources`` into ``case``. ``on_progress(entry, result, top_bytes_done)`` is called
    after each content is stored (and with ``None`` values as the walk moves on)."""
    started = time.perf_counter()
    run_id = case.start_run("scan")
    walker = Walker(case, run_id)
    n_scanned = n_failed = 0
    ctx = multiprocessing.get_context("spawn")
    in_flight: dict[Future[ContentResult], Entry] = {}

    def drain(block_until: int) -> None:
        nonlocal n_scanned, n_failed
        while len(in_flight) > block_until:
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for fut in done:
                entry = in_flight.pop(fut)
                try:
                    result = fut.result()
                except Exception as exc:  # the worker process died (crash, killed)
                    result = ContentResult("failed", f"worker died: {type(exc).__name__}")
                store_result(case, entry, result, run_id)
                if entry.temporary:
                    entry.real.unlink(missing_ok=True)
                n_scanned += 1
                n_failed += result.status == "failed"
                if on_progress:
                    on_progress(entry, result, walker.stats.top_bytes_done)

    try:
        with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx) as pool:
            for entry in walker.walk(sources):
                drain(block_until=2 * max(1, workers) - 1)
                in_flight[pool.submit(process_content, str(entry.real), entry.file_type)] = entry
                if on_progress:
                    on_progress(None, None, walker.stats.top_bytes_done)
            drain(block_until=0)
        for archive in walker.stats.pending_archives:
            case.set_content(
                archive.sha256, size=archive.size, file_type=archive.file_type,
                status=archive.status, reason=archive.reason, run_id=run_id,
            )
        if on_progress:
            on_progress(None, None, walker.stats.top_bytes_done)
        rebuild_people(case)
        assess_case(case)
    except BaseException:
        case.finish_run(run_id, "interrupted", n_files=walker.stats.files, n_scanned=n_scanned,
                        n_failed=n_failed)
        raise
    case.clear_work_dir()
    case.finish_run(run_id, "completed", n_files=walker.stats.files, n_scanned=n_scanned,
                    n_failed=n_failed)
    counts = case.counts()
    return ScanSummary(
        run_id, walker.stats.files, n_scanned, n_failed, counts["findings"], counts["people"],
        time.perf_counter() - started,
    )


def store_result(case: Case, entry: Entry, result: ContentResult, run_id: int) -> None:
    """Write one content's results and its status in a single transaction (resume unit)."""
    sha = entry.sha256
    with case.transaction() as db:
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
