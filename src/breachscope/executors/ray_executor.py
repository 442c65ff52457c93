"""Per-content tasks on Ray: a cluster (``--address``) or a Ray instance started on this
machine for the scan. The main process keeps the case store, as with the local pools.

What a task gets and returns is what a local task gets and returns: the path of the content
and of the case's work area, and a :class:`~breachscope.worker.ContentResult` whose result
files are in that work area. So on a cluster the dump and the case directory must be on a path
every node mounts at the same place (docs/ray.md); nothing else travels but Ray's own task
arguments and return values (no protocol of ours). A batch of small contents
(:mod:`breachscope.worker.batch`) is one such task, scheduled as ``run_task(process_batch,
...)``; it returns a :class:`~breachscope.worker.model.BatchResult`.

The worker's protections apply in every Ray worker process: :func:`init_worker` runs once per
process (offline guard, temporary files in the case's work area, address-space backstop, the
per-file ``SIGALRM`` time limit); a thread of the worker watches its own resident memory (the
main process's :class:`~breachscope.memwatch.MemoryGuard` only sees local children); the hard
time limit is the main process's: past it, the task is cancelled with ``force=True``, which
kills its worker process.
"""

from __future__ import annotations

import contextlib
import os
import resource
import secrets
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from types import TracebackType
from typing import Any

from breachscope import memwatch
from breachscope.worker import AS_BACKSTOP_FACTOR, ContentResult, init_worker, run_task

INSTALL_HINT = ("the ray executor needs Ray: pip install 'breachscope[ray]' "
                "(or pip install ray)")
MAX_CALLS = 100  # tasks a Ray worker process runs before Ray replaces it (heap growth)
OBJECT_STORE_BYTES = 128 * 1024 * 1024  # a local instance: results are small, blobs on disk
POLL = 0.1  # seconds between two looks at the tasks in flight


class RayUnavailable(RuntimeError):
    """Ray is not installed (or cannot start)."""


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable(INSTALL_HINT) from exc
    return ray


# -- in the Ray worker process ----------------------------------------------------------------

_initialised: list[tuple[Any, ...] | None] = [None]


def _set_up(initargs: tuple[Any, ...]) -> None:
    """``init_worker`` once per Ray worker process (again if a later scan, another case, uses
    the same process), and the process's own memory watch."""
    if _initialised[0] == initargs:
        return
    # The memory limit is this module's to apply: a Ray worker process reserves about 1.6 GB
    # of address space before any task (gRPC threads, the object store's mapping), so
    # init_worker's cap (4 x the limit, counted from zero) would leave a small limit nothing.
    memory_limit_mb, *rest = initargs
    init_worker(0, *rest)
    _initialised[0] = initargs
    limit = memory_limit_mb * 1024 * 1024 if memory_limit_mb else 0
    if not limit:
        return
    backstop = memwatch.status_sizes().get("VmSize", 0) + AS_BACKSTOP_FACTOR * limit
    with contextlib.suppress(ValueError, OSError):  # the soft limit: a later scan may raise it
        resource.setrlimit(resource.RLIMIT_AS,
                           (backstop, resource.getrlimit(resource.RLIMIT_AS)[1]))
    if not any(t.name == "self-memory-guard" for t in threading.enumerate()):
        threading.Thread(target=_watch_self, args=(limit,), name="self-memory-guard",
                         daemon=True).start()


def _watch_self(limit: int) -> None:
    """The local :class:`~breachscope.memwatch.MemoryGuard`'s policy, from inside the
    process: over the limit, ``SIGUSR1`` (the task stops, what it read is kept); still over it
    ``GRACE`` s later or over 1.5 times the limit, the process kills itself. (A parser holding
    the GIL in native code stops this thread too: the address-space backstop set by
    ``init_worker`` is then what stops it.)"""
    signalled: float | None = None
    while True:
        time.sleep(memwatch.POLL)
        rss = memwatch.resident_bytes()
        if rss <= limit:
            signalled = None
            continue
        now = time.monotonic()
        if signalled is None:
            signalled = now
            os.kill(os.getpid(), signal.SIGUSR1)
        elif rss > limit * 3 // 2 or now - signalled > memwatch.GRACE:
            os.kill(os.getpid(), signal.SIGKILL)


