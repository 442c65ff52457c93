"""The scan: ingest → (worker processes: sniff, expand or extract + detect) → store → resolve →
assess.

The main process walks, hashes and records; it never parses the dump. Workers run under a
memory limit and each task under a time limit (pebble kills a worker that overruns and replaces
it). Only the main process writes the case store, one transaction per batch of contents
(:data:`BATCH_RESULTS` results or :data:`BATCH_SECONDS`, whichever comes first: a commit per
content was 41 % of the main process, issue 15), so a crash loses at most the contents in
flight or in the batch not yet committed, which the next run redoes whole.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from pebble import ProcessExpired

from breachscope import findings_store
from breachscope.assess.categories import assess_case
from breachscope.case import Case
from breachscope.executors import Executor, LocalExecutor, Pool
from breachscope.ingest.walk import Entry, PendingArchive, Walker
from breachscope.memwatch import MemoryGuard
from breachscope.offline import forbid_network
from breachscope.relate.attach import relate_case
from breachscope.resolve.people import linkage_method, rebuild_people
from breachscope.resolve.spill import TABLES_CAP, capped, unordered
from breachscope.results import SCHEMAS, SEALED_SUFFIX, new_results_key, read_sealed
from breachscope.review.apply import apply_structure, suppress_false_positives
from breachscope.settings import ScanSettings
from breachscope.worker import (
    EXIT_RECYCLE,
    NO_SPACE_REASON,
    ContentResult,
    no_space,
    process_content,
    process_content_by_page,
    process_ocr_page,
    run_task,
)
from breachscope.worker.batch import BATCH_SUFFIXES, BATCH_TYPES, process_batch
from breachscope.worker.model import NOT_BATCHED, BatchResult

GRACE = 30.0  # seconds the hard limit adds to a task's own time limit
MAX_RECYCLES = 3  # times a content is re-queued because its worker had to be replaced
BATCH_RESULTS = 256  # contents stored in one transaction at most...
# ...and no result waits longer than this for its commit. Each commit of table rows leaves
# partly filled row groups that DuckDB compresses again when it merges them at its next
# checkpoint: on four hospitals' exports (214 MB of CSV) the files phase, bound by the main
# process's writes, took 65.6 s with 0.5 s, 51 s with 3 s and 5 s, 57 s with 10 s (the
# workers idle while one long flush runs); issue 15, docs/performance.md.
BATCH_SECONDS = 3.0
POLL_SECONDS = 0.5  # how long the main process waits for a task before its other duties
# A content's rows in the store besides its findings (findings_store.delete_contents).
RESULT_TABLES = ("records", "columns", "row_keys", "declared_keys")
# Small contents go to the workers in batches (worker.batch; issue 15: scheduling, pickling
# and handling one task per letter; docs/performance.md "Small files per task"): a content of
# at most SMALL_BYTES whose type a batch reads, up to TASK_FILES contents or TASK_BYTES bytes
# per task. TASK_FILES = 1: one content per task.
SMALL_BYTES = 64 * 1024
TASK_FILES = 32
TASK_BYTES = 1024 * 1024
#: Tasks in flight per worker. The main process stores results between its looks at the
#: pool, and a flush of table exports' rows takes it seconds (about as long as the workers
#: took to produce them): with 2 tasks per worker, the workers ran out of work during each
#: flush and waited for the next (1 GB dump: files phase 261.7 s with 2, 240.0 s with 8, one
#: run each on a noisy machine; issue 15, session 20). With the workers' priority below the
#: main process's (``sandbox.WORKER_NICENESS``), 40: the workers keep working through a
#: flush (four hospitals' exports, 214 MB: files phase 22.7-23.0 s with 8 at equal
#: priorities, 20.1-22.2 s with 40 and the workers niced, alternate runs; 1 GB: 228.1 ->
#: 211.7 s; session 21). Tasks queued in the pool are file names; their time limit starts
#: when a worker takes them; their results are files on the case's disk until stored.
TASKS_PER_WORKER = 40


@dataclass
class ScanSummary:
    run_id: int
    n_files: int  # paths met in this run, archive members included
    n_scanned: int  # contents newly processed in this run
    n_failed: int
    n_findings: int
    n_people: int
    seconds: float
    n_partial: int = 0  # contents kept partly (a limit stopped them, or parts not readable)


ProgressCallback = Callable[[Entry | None, ContentResult | None, int], None]
Task = Callable[..., ContentResult]  # process_content's signature, run in a worker process
#: Pages of one document stopped by the time limit after which its pages still queued are
#: not read (each page has the per-file limit: without this, a document of hostile pages
#: could take the limit once per page, 2 000 times).
MAX_PAGE_TIMEOUTS = 3
#: A page's records are numbered from (page number) x this (``record_id`` is the content's
#: sha256 and the record's number in it): the document's own records keep 0, 1, 2...
PAGE_RECORDS = 1_000_000


@dataclass(slots=True)
class PageTask:
    """One page to OCR in a task of its own (issue 15; a PDF's scanned page, a multi-page
    image's frame): ``entry`` is its document."""

    entry: Entry
    file_type: str
    index: int  # 0-based
    first_line: int  # text-layer lines its OCR lines are numbered after


@dataclass
class _PagedDocument:
    """A document whose pages are being OCR'd by tasks of their own: stored ``pending`` with
    its own results, done (``pending`` entry of the walker's containers, status finished
    at the end of the scan) once every page's results are stored; its blob is kept until
    then. A page that fails makes the document ``partial`` with the page and the reason."""

    entry: Entry
    result: ContentResult
    container: PendingArchive
    n_pages: int
    left: int
    failed: list[tuple[int, str]]  # (page number, reason)
    no_space: bool = False
    timeouts: int = 0  # pages stopped by the time limit


class _TaskRunner:
    """Runs per-content tasks on a pebble process pool and stores each result as it arrives.

    A task that overruns its hard time limit, or whose worker process dies (a crash in a native
    parser, the kernel's OOM killer), fails alone: pebble replaces the worker and the other
    tasks go on."""

    def __init__(self, case: Case, walker: Walker, settings: ScanSettings, workers: int,
                 on_stored: Callable[[Entry, ContentResult], None], task: Task,
                 executor: Executor | None = None) -> None:
        self.case = case
        self.walker = walker
        self.closed = False
        self.settings = settings
        self.workers = max(1, workers)
        self.on_stored = on_stored
        self.task = task
        self.work_dir = str(case.work_dir)
        self.context = multiprocessing.get_context("spawn")
        self.events = self.context.Queue()
        self.on_event: Callable[[str, int], None] | None = None
        # An encrypted case: the workers seal their result files with a key of this scan only.
        self.results_key = new_results_key() if case.encrypted else None
        self.initargs = (settings.memory_limit_mb, self.events, str(case.work_dir / "tmp"),
                         os.getpid(), self.results_key)
        self.executor = executor or LocalExecutor()
        self.pool = self.executor.pool(self.workers, self.initargs)
        # Contents stopped by a limit in a worker that had run other tasks get one more try
        # here, each in a new process (a busy worker's heap, not the file, may have been the
        # problem: issue 12). Created when first needed.
        self.fresh_pool: Pool | None = None
        self.guard = MemoryGuard(settings.memory_limit_mb * 1024 * 1024).start()
        # A task's content, a batch's contents (a list), or a page to OCR, by the task's future.
        self.in_flight: dict[Future[Any], Entry | list[Entry] | PageTask] = {}
        self.first_try: dict[Future[Any], ContentResult] = {}  # retries in flight
        self.recycled: dict[str, int] = {}  # sha256 -> times its worker had to be replaced
        self.queue: deque[Entry] = deque()  # members waiting for a free slot
        self.forming: list[Entry] = []  # small contents waiting for their batch to be sent
        self.forming_bytes = 0
        self.alone: set[str] = set()  # contents a batch gave back: one task each from now
        # pages to OCR (a PDF's, a multi-page image's), before any other content
        self.pages: deque[PageTask] = deque()
        self.paged: dict[str, _PagedDocument] = {}  # documents with pages not stored yet
        # Results waiting for their commit (entry, result, status, page: None for a
        # content's own), and since when.
        self.batch: list[tuple[Entry, ContentResult, str | None, PageTask | None]] = []
        self.batch_shas: set[str] = set()
        self.batch_since = 0.0
        self.marked_stale = False  # a batch of this scan committed ``people_stale``

    def submit(self, entry: Entry) -> None:
        self.queue.append(entry)
        self._pump()

    def _pump(self, *, draining: bool = False) -> None:
        """Hand the queued contents to the pool, at most :data:`TASKS_PER_WORKER` x workers
        tasks in flight: small ones into the forming batch, the others as tasks of their own.
        While the first ``2 x workers`` slots are taken, small contents keep joining the
        forming batch (the walk goes on) until it is full; a batch leaves as soon as one of
        those is free, however few it holds, so that no worker waits for it. ``draining``:
        the walk is over, everything goes."""
        limit = TASKS_PER_WORKER * self.workers
        early = 2 * self.workers  # slots a batch not yet full may take
        while True:
            while self.pages and len(self.in_flight) < limit:
                self._schedule_page(self.pages.popleft())
            while self.queue:
                entry = self.queue[0]
                if self._batchable(entry):
                    if self._forming_full():
                        if len(self.in_flight) >= limit:
                            break
                        self._send_forming()
                    self.queue.popleft()
                    self.forming.append(entry)
                    self.forming_bytes += entry.size
                elif len(self.in_flight) < limit:
                    self._schedule(self.queue.popleft())
                else:
                    break
            if self.forming and not self.queue and len(self.in_flight) < early:
                self._send_forming()
                continue
            if self.queue or self.pages or (draining and self.in_flight):
                self._wait_one()
            elif draining and self.forming:
                continue
            elif draining or not self._collect(block=False):
                return

    def _batchable(self, entry: Entry) -> bool:
        if TASK_FILES <= 1 or entry.size > SMALL_BYTES or entry.sha256 in self.alone:
            return False
        if entry.file_type is not None:
            return entry.file_type in BATCH_TYPES
        # A file of the dump, not sniffed yet: by its name (the worker sniffs it, and hands
        # back one that is not of a type it reads).
        return not entry.temporary and Path(entry.path).suffix.lower() in BATCH_SUFFIXES

    def _forming_full(self) -> bool:
        return len(self.forming) >= TASK_FILES or self.forming_bytes >= TASK_BYTES

    def _send_forming(self) -> None:
        entries, self.forming, self.forming_bytes = self.forming, [], 0
        if len(entries) == 1:  # a task of its own, as without batches
            self._schedule(entries[0])
            return
        items = [(str(e.real), e.file_type, e.depth) for e in entries]
        # Each content's own limit is enforced inside the worker; the hard limit (a stuck
        # native parser) is one content's: a batch past it is redone one content per task.
        fut = self.pool.schedule(
            run_task, args=(process_batch, self.task, items, self.work_dir, self.settings),
            timeout=self.settings.timeout + GRACE)
        self.in_flight[fut] = entries

    def _schedule(self, entry: Entry, *, fresh: bool = False) -> Future[ContentResult]:
        unknown = entry.file_type is None
        hard = (max(self.settings.timeout, self.settings.archive_timeout) if unknown
                else self.settings.timeout) + GRACE
        pool = self._fresh_pool() if fresh else self.pool
        # The scan's own task leaves a document's pages to OCR to tasks of their own.
        task = process_content_by_page if self.task is process_content else self.task
        fut = pool.schedule(
            run_task, args=(task, str(entry.real), entry.file_type, self.work_dir,
                            self.settings, entry.depth), timeout=hard)
        self.in_flight[fut] = entry
        return fut

    def _schedule_page(self, page: PageTask, *, fresh: bool = False) -> Future[ContentResult]:
        """A page's task: its own time limit (the scan's per-file limit), in any worker."""
        pool = self._fresh_pool() if fresh else self.pool
        entry = page.entry
        fut = pool.schedule(
            run_task, args=(process_ocr_page, str(entry.real), page.file_type, self.work_dir,
                            self.settings, entry.depth, page.index, page.first_line),
            timeout=self.settings.timeout + GRACE)
        self.in_flight[fut] = page
        return fut

    def _fresh_pool(self) -> Pool:
        if self.fresh_pool is None:
            self.fresh_pool = self.executor.pool(1, self.initargs, fresh=True)
        return self.fresh_pool

    def _wait_one(self) -> None:
        while not self._collect(block=True):
            pass

    def _collect(self, *, block: bool) -> bool:
        """Handle the tasks that are done (waiting up to :data:`POLL_SECONDS` for one when
        ``block``); whether there were any."""
        if block:
            done, _ = wait(list(self.in_flight), timeout=POLL_SECONDS,
                           return_when=FIRST_COMPLETED)
        else:
            done = {fut for fut in self.in_flight if fut.done()}
        self._pass_events()
        if not done:
            self._flush_if_due()
            return False
        for fut in done:
            task = self.in_flight.pop(fut)
            if isinstance(task, list):
                self._batch_done(fut, task)
            elif isinstance(task, PageTask):
                self._page_done(task, self._result(fut), self.first_try.pop(fut, None))
            else:
                self._content_done(task, self._result(fut), self.first_try.pop(fut, None))
        return True

    def _content_done(self, entry: Entry, result: ContentResult,
                      first: ContentResult | None = None) -> None:
        if result.limit_hit == "recycle":  # the worker was replaced before starting it
            count = self.recycled[entry.sha256] = self.recycled.get(entry.sha256, 0) + 1
            self._schedule(entry, fresh=count >= MAX_RECYCLES)
            return
        if first is None and _worth_a_fresh_worker(result):
            self.first_try[self._schedule(entry, fresh=True)] = result
            return
        if first is not None:
            result = _after_retry(first, result)
        self._store(entry, result)

    def _page_done(self, page: PageTask, result: ContentResult,
                   first: ContentResult | None = None) -> None:
        """A page's result, retried as a content's would be, into the batch to commit."""
        if result.limit_hit == "recycle":
            key = f"{page.entry.sha256}:{page.index}"
            count = self.recycled[key] = self.recycled.get(key, 0) + 1
            self._schedule_page(page, fresh=count >= MAX_RECYCLES)
            return
        if first is None and _worth_a_fresh_worker(result):
            self.first_try[self._schedule_page(page, fresh=True)] = result
            return
        if first is not None:
            result = _after_retry(first, result)
        doc = self.paged.get(page.entry.sha256)
        if doc is None:  # its document failed to be stored
            _discard_files(result)
            return
        if result.limit_hit == "time":
            doc.timeouts += 1
            if doc.timeouts == MAX_PAGE_TIMEOUTS:
                self._drop_pages(doc)
        if not self.batch:
            self.batch_since = time.monotonic()
        self.batch.append((page.entry, result, None, page))
        self._flush_if_due()

    def _batch_done(self, fut: Future[Any], entries: list[Entry]) -> None:
        """Each content of a batch as if it had been a task of its own; the contents the
        batch did not give a result for (its worker died, overran the hard limit or was
        replaced; the batch stopped after a memory limit; a type it does not read) go back
        to the queue, one task each."""
        try:
            value = fut.result()
        except BaseException:
            value = None
        results = value.results if isinstance(value, BatchResult) else []
        again = entries[len(results):]
        for i, (entry, result) in enumerate(zip(entries, results, strict=False)):
            if result.limit_hit == NOT_BATCHED:
                again.append(entry)
                continue
            result.tasks_before = value.tasks_before + i  # type: ignore[union-attr]
            self._content_done(entry, result)
        self.alone.update(entry.sha256 for entry in again)
        self.queue.extendleft(reversed(again))

    def _result(self, fut: Future[ContentResult]) -> ContentResult:
        try:
            return fut.result()
        except FutureTimeout:
            return ContentResult("failed", "hard time limit exceeded: worker stopped")
        except ProcessExpired as exc:
            if exc.exitcode == EXIT_RECYCLE:
                return ContentResult("failed", "worker replaced", limit_hit="recycle")
            if self.guard.took_down():  # a parser stuck in native code, killed by the guard
                return ContentResult(
                    "failed", f"memory limit exceeded ({self.settings.memory_limit_mb} MB per "
                    "worker; worker stopped)", limit_hit="memory", tasks_before=-1)
            return ContentResult(
                "failed", f"worker process died while reading it (exit code {exc.exitcode}: "
                "crash or out of memory)")
        except MemoryError:
            return ContentResult("failed", "memory limit exceeded", limit_hit="memory")
        except Exception as exc:
            return ContentResult("failed", f"worker error: {type(exc).__name__}")

    def _store(self, entry: Entry, result: ContentResult) -> None:
        """Queue the members of an archive (or of a content with attachments) at once, and
        the content's results into the batch that the next :meth:`flush` commits."""
        if _is_archive(result) or result.members:
            try:
                members = list(self.walker.members(entry, result))
            except Exception as exc:
                if not no_space(exc):
                    raise
                self._done(entry, self._store_failed(entry, result))
                return
            self.queue.extend(members)
            if _is_archive(result):  # expanded by the worker: nothing of its own to store
                self._done(entry, result)
                return
        if entry.sha256 in self.batch_shas:  # never twice in one batch (replace, not add)
            self.flush()
        if not self.batch:
            self.batch_since = time.monotonic()
        n_pages = len(result.ocr_pages)
        if entry.had_row:  # a killed scan's document: the pages it stored are kept
            done = pages_done(self.case, entry.sha256)  # (StoreBatch.write)
            if done and not done <= {index + 1 for index, _ in result.ocr_pages}:
                # not read page by page now (OCR unavailable, the document failed): redone
                # whole, nothing kept
                self.case.db.execute("DELETE FROM ocr_pages_done WHERE sha256 = ?",
                                     [entry.sha256])
                done = set()
            result.ocr_pages = [p for p in result.ocr_pages if p[0] + 1 not in done]
        # scanned, with attachments or pages to OCR: "pending" until they are stored too
        # (finish_container)
        pending = bool(result.members or result.ocr_pages)
        self.batch.append((entry, result, "pending" if pending else None, None))
        self.batch_shas.add(entry.sha256)
        if result.ocr_pages:
            self._queue_pages(entry, result, n_pages)
        self._flush_if_due()

    def _queue_pages(self, entry: Entry, result: ContentResult, n_pages: int) -> None:
        """The document's pages to OCR (of its ``n_pages``: those a killed scan stored are
        not read again), queued ahead of other contents; the document is finished as a
        container (:meth:`Case.finish_container`, at the end of the scan)."""
        sha = entry.sha256
        container = next((c for c in reversed(self.walker.stats.pending_archives)
                          if c.sha256 == sha), None)  # it has members too
        if container is None:
            container = PendingArchive(sha, entry.size, result.file_type or "pdf",
                                       result.status, result.reason)
            self.walker.stats.pending_archives.append(container)
        self.paged[sha] = _PagedDocument(entry, result, container, n_pages,
                                         len(result.ocr_pages), [])
        self.pages.extend(PageTask(entry, result.file_type or "pdf", index, first_line)
                          for index, first_line in result.ocr_pages)

    def _flush_if_due(self) -> None:
        if self.batch and (len(self.batch) >= BATCH_RESULTS
                           or time.monotonic() - self.batch_since >= BATCH_SECONDS):
            self.flush()

    def flush(self) -> None:
        """Commit the batched results, in one transaction; the scan must call it before
        anything reads the results (and does, at the end of :meth:`drain`)."""
        batch, self.batch, self.batch_shas = self.batch, [], set()
        if not batch:
            return
        run_id, key = self.walker.run_id, self.results_key
        staged = StoreBatch()
        try:
            with self.case.transaction() as db:
                for entry, result, status, page in batch:
                    store_result(self.case, entry, result, run_id, status=status,
                                 results_key=key, batch=staged, page=_page_number(page),
                                 first_line=page.first_line if page else 0)
                staged.write(db, run_id, key, mark_stale=not self.marked_stale)
        except Exception as exc:
            if not no_space(exc):
                raise
            # The store's disk is full (the batch was rolled back): each content on its own,
            # as one batch of one, so that only those that cannot be written fail.
            results = [self._store_alone(entry, result, status, page)
                       for entry, result, status, page in batch]
        else:
            staged.committed()
            self.marked_stale = True
            results = [result for _entry, result, _status, _page in batch]
        for (entry, _result, _status, page), result in zip(batch, results, strict=True):
            if page is not None:
                self._page_stored(page, result)
            elif result.ocr_pages and entry.sha256 in self.paged:
                continue  # done once its pages are
            else:
                self._done(entry, result)

    def _drop_pages(self, doc: _PagedDocument) -> None:
        """The document's pages still queued are not read: each is recorded failed."""
        sha = doc.entry.sha256
        dropped = [p for p in self.pages if p.entry.sha256 == sha]
        if not dropped:
            return
        self.pages = deque(p for p in self.pages if p.entry.sha256 != sha)
        reason = f"not read: {MAX_PAGE_TIMEOUTS} pages of the document hit the time limit"
        for page in dropped:
            self.batch.append((page.entry, ContentResult("failed", reason), None, page))

    def _page_stored(self, page: PageTask, result: ContentResult) -> None:
        """One page less to wait for; the document is done with its last page."""
        doc = self.paged.get(page.entry.sha256)
        if doc is None:
            return
        if result.status in ("failed", "partial"):
            doc.failed.append((page.index + 1, result.reason or result.status))
            doc.no_space = doc.no_space or result.reason == NO_SPACE_REASON
        doc.left -= 1
        if doc.left:
            return
        del self.paged[page.entry.sha256]
        _finish_pages(doc)
        self._done(doc.entry, doc.result)

    def _store_alone(self, entry: Entry, result: ContentResult, status: str | None,
                     page: PageTask | None = None) -> ContentResult:
        try:
            store_result(self.case, entry, result, self.walker.run_id, status=status,
                         results_key=self.results_key, page=_page_number(page),
                         first_line=page.first_line if page else 0)
        except Exception as exc:
            if not no_space(exc):
                raise
            if page is not None:  # the document is redone whole by the next scan
                _discard_files(result)
                return ContentResult("failed", NO_SPACE_REASON, result.file_type)
            return self._store_failed(entry, result)
        return result

    def _store_failed(self, entry: Entry, result: ContentResult) -> ContentResult:
        """The store's disk is full: this content is recorded as retryable (if even that
        can be written) and the scan goes on; a later scan of the case redoes it."""
        _discard_files(result)
        # Its members were recorded (and are scanned): the container must not be marked
        # done at the end of the scan, so that the next scan redoes it. Its pages to OCR
        # are not read (nor stored, if in flight).
        self.walker.stats.pending_archives = [
            p for p in self.walker.stats.pending_archives if p.sha256 != entry.sha256]
        if self.paged.pop(entry.sha256, None) is not None:
            self.pages = deque(p for p in self.pages if p.entry.sha256 != entry.sha256)
            result.ocr_pages = []
        failed = ContentResult("failed", NO_SPACE_REASON, result.file_type)
        with contextlib.suppress(Exception):
            store_result(self.case, entry, failed, self.walker.run_id)
        return failed

    def _done(self, entry: Entry, result: ContentResult) -> None:
        if entry.temporary:
            entry.real.unlink(missing_ok=True)
        self.on_stored(entry, result)

    def drain(self) -> None:
        while self.queue or self.in_flight or self.forming or self.pages:
            self._pump(draining=True)
        self.flush()
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
        """Stop the pools and the memory guard (again: a no-op)."""
        if self.closed:
            return
        self.closed = True
        self.guard.stop()
        self.events.cancel_join_thread()
        for pool in (self.pool, self.fresh_pool):
            if pool is not None:
                pool.stop()
                pool.join(timeout=10)


def _page_number(page: PageTask | None) -> int | None:
    return None if page is None else page.index + 1


def _finish_pages(doc: _PagedDocument) -> None:
    """The document's final status once its pages are stored: ``partial`` when a page
    failed (the pages and the first reason said), ``failed`` for a full disk (redone whole
    by the next scan), as it was otherwise."""
    if not doc.failed:
        return
    container = doc.container
    if doc.no_space:
        container.status, container.reason = "failed", NO_SPACE_REASON
    else:
        number, reason = doc.failed[0]
        said = (f"{len(doc.failed)} of {doc.n_pages} pages to OCR not read whole: "
                f"page {number}: {reason}")
        if container.status == "scanned":
            container.status, container.reason = "partial", said
        else:
            container.reason = f"{container.reason}; {said}" if container.reason else said
    doc.result.status, doc.result.reason = container.status, container.reason


def _worth_a_fresh_worker(result: ContentResult) -> bool:
    """A content stopped by the memory limit in a worker that had run other tasks (or whose
    history is unknown: the guard killed the process) gets one more try; so does one stopped
    by the time limit before anything was read. One stopped by time with findings kept
    (``partial``) does not: a fresh worker would rarely be faster, and the retry would cost
    another full time limit (a 64 MB cell took 2 x 120 s)."""
    if result.tasks_before == 0:
        return False
    return result.limit_hit == "memory" or (
        result.limit_hit == "time" and result.status == "failed")


def _after_retry(first: ContentResult, retry: ContentResult) -> ContentResult:
    """The better of two tries; the other's result files are deleted."""
    keep, drop = retry, first
    if retry.status == "failed" and first.status == "partial":
        keep, drop = first, retry
    _discard_files(drop)
    if keep.limit_hit and keep.reason:
        keep.reason += "; also after a retry in a fresh worker"
    return keep


def _discard_files(result: ContentResult) -> None:
    for path in (result.findings_file, result.records_file, result.row_keys_file,
                 result.cells_file):
        if path:
            Path(path).unlink(missing_ok=True)


def _is_archive(result: ContentResult) -> bool:
    from breachscope.ingest.archives import ARCHIVE_TYPES

    return result.file_type in ARCHIVE_TYPES


def scan(
    sources: list[Path], case: Case, *, workers: int = 2,
    settings: ScanSettings | None = None,
    on_progress: ProgressCallback | None = None, task: Task = process_content,
    executor: Executor | None = None,
) -> ScanSummary:
    """Scan ``sources`` into ``case``. ``on_progress(entry, result, top_bytes_done)`` is called
    after each content is stored (and with ``None`` values as the walk moves on). ``task`` is
    the per-content function run in worker processes (a module-level function). ``executor``
    says where the tasks run (:mod:`breachscope.executors`; default: local processes)."""
    forbid_network()
    settings = settings or ScanSettings()
    started = time.perf_counter()
    # What a killed run left in the work area (member blobs, result files, OCR pages) goes
    # before anything else: nothing of it is ever read again.
    case.clear_work_dir()
    run_id = case.start_run("scan")
    case.retry_on_rescan(encrypted=bool(settings.passwords))
    walker = Walker(case, run_id)
    counts = {"scanned": 0, "failed": 0, "partial": 0}

    def on_stored(entry: Entry, result: ContentResult) -> None:
        counts["scanned"] += 1
        counts["failed"] += result.status == "failed"
        counts["partial"] += result.status == "partial"
        if on_progress:
            on_progress(entry, result, walker.stats.top_bytes_done)

    runner = _TaskRunner(case, walker, settings, workers, on_stored, task, executor)
    runner.on_event = getattr(on_progress, "on_event", None)
    try:
        with _storing(case):
            for entry in walker.walk(sources):
                runner.submit(entry)
                if on_progress:
                    on_progress(None, None, walker.stats.top_bytes_done)
            runner.drain()  # ends with the last batch committed
        runner.close()  # the workers' memory is given back before people are resolved
        walker.flush_files()
        with case.transaction():  # one commit, not one per archive
            for container in walker.stats.pending_archives:
                case.finish_container(
                    container.sha256, size=container.size, file_type=container.file_type,
                    status=container.status, reason=container.reason, run_id=run_id,
                )
            # the OCR'd pages of finished documents are no longer to keep for a resume
            case.db.execute("DELETE FROM ocr_pages_done WHERE sha256 NOT IN "
                            "(SELECT sha256 FROM contents WHERE status = 'pending')")
        if on_progress:
            on_progress(None, None, walker.stats.top_bytes_done)
        resolved_with = case.db.execute(
            "SELECT value FROM meta WHERE key = 'people_linkage'").fetchone()
        # Re-resolve when records changed, or when the people were made with another method
        # (a case resolved by an earlier version, or BREACHSCOPE_LINKAGE set for this run).
        stages = {"files_s": time.perf_counter() - started}
        # Recorded as each stage ends: a step that stops the scan (people resolution out of
        # spill space at 10 GB) still leaves the files phase's duration.
        _record_stages(case, stages)
        if case.people_stale() or (resolved_with and resolved_with[0] != linkage_method(case)):
            # the reviewers' decisions (breachscope.review.apply) around resolution; roles
            # and sensitive flags they set are applied inside assess_case
            for name, step in (("suppress_s", suppress_false_positives),
                               ("people_s", rebuild_people), ("structure_s", apply_structure),
                               ("relate_s", relate_case), ("assess_s", assess_case)):
                step_started = time.perf_counter()
                if name in _SPILLING_STAGES:
                    # Their joins over every table row spill: capped like resolution's, so
                    # a huge dump stops with one sentence rather than fill the disk.
                    with capped(case.db, "spill", _SPILLING_STAGES[name], TABLES_CAP), \
                            unordered(case.db):
                        step(case)
                else:
                    step(case)
                stages[name] = time.perf_counter() - step_started
                _record_stages(case, stages)
            case.set_people_stale(False)
    except BaseException:
        # What was received whole is kept (an interrupted scan resumes from there); a
        # failure here (the same error again) leaves those contents to the next run.
        with contextlib.suppress(Exception):
            runner.flush()
        with contextlib.suppress(Exception):
            walker.flush_files()
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
        totals["people"], time.perf_counter() - started, counts["partial"],
    )


