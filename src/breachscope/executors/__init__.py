"""Where the per-content tasks run: an executor hands the pipeline a *pool*.

A pool has pebble's ``ProcessPool`` surface that the pipeline uses: ``schedule(fn, args,
timeout)`` returning a :class:`concurrent.futures.Future` (a hard time limit overrun raises
``concurrent.futures.TimeoutError``, a dead worker ``pebble.ProcessExpired``), then ``stop()``
and ``join()``. The pipeline keeps everything else (the case store, archive members, retries in
a fresh worker), so a local scan and a Ray scan store their results through the same code.

- :class:`LocalExecutor`: pebble process pools on this machine (the default, unchanged).
- :class:`breachscope.executors.ray_executor.RayExecutor`: tasks sent to a Ray cluster, or to
  a Ray instance started on this machine for the scan (``breachscope[ray]``, docs/ray.md).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from pebble import ProcessPool

from breachscope.worker import init_worker


class Pool(Protocol):
    def schedule(self, function: Callable[..., Any], args: tuple[Any, ...] = (),
                 timeout: float | None = None) -> Future[Any]: ...

    def stop(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...


class Executor(Protocol):
    def pool(self, workers: int, initargs: tuple[Any, ...], *, fresh: bool = False) -> Pool:
        """A pool of ``workers`` processes, each set up by ``init_worker(*initargs)``;
        ``fresh``: one process per task (the retry of a content in a new worker)."""
        ...


class LocalExecutor:
    """pebble process pools ("spawn") on this machine."""

    def pool(self, workers: int, initargs: tuple[Any, ...], *, fresh: bool = False) -> Pool:
        context = multiprocessing.get_context("spawn")
        if fresh:
            return ProcessPool(max_workers=1, max_tasks=1, initializer=init_worker,
                               initargs=initargs, context=context)
        return ProcessPool(max_workers=workers, initializer=init_worker, initargs=initargs,
                           context=context)


__all__ = ["Executor", "LocalExecutor", "Pool"]