def _ray_task(initargs: tuple[Any, ...], task: Callable[..., ContentResult],
              args: tuple[Any, ...]) -> ContentResult:
    """What a Ray worker runs for one content."""
    _set_up(initargs)
    high = initargs[0] * 1024 * 1024 * 3 // 4  # run_task's threshold
    if high and memwatch.resident_bytes() > high:
        memwatch.trim_heap()
        if memwatch.resident_bytes() > high:
            # Memory kept from earlier tasks: the pipeline schedules the content again (in a
            # process of its own after a few tries). ``run_task`` would exit the process here,
            # which Ray reports as a crash, not as a replacement.
            return ContentResult("failed", "worker replaced", limit_hit="recycle")
    return run_task(task, *args)


# -- in the main process --------------------------------------------------------------------

def _private_token() -> None:
    """The token of a private instance in this process's environment (``RAY_AUTH_TOKEN``,
    inherited by the Ray processes it starts; ``/proc/PID/environ`` is readable by its owner
    only), not in a file: Ray otherwise writes a new one to ``~/.ray/auth_token`` with the
    umask's mode (0644: any account of the machine could read it and run code on the instance,
    which holds the case's data). One token per process, kept: Ray caches the token it first
    read. A token or token file the user set (``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH``) is
    theirs."""
    if not (os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")):
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)


