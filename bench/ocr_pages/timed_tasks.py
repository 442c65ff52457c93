"""The scan's task functions, wrapped to log each task's start, end and CPU (its own and its
children's: tesseract) to ``$BENCH_TASK_LOG``; module-level so that spawned workers import
them. Runs with the code before page tasks too (then every PDF is one ``content`` task)."""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any

from breachscope import worker


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _logged(kind: str, function: Any, args: tuple[Any, ...]) -> Any:
    start, cpu = time.time(), _cpu()
    try:
        return function(*args)
    finally:
        with open(os.environ["BENCH_TASK_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps({"kind": kind, "pid": os.getpid(), "start": start,
                                  "end": time.time(), "cpu": _cpu() - cpu}) + "\n")


def content(*args: Any) -> Any:
    return _logged("content", getattr(worker, "process_content_by_page",
                                      worker.process_content), args)


def page(*args: Any) -> Any:
    return _logged("page", worker.process_ocr_page, args)  # type: ignore[attr-defined]
