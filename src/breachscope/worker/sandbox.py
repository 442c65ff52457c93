"""The worker process's sandbox: what is set up once per process (end with the main process,
memory cap, network forbidden, temporary files in the case's work area, warm-up) and what
wraps every task (time limit, memory watchdog, recycling a worker that kept too much memory).
Nothing here parses untrusted bytes: that is :mod:`breachscope.worker.task`'s."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from breachscope import memwatch
from breachscope.memwatch import TaskMemoryLimit, resident_bytes, trim_heap
from breachscope.settings import ScanSettings
from breachscope.worker.model import ContentResult

AS_BACKSTOP_FACTOR = 4  # address-space cap = 4 x the resident-memory limit
EXIT_RECYCLE = 87  # a worker still holding too much memory from earlier tasks: replaced

_tasks_run = 0  # tasks this worker process has run
memory_limit = [0]  # this worker's resident-memory limit, in bytes (0: none)
sealing_key: list[bytes | None] = [None]  # set for an encrypted case: result files sealed


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
    sealing_key[0] = results_key
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
    # One OpenMP thread: scan workers are already parallel. Read by libgomp when it is first
    # loaded: Tesseract kept in the worker (extract.ocr_resident) or run as a program.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    _lower_priority()

    if memory_limit_mb > 0:
        limit = memory_limit_mb * 1024 * 1024
        # The limit is on resident memory (memwatch: the real risk); the address-space cap is
        # only a backstop, far above it (reservations are not memory: docs/limits.md).
        backstop = AS_BACKSTOP_FACTOR * limit
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (backstop, backstop))
        memory_limit[0] = limit
    memwatch.install_handler()  # the main process's MemoryGuard signals over the limit
    forbid_network()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    warm_up()


#: How much lower than the main process the workers' scheduling priority is (``nice``). The
#: main process stores the workers' results in one thread: in the table exports' phase it is
#: the scan's serial part, and with equal priorities the kernel gave it 0.6-0.7 of a core
#: while the workers had queued work, so the store fell behind and the workers then waited
#: for it (1.4-1.8 of the 2 cores used). Served first, it keeps up and both cores stay busy
#: (1 GB dump: exports' phase at 1.9-2.0 cores, files phase 228.1 -> 211.7 s with 40 tasks
#: in flight per worker; issue 15, session 21). A scan also yields to the user's own work.
WORKER_NICENESS = 5
_priority_lowered = [False]


def _lower_priority() -> None:
    """Lower this worker's priority by :data:`WORKER_NICENESS`, once per process (a Ray
    worker process may be set up again for a later scan)."""
    if _priority_lowered[0]:
        return
    _priority_lowered[0] = True
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


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


def warm_up() -> None:
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
def time_limit(seconds: float) -> Iterator[None]:
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


def limit_text(limit: str, settings: ScanSettings) -> tuple[str, str]:
    """(which limit, how much) for a reason."""
    if limit == "time":
        return "time limit", f"{settings.timeout:g} s"
    return "memory limit", f"{settings.memory_limit_mb} MB per worker"


def limit_exceeded(limit: str, settings: ScanSettings) -> str:
    name, amount = limit_text(limit, settings)
    return f"{name} exceeded ({amount})"


def quiet_limits() -> None:
    """Disarm the time limit and the memory watchdog's signal for the rest of the task."""
    signal.setitimer(signal.ITIMER_REAL, 0)
    memwatch.pause()


# -- around every task -----------------------------------------------------------------------

def run_task(task: Callable[..., ContentResult], *args: object) -> ContentResult:
    """What the pool runs: ``task(*args)`` (``process_content``) under the memory watchdog,
    counting the tasks this worker ran (a content stopped by a limit in a busy worker is
    retried in a fresh one)."""
    global _tasks_run
    limit = memory_limit[0]
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
        result = ContentResult("failed", limit_exceeded("memory", settings),
                               limit_hit="memory")
    finally:
        memwatch.pause()
    if result.limit_hit == "memory":
        trim_heap()
    result.tasks_before = before
    return result
