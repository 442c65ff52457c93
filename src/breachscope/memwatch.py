"""Bounding the workers' *resident* memory, the real risk, rather than their address space.

Why not only ``RLIMIT_AS``: address space grows far beyond what a worker uses. glibc reserves
64 MiB per malloc arena, every thread gets an 8 MiB stack reservation, native libraries reserve
ranges up front, and a busy worker's heap fragments. Under a 2 GB address-space cap, ordinary
32 KB files failed "memory limit exceeded" in a worker that had processed other files while its
resident memory stayed under 1 GB (issue 12; figures in docs/limits.md). So the memory limit is
now on resident memory (RSS), and ``RLIMIT_AS`` is only a much higher backstop.

The guard is a thread of the *main* process (``MemoryGuard``), not of the worker: a thread in
the worker needs the GIL to run, and a native parser filling memory holds it for as long as it
runs. The guard reads each worker's RSS every ``POLL`` seconds; over the limit, it sends the
worker ``SIGUSR1``, whose handler (installed by ``install_handler``, run by Python in the
worker's main thread at the next bytecode) raises ``TaskMemoryLimit``: the task stops and what
it read so far is kept (``partial``). A worker stuck in native code never reaches a bytecode:
if its RSS passes 1.5 times the limit, or stays over it ``GRACE`` seconds after the signal, the
guard kills it, and the main process reports that content as a memory-limit failure.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

POLL = 0.05  # seconds between two reads of the workers' resident sizes
LIST_EVERY = 20  # reads between two listings of the worker processes
GRACE = 10.0  # seconds a worker may stay over the limit after the signal before the kill
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class TaskMemoryLimit(BaseException):
    """The worker's resident memory went over its limit (a BaseException, so that a parser's
    broad ``except Exception`` cannot swallow it)."""


# -- in the worker --------------------------------------------------------------------------

_armed = False  # a task is running: the guard's signal stops it


def install_handler() -> None:
    """Worker side: ``SIGUSR1`` from the guard raises ``TaskMemoryLimit`` during a task."""
    signal.signal(signal.SIGUSR1, _on_signal)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # A signal arriving between two tasks (the last one freed its memory late) stops nothing.
    if _armed:
        raise_or_defer(TaskMemoryLimit)


_held = False
_pending: type[BaseException] | None = None


def raise_or_defer(stop: type[BaseException]) -> None:
    """Raise ``stop`` (a limit's exception) from a signal handler, or, inside :func:`held`,
    at its end. (Blocking the signals would not do: the kernel hands a signal blocked by the
    main thread to another thread, and Python still runs the handler in the main thread.)"""
    global _pending
    if _held:
        _pending = stop
        return
    raise stop


@contextlib.contextmanager
def held() -> Iterator[None]:
    """A section a limit must not cut (writing a result batch): a limit reached meanwhile
    raises when it ends."""
    global _held, _pending
    _held = True
    try:
        yield
    finally:
        _held = False
        stop, _pending = _pending, None
    if stop is not None:
        raise stop


def arm() -> None:
    global _armed
    _armed = True


def pause() -> None:
    global _armed
    _armed = False


def resident_bytes(pid: int | str = "self") -> int:
    """A process's resident set size (0 where /proc is not available)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def status_sizes(pid: int | str = "self") -> dict[str, int]:
    """VmSize, VmRSS, VmHWM... of a process from /proc/PID/status, in bytes."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Vm") and line.rstrip().endswith("kB"):
                name, value = line.split(":", 1)
                out[name] = int(value.split()[0]) * 1024
    return out


def trim_heap() -> None:
    """Give freed heap pages back to the system (glibc's ``malloc_trim``), best effort."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)


# -- in the main process ----------------------------------------------------------------------

class MemoryGuard:
    """Watches the resident memory of the worker processes (the main process's children
    started by multiprocessing) against ``limit_bytes``."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit = limit_bytes
        self._stop = threading.Event()
        self._signalled: dict[int, float] = {}
        self._killed: list[int] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="memory-guard", daemon=True)

    def start(self) -> MemoryGuard:
        if self.limit > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def took_down(self, pid: int | None = None) -> bool:
        """True (once per kill) when the guard killed a worker, ``pid`` if given."""
        with self._lock:
            if pid is None and self._killed:
                self._killed.pop(0)
                return True
            if pid in self._killed:
                self._killed.remove(pid)
                return True
        return False

    def _run(self) -> None:
        workers: list[int] = []
        for tick in itertools.count():
            if self._stop.wait(POLL):
                return
            # The workers listed once a second, their sizes (one small read each) every POLL.
            if tick % LIST_EVERY == 0:
                with contextlib.suppress(Exception):
                    workers = [pid for pid in _child_pids() if _is_worker(pid)]
            for pid in workers:
                with contextlib.suppress(Exception):
                    self._check(pid)

    def _check(self, pid: int) -> None:
        rss = resident_bytes(pid)
        if rss <= self.limit:
            self._signalled.pop(pid, None)
            return
        if not _is_worker(pid):  # the pid of a worker that ended, reused meanwhile
            return
        now = time.monotonic()
        first = self._signalled.get(pid)
        with contextlib.suppress(OSError):
            if first is None:
                self._signalled[pid] = now
                os.kill(pid, signal.SIGUSR1)
            elif rss > self.limit * 3 // 2 or now - first > GRACE:
                with self._lock:
                    self._killed.append(pid)
                os.kill(pid, signal.SIGKILL)  # stuck in native code: only a kill stops it
                self._signalled.pop(pid, None)


def _child_pids() -> list[int]:
    """This process's children: Linux lists them per thread in ``/proc/self/task/*/children``
    (a few small reads); psutil's ``children()`` reads every process of the machine
    (``/proc/*/stat``), which took a fifth of the main process's time on a busy machine."""
    try:
        pids: list[int] = []
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as fh:
                pids.extend(int(pid) for pid in fh.read().split())
        return pids
    except (OSError, ValueError):  # no such file (another kernel): the portable way
        import psutil

        return [child.pid for child in psutil.Process().children()]


def _is_worker(pid: int) -> bool:
    """A multiprocessing child started with "spawn" (a pool worker), not its resource
    tracker or another helper process."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read()
    except OSError:
        return False
    return b"spawn_main" in cmdline