#: The stages after the files whose spill is capped (resolve.spill), with their name for the
#: message (people resolution caps its own).
_SPILLING_STAGES = {"relate_s": "relating tables", "assess_s": "assessing people"}


def _record_stages(case: Case, stages: dict[str, float]) -> None:
    """The run's stage durations in ``meta.scan_stages`` (JSON, seconds): where a scan's time
    went, for the benchmarks and for a user wondering why a scan is slow."""
    import json

    case.db.execute("INSERT OR REPLACE INTO meta VALUES ('scan_stages', ?)",
                    [json.dumps({k: round(v, 3) for k, v in stages.items()})])


@contextlib.contextmanager
def _storing(case: Case) -> Iterator[None]:
    """The store's settings while the workers run: one DuckDB thread (the statements are
    small, the cores are the workers'; the default two threads cost the main process 60 %
    more CPU on a replay of a scan's inserts), and a checkpoint every 256 MB of log rather
    than 16 MB (each checkpoint rewrites the tables' last row groups and merges partly
    filled ones: half the COMMIT time on that replay at 16 MB; 64 → 256 MB with 3 s batches,
    files phase of 214 MB of exports 53.7 → 51 s). A kill -9 meanwhile is recovered by
    DuckDB from its log as before."""
    db = case.db
    db.execute("SET threads = 1")
    db.execute("SET checkpoint_threshold = '256MB'")
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):
            db.execute("RESET threads")
            db.execute("RESET checkpoint_threshold")


