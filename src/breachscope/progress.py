"""Scan progress: a Rich bar on a terminal (files, bytes, rate, ETA), nothing otherwise.

Only counts, sizes and file types are shown, never a file's content; file names are shown
because they are the evidence trail, and they come from the attacker's dump, not from us.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from breachscope.ingest.walk import Entry
from breachscope.worker import ContentResult


class ScanProgress:
    """Callable passed to :func:`breachscope.pipeline.scan` as ``on_progress``."""

    def __init__(self, total_bytes: int, *, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total_bytes = total_bytes
        self.files_done = 0
        self.failed = 0
        self.partial = 0
        self.ocr_total = 0
        self.ocr_done = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ScanProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]scanning"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TextColumn("{task.fields[files]} files, {task.fields[failed]} unreadable, "
                           "{task.fields[partial]} partial{task.fields[ocr]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                "scan", total=self.total_bytes or None, files=0, failed=0, partial=0, ocr=""
            )
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(
        self, entry: Entry | None, result: ContentResult | None, top_bytes_done: int
    ) -> None:
        if entry is not None:
            self.files_done += 1
            self.failed += bool(result and result.status == "failed")
            self.partial += bool(result and result.status == "partial")
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task, completed=top_bytes_done, files=self.files_done, failed=self.failed,
                partial=self.partial)

    def on_event(self, event: str, count: int) -> None:
        """Worker events: OCR pages found and read, shown as pages left."""
        if event == "ocr_pages_total":
            self.ocr_total += count
        elif event == "ocr_pages_done":
            self.ocr_done += count
        if self._progress is not None and self._task is not None and self.ocr_total:
            left = max(0, self.ocr_total - self.ocr_done)
            self._progress.update(self._task, ocr=f", OCR: {left} pages left")
