"""Pages read by OCR in tasks of their own (issue 15: "OCR: one page per task so pages of one
PDF use all workers").

In a scan's worker the document's task runs under :func:`deferring_ocr`: an extractor that
meets a page to OCR — a scanned PDF page (:mod:`breachscope.extract.pdf`), a frame of a
multi-page TIFF or HEIF collection (:mod:`breachscope.extract.image`) — yields an
:class:`OcrPageRef` instead of reading it, and the pipeline OCRs each referenced page in a task
of its own (``worker.task.process_ocr_page``), on any worker, with the same unit names and line
numbers the document's task would have given. Outside a scan's worker (tests, ``lookup``, the
benchmarks calling an extractor directly) nothing is deferred.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from breachscope.extract.ocr import ocr_unavailable_reason

#: Pages of one document left to tasks of their own at most: the document's own task no
#: longer bounds their OCR time, so a document of 100 000 tiny scanned pages is cut here,
#: ``partial``.
MAX_OCR_PAGES = 2000


@dataclass(slots=True)
class OcrPageRef:
    """A page to read by OCR in a task of its own: its 0-based ``index`` (a PDF's page, an
    image's frame) and the number of text-layer lines its OCR lines are numbered after."""

    index: int
    first_line: int = 0


_defer_ocr = [False]


@contextlib.contextmanager
def deferring_ocr() -> Iterator[None]:
    """While active, the PDF and multi-page image extractors yield an :class:`OcrPageRef`
    for each page to OCR instead of reading it (the pipeline's worker; other callers get the
    OCR units)."""
    before = _defer_ocr[0]
    _defer_ocr[0] = True
    try:
        yield
    finally:
        _defer_ocr[0] = before


def ocr_deferred() -> bool:
    """Whether pages to OCR are left to tasks of their own now: only where OCR can run —
    otherwise the first page fails the document in its own task, with the reason, as it
    always did."""
    return _defer_ocr[0] and ocr_unavailable_reason() is None