def store_result(
    case: Case, entry: Entry, result: ContentResult, run_id: int, *, status: str | None = None,
    results_key: bytes | None = None, batch: StoreBatch | None = None, page: int | None = None,
    first_line: int = 0,
) -> None:
    """Write one content's results and its status in a single transaction (resume unit).
    ``status="pending"`` stores the results but leaves the content to redo after a crash.
    ``results_key`` opens the sealed result files of an encrypted case. With ``batch``, the
    content is only staged there: the caller writes the batch (:meth:`StoreBatch.write`) in
    its own transaction, with other contents, then calls :meth:`StoreBatch.committed`.
    ``page``: the results of that page (1-based) of the document ``entry`` (a PDF, a
    multi-page image), added to the document's (stored ``pending`` before); its parts and
    seconds counted in its row; ``first_line``: the page's text-layer lines (its OCR lines
    are numbered after them)."""
    if batch is not None:
        batch.add(entry, result, status, page=page, first_line=first_line)
        return
    alone = StoreBatch()
    alone.add(entry, result, status, page=page, first_line=first_line)
    with case.transaction() as db:
        alone.write(db, run_id, results_key)
    alone.committed()


# The sha256 of each row's content, by the rank of the result file it was read from
# (DuckDB's ``file_index``: the files' order in the list). Looking the file's name up in a
# map cost a string and a map search per row: on 8.9 M cells of a scan's flush of exports,
# that projection was 0.69 of the statement's 2.58 CPU s, the list's 0.04 (issue 15,
# session 21; DuckDB's profile, three runs each).
_SHA_BY_FILE = ("(SELECT (?::VARCHAR[])[file_index::BIGINT + 1] AS _sha, * "
                "FROM read_parquet(?::VARCHAR[], union_by_name = true))")
