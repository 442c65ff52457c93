"""Progress events from inside a task (a worker process) to the main process's progress bar.

An extractor that knows it has slow work ahead (OCR pages) calls :func:`emit`, e.g.
``emit("ocr_pages_total", 12)`` then ``emit("ocr_pages_done", 1)`` per page. In a worker the
events go through a queue the pool handed to the process at its creation; anywhere else
(tests, a plain function call) they are dropped. Events carry counts only, never content."""

from __future__ import annotations

import contextlib
from typing import Any

_queue: Any = None


def attach(queue: Any) -> None:
    """Called once in each worker process by the pool initializer."""
    global _queue
    _queue = queue


def emit(event: str, count: int = 1) -> None:
    if _queue is not None:
        with contextlib.suppress(Exception):  # progress must never break a scan
            _queue.put_nowait((event, int(count)))
