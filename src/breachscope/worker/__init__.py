"""The per-file task, run in a worker process: the only code that parses untrusted bytes.

A task gets one content. It sniffs its type, then either
- expands it if it is an archive: every member, nested archives included, is streamed into the
  work area under a unique name, under the archive limits, and described in the result; or
- extracts units from it and runs detection, streaming findings and records into Parquet
  files in the work area (so neither this process nor the main one holds them all in memory).

It never touches the case store. Any failure becomes a status and a reason. The worker process
itself runs under a memory limit (address space), with the network forbidden, and each content
under a time limit; the main process adds a hard time limit that kills a stuck worker.

The package's modules: :mod:`~breachscope.worker.sandbox` (the worker process's set-up and
what wraps every task), :mod:`~breachscope.worker.task` (the per-file task),
:mod:`~breachscope.worker.archive` (archive expansion), :mod:`~breachscope.worker.sink` (result
files) and :mod:`~breachscope.worker.model` (what a task returns). The executors
(:mod:`breachscope.executors`: local processes, Ray) run ``run_task(process_content, ...)``
in processes set up by ``init_worker``.
"""

from breachscope.worker.model import (
    NO_SPACE_REASON,
    ColumnRow,
    ContentResult,
    DeclaredKey,
    ExpandedMember,
    no_space,
)
from breachscope.worker.sandbox import (
    AS_BACKSTOP_FACTOR,
    EXIT_RECYCLE,
    TaskTimeout,
    init_worker,
    run_task,
    time_limit,
    warm_up,
)
from breachscope.worker.task import (
    process_content,
    process_content_by_page,
    process_ocr_page,
)

__all__ = [
    "AS_BACKSTOP_FACTOR", "EXIT_RECYCLE", "NO_SPACE_REASON", "ColumnRow", "ContentResult",
    "DeclaredKey", "ExpandedMember", "TaskTimeout", "init_worker", "no_space",
    "process_content", "process_content_by_page", "process_ocr_page", "run_task",
    "time_limit", "warm_up",
]
