"""A batch task: many small contents (letters, notes, small exports) in one worker task, so
that the per-task costs (pickling, scheduling, the pipeline's bookkeeping, the limits'
set-up) are paid once per batch rather than once per file (issue 15).

Each file keeps its own result, exactly as a task of its own would have given it: its own
time limit (``SIGALRM``), the memory watchdog armed for it alone, its own status, reason,
findings and records. What a batch adds is the spaCy pass of the names: the batch's text
units are read first, then one ``nlp.pipe`` runs over the undecided name windows of all of
them (:func:`breachscope.detect.names.prepare_names`, the batching of
:func:`breachscope.detect.text.scan_texts`), then each file is detected as usual and finds
its names already settled — the same names (tests/worker/test_batch.py).

The pipeline (:mod:`breachscope.pipeline`) falls back to one task per file when a batch
cannot give every file its own result: the worker died or overran the batch's hard limit,
or the batch stopped early after a memory limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from breachscope import memwatch
from breachscope.memwatch import TaskMemoryLimit
from breachscope.settings import ScanSettings
from breachscope.worker import sandbox
from breachscope.worker.model import NOT_BATCHED, BatchResult, ContentResult
from breachscope.worker.sandbox import TaskTimeout, limit_exceeded, time_limit
from breachscope.worker.task import ReadAhead, _process, process_content

#: Types a batch reads: quick to read whatever their bytes (no OCR, no external program, no
#: archive). The pipeline batches small contents of these types, or, when the type is not
#: known yet (a file of the dump: the worker sniffs it), with one of :data:`BATCH_SUFFIXES`;
#: a content sniffed as anything else is handed back (:data:`NOT_BATCHED`).
BATCH_TYPES = frozenset({"empty", "text", "csv", "json", "xml", "html", "docx", "odt", "rtf",
                         "eml", "hl7", "hprim", "fhir", "cda"})
BATCH_SUFFIXES = frozenset({".txt", ".text", ".md", ".log", ".csv", ".tsv", ".json", ".xml",
                            ".html", ".htm", ".docx", ".odt", ".rtf", ".eml", ".hl7", ".hpr"})

BatchItem = tuple[str, str | None, int]  # (path, file type or None, archive depth)
Task = Callable[..., ContentResult]


def process_batch(task: Task, items: list[BatchItem], work_dir: str,
                  settings: ScanSettings) -> BatchResult:
    """Run ``task`` (``process_content``'s signature) on each item; run under
    :func:`~breachscope.worker.run_task` like any task. Never raises for a bad file (an
    exception of ``task`` itself propagates: the pipeline then runs each file alone)."""
    typed = [_batch_type(path, file_type) for path, file_type, _depth in items]
    reads: list[ReadAhead | None] = [None] * len(items)
    shared = 0.0  # seconds of the batch's spaCy pass, shared out among its texts' files
    if task is process_content:
        reads = [_read_ahead(path, file_type, settings) if file_type is not None else None
                 for (path, _t, _d), file_type in zip(items, typed, strict=True)]
        shared = _prepare_names(reads, settings)
    with_text = sum(1 for read in reads if read is not None and _texts(read))
    results: list[ContentResult] = []
    try:
        for i, ((path, _t, depth), file_type) in enumerate(zip(items, typed, strict=True)):
            if file_type is None:
                results.append(ContentResult("failed", NOT_BATCHED, limit_hit=NOT_BATCHED))
                continue
            if _memory_high():  # kept from the files before: the rest go to other tasks
                break
            read, reads[i] = reads[i], None
            memwatch.arm()
            try:
                if read is not None:
                    result = _process(path, file_type, work_dir, settings, depth, read)
                    if with_text and _texts(read):
                        result.seconds += shared / with_text
                else:
                    result = task(path, file_type, work_dir, settings, depth)
            except (MemoryError, TaskMemoryLimit):
                result = ContentResult("failed", limit_exceeded("memory", settings),
                                       limit_hit="memory")
            finally:
                memwatch.pause()
            results.append(result)
            if result.limit_hit == "memory":  # its heap may be the next file's problem
                memwatch.trim_heap()
                break
    finally:
        if task is process_content:
            from breachscope.detect.names import prepare_names

            prepare_names([])  # the names found ahead for files not scanned: dropped
    return BatchResult(results)


def _batch_type(path: str, file_type: str | None) -> str | None:
    """The content's type if a batch reads it (sniffed here when the pipeline did not know
    it), else None."""
    if file_type is None:
        from breachscope.ingest.sniff import sniff_type
        from breachscope.sealed_blobs import SUFFIX

        if path.endswith(SUFFIX):  # a sealed blob: process_content opens it, alone
            return None
        try:
            file_type = sniff_type(Path(path))
        except OSError:  # gone, unreadable: its own task says so as it always did
            return None
    return file_type if file_type in BATCH_TYPES else None


def _read_ahead(path: str, file_type: str, settings: ScanSettings) -> ReadAhead | None:
    """The content's units, read under its time limit and the memory watchdog; None when the
    file is better read when it is scanned (a sealed blob, a type without extractor, an
    attachment among its units: the attachment's bytes are copied out as they are read; a
    limit reached while reading)."""
    from breachscope.extract.dispatch import partition
    from breachscope.extract.passwords import using_passwords
    from breachscope.extract.units import EmbeddedFile
    from breachscope.filetypes import BY_NAME
    from breachscope.sealed_blobs import SUFFIX

    spec = BY_NAME.get(file_type)
    if path.endswith(SUFFIX) or spec is None or spec.extractor is None:
        return None
    started = time.perf_counter()
    units: list[object] = []
    error: BaseException | None = None
    memwatch.arm()
    try:
        with time_limit(settings.timeout), using_passwords(settings.passwords):
            for unit in partition(Path(path), file_type):
                if isinstance(unit, EmbeddedFile):
                    return None
                units.append(unit)
    except (TaskTimeout, TaskMemoryLimit, MemoryError):
        # A limit: the file is read again by process_content, its limit starting over, so
        # that what it keeps is what a task of its own keeps (findings of the parts read
        # before the limit; a read-ahead replayed with no time left would keep fewer).
        return None
    except Exception as exc:  # raised again where the extractor raised it, when replayed
        error = exc
    finally:
        memwatch.pause()
    return ReadAhead(units, error, time.perf_counter() - started)


def _texts(read: ReadAhead) -> list[str]:
    from breachscope.extract.units import TextUnit

    return [u.text for u in read.units if isinstance(u, TextUnit) and u.text]


def _prepare_names(reads: list[ReadAhead | None], settings: ScanSettings) -> float:
    """One spaCy pass over the name candidates of all the texts read ahead; its seconds.
    Under one file's time limit and the memory watchdog: if it stops, each file finds its
    names itself, as a task of its own would."""
    from breachscope.detect.names import prepare_names

    texts = [text for read in reads if read is not None for text in _texts(read)]
    if not texts:
        return 0.0
    started = time.perf_counter()
    memwatch.arm()
    try:
        with time_limit(settings.timeout):
            prepare_names(texts)
    except (Exception, TaskTimeout, TaskMemoryLimit):
        prepare_names([])
    finally:
        memwatch.pause()
    return time.perf_counter() - started


def _memory_high() -> bool:
    """The worker holds more than :func:`~breachscope.worker.run_task`'s threshold (3/4 of
    its limit) even after giving freed pages back: a task of its own would have started in a
    new worker (the local pools; a Ray worker watches itself)."""
    limit = sandbox.memory_limit[0]
    if not limit or memwatch.resident_bytes() <= limit * 3 // 4:
        return False
    memwatch.trim_heap()
    return memwatch.resident_bytes() > limit * 3 // 4