def _loopback_only() -> None:
    """A local instance on 127.0.0.1 only. Ray turns ``_node_ip_address="127.0.0.1"`` into
    the machine's outward address (and finds it with a UDP "connect" to 8.8.8.8), then
    listens on every interface; it keeps to loopback only where it believes clusters are not
    supported (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, read by every Ray process it starts,
    and by this one if Ray is already imported). Checked: ``ss -ltnp`` during a scan shows
    its ports on 127.0.0.1 only (docs/ray.md)."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    import sys

    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None:
        constants.ENABLE_RAY_CLUSTER = False  # type: ignore[attr-defined]


class RayExecutor:
    """Starts (or joins) Ray on ``__enter__`` and shuts it down on ``__exit__``."""

    def __init__(self, address: str | None = None, workers: int = 2) -> None:
        if not address:
            _loopback_only()
        self.ray = _import_ray()
        self.address = address
        self.workers = max(1, workers)
        self._remotes: dict[bool, Any] = {}

    def __enter__(self) -> RayExecutor:
        # Ray reports usage statistics to its authors over the Internet unless told not to.
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "configure_logging": False}
        try:
            if self.address:
                self.ray.init(address=self.address, **kwargs)
            else:
                # A private instance on loopback, sized for this scan.
                _loopback_only()
                _private_token()
                self.ray.init(num_cpus=self.workers, object_store_memory=OBJECT_STORE_BYTES,
                              **kwargs)
        except Exception as exc:
            where = f"the Ray cluster at {self.address}" if self.address else "Ray"
            raise RayUnavailable(
                f"cannot start or reach {where} ({type(exc).__name__}; docs/ray.md)") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.ray.shutdown()

    def _remote(self, fresh: bool) -> Any:
        if fresh not in self._remotes:
            # No automatic retry by Ray: a content whose worker died is reported, and the
            # pipeline decides (retry in a fresh worker, or a failure with its reason).
            self._remotes[fresh] = self.ray.remote(
                num_cpus=1, max_retries=0, max_calls=1 if fresh else MAX_CALLS)(_ray_task)
        return self._remotes[fresh]

    def pool(self, workers: int, initargs: tuple[Any, ...], *, fresh: bool = False) -> RayPool:
        memory_limit_mb, _events, temp_dir, _parent_pid, results_key = initargs
        # Progress events (a multiprocessing queue) and the end-with-the-parent watch only
        # make sense for local children: a Ray worker gets neither.
        ray_initargs = (memory_limit_mb, None, temp_dir, None, results_key)
        return RayPool(self.ray, self._remote(fresh), ray_initargs, 1 if fresh else workers)


class RayPool:
    """pebble's pool surface over Ray tasks: a thread of the main process waits for the tasks
    in flight, settles their futures, and cancels (``force=True``: the worker process is
    killed) those past their hard time limit.

    At most ``capacity`` tasks are handed to Ray at a time (the others wait here): a task's
    hard time limit counts from when it is handed over, as pebble's counts from when a worker
    takes it, so a content never loses its time waiting behind another in Ray's queue."""

    def __init__(self, ray: Any, remote: Any, initargs: tuple[Any, ...],
                 capacity: int = 1) -> None:
        self.ray = ray
        self.remote = remote
        self.initargs = initargs
        self.capacity = max(1, capacity)
        self._lock = threading.Lock()
        self._waiting: deque[tuple[Future[ContentResult], Any, tuple[Any, ...],
                                   float | None]] = deque()
        self._in_flight: dict[Any, tuple[Future[ContentResult], float | None]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ray-pool", daemon=True)
        self._thread.start()

    def schedule(self, function: Callable[..., Any], args: tuple[Any, ...] = (),
                 timeout: float | None = None) -> Future[ContentResult]:
        from breachscope.worker import run_task as local_run_task

        future: Future[ContentResult] = Future()
        future.set_running_or_notify_cancel()
        # The pipeline schedules ``run_task(task, *task_args)``: the Ray task runs it itself.
        if function is local_run_task:
            task, task_args = args[0], tuple(args[1:])
        else:  # any other module-level function: run as the task
            task, task_args = function, tuple(args)
        with self._lock:
            self._waiting.append((future, task, task_args, timeout))
        self._hand_over()
        return future

    def _hand_over(self) -> None:
        """Submit waiting tasks to Ray while fewer than ``capacity`` are there."""
        with self._lock:
            while self._waiting and len(self._in_flight) < self.capacity:
                future, task, task_args, timeout = self._waiting.popleft()
                ref = self.remote.remote(self.initargs, task, task_args)
                deadline = time.monotonic() + timeout if timeout else None
                self._in_flight[ref] = (future, deadline)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._hand_over()
            with self._lock:
                refs = list(self._in_flight)
            if not refs:
                self._stop.wait(POLL / 2)
                continue
            ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=POLL)
            for ref in ready:
                self._settle(ref)
            now = time.monotonic()
            with self._lock:
                late = [ref for ref, (_, deadline) in self._in_flight.items()
                        if deadline is not None and now > deadline]
            for ref in late:
                with contextlib.suppress(Exception):
                    self.ray.cancel(ref, force=True)
                with self._lock:
                    future, _ = self._in_flight.pop(ref, (None, None))
                if future is not None:
                    future.set_exception(FutureTimeout())

    def _settle(self, ref: Any) -> None:
        with self._lock:
            future, _ = self._in_flight.pop(ref, (None, None))
        if future is None:
            return
        try:
            future.set_result(self.ray.get(ref))
        except Exception as exc:
            future.set_exception(_as_local_error(self.ray, exc))

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            refs = list(self._in_flight)
            self._in_flight.clear()
            self._waiting.clear()
        for ref in refs:
            with contextlib.suppress(Exception):
                self.ray.cancel(ref, force=True)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


def _as_local_error(ray: Any, exc: Exception) -> BaseException:
    """Ray's errors as the pipeline knows them from pebble: a dead worker process is
    ``ProcessExpired``, Ray's memory monitor's kill a ``MemoryError``; an exception raised by
    the task itself, that exception (never its message: it may quote content)."""
    from pebble import ProcessExpired

    errors = ray.exceptions
    if isinstance(exc, getattr(errors, "OutOfMemoryError", ())):
        return MemoryError()
    if isinstance(exc, errors.TaskCancelledError):
        return FutureTimeout()
    if isinstance(exc, (errors.WorkerCrashedError, errors.LocalRayletDiedError,
                        getattr(errors, "NodeDiedError", errors.WorkerCrashedError))):
        return ProcessExpired("Ray worker process died", code=-1)
    if isinstance(exc, errors.RayTaskError):
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            return cause
    return exc