_INSERTS = {
    "row_keys": "INSERT INTO row_keys SELECT _sha, unit, row_location, column_name, value "
                "FROM {rows}",
    "findings": f"INSERT INTO {findings_store.PLAIN} SELECT _sha, location, entity, value, "
                "confidence, detector FROM {rows}",
    "records": "INSERT INTO records SELECT left(_sha, 20) || ':' || idx, _sha, location, "
               "last_name, first_name, full_name, birth_date, sex, nir, phones, emails, "
               "address, postal_code, city, ibans, patient_id, care_unit, visit_date, "
               "role_hint, entities, icd10_codes "  # entities joined by the workers
               "FROM {rows}",
}


class StoreBatch:
    """The results of several contents, written with one statement per table: DuckDB costs
    milliseconds per statement and a commit per content was the main process's first cost
    (issue 15: 41 % in COMMIT, 20 % in one ``read_parquet`` per result file). Rows reach each
    table in the order of the contents, as one transaction per content gave them."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.results: list[ContentResult] = []
        self.replaced: list[str] = []  # contents whose earlier rows go first
        # Result files (path, sha256, first record number: a page's records follow
        # its document's, PAGE_RECORDS), by kind.
        self.files: dict[str, list[tuple[str, str, int]]] = {k: [] for k in _INSERTS}
        # Small contents' rows returned with their results (worker.sink.INLINE_ROWS): per
        # table, its columns' values for the whole batch, with each row's content sha256 as
        # ``_sha`` (as _SHA_BY_FILE gives it). Lists, not an Arrow table per content: building
        # two small tables per letter was the main process's first cost per letter once the
        # tasks were batched (0.45 ms each; issue 15).
        self.inline: dict[str, dict[str, list[Any]]] = {k: {} for k in _INSERTS}
        # Labelled columns' cells (worker.sink): (cells file, sha256, its columns).
        self.cells: list[tuple[str, str, list[tuple[str, str, str, str]]]] = []
        self.declared: list[list[object]] = []
        self.columns: list[list[object]] = []
        self.contents: list[list[object]] = []
        # (sha256, page, first line, parts, seconds, read whole?) of OCR'd pages
        self.pages: list[list[object]] = []

    def add(self, entry: Entry, result: ContentResult, status: str | None, *,
            page: int | None = None, first_line: int = 0) -> None:
        sha = entry.sha256
        self.entries.append(entry)
        self.results.append(result)
        if entry.had_row and page is None:  # results of an earlier run (or attempt) to replace
            # A DELETE by sha256 scans the whole table (16 ms at 20 000 findings, 205 ms at
            # 2 million): for a content the case never had, there is nothing to delete.
            self.replaced.append(sha)
        first = page * PAGE_RECORDS if page is not None else 0
        for kind, path in (("row_keys", result.row_keys_file),
                           ("findings", result.findings_file),
                           ("records", result.records_file)):
            if path:
                self.files[kind].append((path, sha, first if kind == "records" else 0))
        if result.cells_file:
            self.cells.append((result.cells_file, sha, result.cell_columns))
        for kind, columns in (result.inline or {}).items():
            if first and kind == "records":
                columns = {**columns, "idx": [first + i for i in columns["idx"]]}
            _extend_inline(self.inline[kind], kind, columns, sha)
        self.declared.extend([sha, *key] for key in result.declared_keys or ())
        self.columns.extend([sha, c.unit, c.col_index, c.header, c.label, c.confidence,
                             c.reason] for c in result.columns or ())
        if page is not None:  # the document's row is written with its own result
            self.pages.append([sha, page, first_line, result.n_units, result.seconds,
                               result.status == "scanned"])
            return
        self.contents.append([sha, entry.size, result.file_type or entry.file_type or "unknown",
                              status or result.status, result.reason, result.n_units,
                              result.seconds])

    def write(self, db: duckdb.DuckDBPyConnection, run_id: int, key: bytes | None, *,
              mark_stale: bool = True) -> None:
        """Write everything staged; inside the caller's transaction. ``mark_stale=False``
        when an earlier batch of the same scan already committed ``people_stale`` (nothing
        clears it before the scan's people stage; a statement per batch was ~1 ms)."""
        import pyarrow as pa

        if not self.entries:
            return
        if mark_stale:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('people_stale', '1')")
        resumed: list[str] = []
        if self.replaced:
            resumed = _resumed_documents(db, self.replaced)
            plain = [sha for sha in self.replaced if sha not in resumed]
            if plain:
                findings_store.delete_contents(db, plain)
                for table in RESULT_TABLES:
                    db.execute(f"DELETE FROM {table} WHERE sha256 IN (SELECT unnest(?))",
                               [plain])
            if resumed:
                _delete_all_but_pages_done(db, resumed)
        for kind in ("row_keys", "findings", "records"):
            _insert_files(db, kind, self.files[kind], key)
            if self.inline[kind]:
                _insert_inline(db, _INSERTS[kind].format(rows="_bs_rows"), kind,
                               self.inline[kind])
        if self.cells:
            _insert_cells(db, self.cells, key)
        if self.declared:
            rows = pa.table({name: [row[i] for row in self.declared] for i, name in enumerate(
                ("sha256", "unit", "kind", "columns", "ref_table", "ref_columns"))})
            _insert_arrow(db, "INSERT INTO declared_keys SELECT sha256, unit, kind, columns, "
                          "ref_table, ref_columns FROM _bs_rows", rows)
        if self.columns:
            rows = pa.table({name: [row[i] for row in self.columns] for i, name in enumerate(
                ("sha256", "unit", "col_index", "header", "label", "confidence", "reason"))})
            _insert_arrow(db, "INSERT INTO columns SELECT sha256, unit, col_index, header, "
                          "label, confidence, reason FROM _bs_rows", rows)
        if self.contents:
            rows = pa.table({name: [row[i] for row in self.contents] for i, name in enumerate(
                ("sha256", "size", "type", "status", "reason", "n_units", "seconds"))})
            # The SQL of Case.set_content, for many rows.
            _insert_arrow(db, "INSERT OR REPLACE INTO contents "
                          "(sha256, size, type, doc_class, status, reason, n_units, seconds, "
                          "run_id) SELECT sha256, size, type, NULL, status, reason, n_units, "
                          "seconds, ? FROM _bs_rows", rows, [run_id])
        if resumed:  # the parts and seconds of the pages kept, back in the document's row
            db.execute("UPDATE contents SET n_units = n_units + d.n, seconds = seconds + d.s "
                       "FROM (SELECT sha256, sum(n_units) AS n, sum(seconds) AS s "
                       "      FROM ocr_pages_done WHERE sha256 IN (SELECT unnest(?)) "
                       "      GROUP BY sha256) d WHERE contents.sha256 = d.sha256", [resumed])
        for sha, page, first_line, n_units, seconds, whole in self.pages:  # a few per batch
            db.execute("UPDATE contents SET n_units = n_units + ?, seconds = seconds + ? "
                       "WHERE sha256 = ?", [n_units, seconds, sha])
            if whole:  # kept by a scan that resumes the document (a failed page is redone)
                db.execute("INSERT INTO ocr_pages_done VALUES (?, ?, ?, ?, ?)",
                           [sha, page, first_line, n_units, seconds])

    def committed(self) -> None:
        """After the commit: the contents now have rows (stored again, pending then done:
        replace, never duplicate), and their result files are no longer needed."""
        for entry in self.entries:
            entry.had_row = True
        for result in self.results:
            _discard_files(result)


def _resumed_documents(db: duckdb.DuckDBPyConnection, shas: list[str]) -> list[str]:
    """Of the contents stored again, the documents a killed scan left with OCR'd pages
    stored (``ocr_pages_done``): their pages' rows are kept (see :func:`pages_done`)."""
    return [sha for (sha,) in db.execute(
        "SELECT DISTINCT sha256 FROM ocr_pages_done WHERE sha256 IN (SELECT unnest(?))",
        [shas]).fetchall()]


def _delete_all_but_pages_done(db: duckdb.DuckDBPyConnection, shas: list[str]) -> None:
    """Delete the rows of documents stored again, but those of their pages OCR'd before the
    scan was killed: a page's findings are located ``page N, line L`` past the page's
    text-layer lines (the document's task gives those again), its records numbered from
    N x :data:`PAGE_RECORDS`; OCR'd text has no table cells, row keys or columns."""
    db.execute(
        f"""
        DELETE FROM {findings_store.PLAIN} f
        WHERE sha256 IN (SELECT unnest(?)) AND NOT EXISTS (
            SELECT 1 FROM ocr_pages_done d
            WHERE d.sha256 = f.sha256
                AND starts_with(f.location, 'page ' || d.page || ', line ')
                AND TRY_CAST(regexp_extract(f.location, '^page \\d+, line (\\d+)$', 1)
                             AS INTEGER) > d.first_line)
        """, [shas])
    db.execute(
        f"""
        DELETE FROM records r
        WHERE sha256 IN (SELECT unnest(?)) AND NOT EXISTS (
            SELECT 1 FROM ocr_pages_done d
            WHERE d.sha256 = r.sha256 AND TRY_CAST(split_part(r.record_id, ':', 2) AS BIGINT)
                // {PAGE_RECORDS} = d.page)
        """, [shas])
    db.execute("DELETE FROM finding_cells WHERE column_id IN (SELECT column_id FROM "
               "finding_columns WHERE sha256 IN (SELECT unnest(?)))", [shas])
    db.execute("DELETE FROM finding_columns WHERE sha256 IN (SELECT unnest(?))", [shas])
    for table in RESULT_TABLES:
        if table != "records":
            db.execute(f"DELETE FROM {table} WHERE sha256 IN (SELECT unnest(?))", [shas])


def pages_done(case: Case, sha256: str) -> set[int]:
    """The pages (1-based) of the document ``sha256`` whose OCR results a killed scan
    stored: a scan resuming the document keeps them and OCRs only the others."""
    return {page for (page,) in case.db.execute(
        "SELECT page FROM ocr_pages_done WHERE sha256 = ?", [sha256]).fetchall()}


def _extend_inline(into: dict[str, list[Any]], kind: str, columns: dict[str, list[Any]],
                   sha: str) -> None:
    """Append a content's inline rows of ``kind`` (its columns' values) to the batch's."""
    from breachscope.results import SCHEMAS

    names = SCHEMAS[kind].names
    for name in names:
        into.setdefault(name, []).extend(columns[name])
    into.setdefault("_sha", []).extend([sha] * len(columns[names[0]]))


def _inline_schema(kind: str) -> Any:
    import pyarrow as pa

    return SCHEMAS[kind].append(pa.field("_sha", pa.string()))


def _insert_inline(db: duckdb.DuckDBPyConnection, sql: str, kind: str,
                   columns: dict[str, list[Any]]) -> None:
    """Run ``sql`` (``... FROM _bs_rows``) over a batch's inline rows of ``kind``: as list
    parameters (:func:`_insert_lists`), or through an Arrow table when there are many."""
    import pyarrow as pa

    schema = _inline_schema(kind)
    types = [_SQL_TYPES.get(str(field.type)) for field in schema]
    if len(columns["_sha"]) <= _AS_LISTS_ROWS and all(types):
        _insert_lists(db, sql, schema.names, types,  # type: ignore[arg-type]
                      [columns[name] for name in schema.names])
        return
    _insert_arrow(db, sql, pa.table(columns, schema=schema))


#: Arrow types of the staged tables -> DuckDB's, for :func:`_insert_arrow`'s list parameters.
_SQL_TYPES = {"string": "VARCHAR", "large_string": "VARCHAR", "double": "DOUBLE",
              "int64": "BIGINT", "int32": "INTEGER", "bool": "BOOLEAN",
              "list<item: string>": "VARCHAR[]"}
#: Up to this many rows, a staged table is sent as one list parameter per column. DuckDB
#: converts list parameters value by value (3.6 µs a row of findings), an Arrow table in bulk
#: (0.7 µs a row at 20 000 rows) after a fixed cost of about 1.7 ms a statement: lists win
#: below ~300 rows (measured on findings rows, 100 to 20 000; issue 15, session 11: the
#: threshold was 20 000, and a batch of letters' inline rows, ~2 000, cost 2.6× too much).
_AS_LISTS_ROWS = 300


def _insert_arrow(db: duckdb.DuckDBPyConnection, sql: str, rows: Any,
                  params: list[object] | None = None) -> None:
    """Run ``sql`` (``... FROM _bs_rows``) over the Arrow table ``rows``. A small table goes
    as one list parameter per column, unnested side by side (``SELECT unnest(?), unnest(?)``,
    which keeps the rows' order): registering an Arrow table and scanning it cost DuckDB
    5 times as much per statement (measured: 60 findings, 34 ms against 6 ms on the loaded
    machine), and a batch of letters is a few small tables per flush."""
    types = [_SQL_TYPES.get(str(field.type)) for field in rows.schema]
    if rows.num_rows <= _AS_LISTS_ROWS and all(types):
        columns = [rows.column(i).to_pylist() for i in range(rows.num_columns)]
        _insert_lists(db, sql, rows.column_names, types, columns,  # type: ignore[arg-type]
                      params)
        return
    db.register("_bs_rows", rows)
    try:
        db.execute(sql, params or [])
    finally:
        db.unregister("_bs_rows")


def _insert_lists(db: duckdb.DuckDBPyConnection, sql: str, names: list[str], types: list[str],
                  columns: list[list[Any]], params: list[object] | None = None) -> None:
    """:func:`_insert_arrow`'s small-table path: one list parameter per column."""
    unnested = ", ".join(f"unnest(?::{t}[]) AS \"{name}\""
                         for t, name in zip(types, names, strict=True))
    # Parameters bind in the order of their ``?``: the statement's own before FROM
    # (``SELECT ..., ? FROM _bs_rows``), then the columns', then the statement's after.
    before = sql[:sql.index("_bs_rows")].count("?")
    own = params or []
    db.execute(sql.replace("_bs_rows", f"(SELECT {unnested}) AS _bs_rows", 1),
               [*own[:before], *columns, *own[before:]])


def _insert_files(db: duckdb.DuckDBPyConnection, kind: str,
                  files: list[tuple[str, str, int]], key: bytes | None) -> None:
    """Insert the rows of a batch's result files of one ``kind``: the Parquet files in one
    statement (DuckDB reads them in the order given), sealed files and an OCR'd page's records
    (numbered from ``first``) one at a time."""
    sql = _INSERTS[kind]
    plain = [(path, sha) for path, sha, first in files
             if not path.endswith(SEALED_SUFFIX) and not first]
    if plain:
        paths, shas = [p for p, _ in plain], [s for _, s in plain]
        db.execute(sql.format(rows=_SHA_BY_FILE), [shas, paths])
    for path, sha, first in files:
        if path.endswith(SEALED_SUFFIX):
            rows, params = "(SELECT ?::VARCHAR AS _sha, * FROM sealed_batch)", [sha]
            if first:
                rows = f"(SELECT ?::VARCHAR AS _sha, {_RENUMBERED} FROM sealed_batch)"
                params.append(first)
            _insert_sealed(db, sql, path, kind, key, rows, params)
        elif first:
            db.execute(sql.format(rows=f"(SELECT ?::VARCHAR AS _sha, {_RENUMBERED} "
                                       "FROM read_parquet(?))"), [sha, first, path])


def _insert_cells(db: duckdb.DuckDBPyConnection,
                  files: list[tuple[str, str, list[tuple[str, str, str, str]]]],
                  key: bytes | None) -> None:
    """Insert labelled columns' cells (``finding_cells``) and their columns
    (``finding_columns``): a file's ``column`` numbers its content's columns from 0, the store's
    ``column_id`` from the first free id on (each file's columns after the previous file's)."""
    import pyarrow as pa

    first = findings_store.next_column_id(db)
    bases, columns = [], []
    for _path, sha, cell_columns in files:
        bases.append(first)
        columns.extend([first + i, sha, *column] for i, column in enumerate(cell_columns))
        first += len(cell_columns)
    rows = pa.table({name: [row[i] for row in columns] for i, name in enumerate(
        ("column_id", "sha256", "loc_prefix", "loc_suffix", "entity", "detector"))})
    _insert_arrow(db, "INSERT INTO finding_columns SELECT column_id, sha256, loc_prefix, "
                  "loc_suffix, entity, detector FROM _bs_rows", rows)
    insert = "INSERT INTO finding_cells SELECT _base + \"column\", n, value, confidence FROM {rows}"
    plain = [(path, base) for (path, _, _), base in zip(files, bases, strict=True)
             if not path.endswith(SEALED_SUFFIX)]
    if plain:
        paths = [p for p, _ in plain]
        db.execute(insert.format(rows=_BASE_BY_FILE), [[b for _, b in plain], paths])
    for (path, _, _), base in zip(files, bases, strict=True):
        if path.endswith(SEALED_SUFFIX):
            _insert_sealed(db, insert, path, "cells", key,
                           "(SELECT ?::BIGINT AS _base, * FROM sealed_batch)", [base])


#: Each cells file's first ``column_id``, by the rank of the file its rows were read from
#: (as :data:`_SHA_BY_FILE`).
_BASE_BY_FILE = ("(SELECT (?::BIGINT[])[file_index::BIGINT + 1] AS _base, * "
                 "FROM read_parquet(?::VARCHAR[]))")


#: The select list of an OCR'd page's records file: its records numbered from ``?``.
_RENUMBERED = "* REPLACE (idx + ?::BIGINT AS idx)"


def _insert_sealed(db: duckdb.DuckDBPyConnection, sql: str, path: str, kind: str,
                   key: bytes | None, rows: str, params: list[object]) -> None:
    """Run ``sql`` (an INSERT ... FROM {rows}, ``rows`` selecting from ``sealed_batch``,
    binding ``params``) over a sealed result file (an encrypted case): its batches are
    opened here one at a time, never written in clear."""
    if key is None:
        raise ValueError("sealed result file without the scan's key")
    for table in read_sealed(path, key, kind):
        db.register("sealed_batch", table)
        try:
            db.execute(sql.format(rows=rows), params)
        finally:
            db.unregister("sealed_batch")
