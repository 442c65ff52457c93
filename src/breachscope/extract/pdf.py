"""PDF → the text layer page by page, and OCR for scanned pages, with ``pypdfium2`` (PDFium).

- Each page's text layer → :class:`TextUnit` pieces named ``page N`` (1-based), lines
  numbered from 1 within the page as PDFium lays them out (findings read
  ``page 2, line 3``).
- A page with (almost) no text layer — fewer than :data:`MIN_TEXT_CHARS` non-blank
  characters — and at least one image is a scanned page: it is rendered by PDFium at
  :data:`RENDER_DPI` (at most :data:`~breachscope.extract.ocr.MAX_OCR_PIXELS` pixels, the
  scale lowered beyond) and read by OCR (:mod:`breachscope.extract.ocr`); its units carry the
  OCR confidence. A page with no text and no image is blank and skipped.
- Safety: only PDFium's parser, text extraction and renderer run. No form environment is
  created (``init_forms`` is never called), so no JavaScript, form field or action is ever
  run, and forms are not drawn; nothing is fetched. The document is opened from its path
  (PDFium reads it as needed, it is not loaded whole).
- An encrypted PDF is opened with no password (many are, with an empty user password); one
  that needs a password fails with ``password-protected PDF``. A file PDFium cannot open
  (truncated — PDFium refused every cut we tried, from the header to the last bytes of the
  trailer — or random bytes) fails with ``damaged pdf: ...``; a page that cannot be loaded is
  skipped, and the file then fails once the other pages are read
  (``damaged pdf: N of M pages unreadable``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from breachscope.events import emit
from breachscope.extract.ocr import MAX_OCR_PIXELS, ocr_page
from breachscope.extract.text import split_text
from breachscope.extract.units import EncryptedContent, ExtractionError, TextUnit

#: A page with fewer non-blank characters than this in its text layer (and an image) is
#: taken for a scan and read by OCR.
MIN_TEXT_CHARS = 20
#: Rendering resolution for OCR (Tesseract reads best around 300 dpi).
RENDER_DPI = 300


def _open(path: Path) -> Any:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedContent("password-protected PDF") from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise EncryptedContent("encrypted PDF: unsupported security handler") from None
        if code == pdfium_c.FPDF_ERR_SUCCESS:  # parsed, but no page could be counted
            raise ExtractionError("damaged pdf: no pages") from None
        if code == pdfium_c.FPDF_ERR_FORMAT:
            raise ExtractionError("damaged pdf: cannot be parsed (truncated or corrupt)") \
                from None
        raise ExtractionError("damaged pdf: cannot be opened") from None


def _page_text(page: Any) -> str:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
    finally:
        textpage.close()
    # PDFium ends lines with CRLF and marks a hyphen at a line end with U+0002.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "-")


def _has_image(page: Any) -> bool:
    import pypdfium2.raw as pdfium_c

    for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        return True
    return False


def _is_scanned(page: Any, text: str) -> bool:
    return sum(not c.isspace() for c in text) < MIN_TEXT_CHARS and _has_image(page)


def _render(page: Any) -> Any:
    """The page as a greyscale PIL image at RENDER_DPI, or less for a huge page."""
    width, height = page.get_size()  # points (1/72 inch)
    if width <= 0 or height <= 0:
        raise ValueError("empty page")
    scale = RENDER_DPI / 72
    if width * height * scale * scale > MAX_OCR_PIXELS:
        scale = (MAX_OCR_PIXELS / (width * height)) ** 0.5 * 0.999  # PDFium rounds up
    bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=False)
    try:
        return bitmap.to_pil().copy()
    finally:
        bitmap.close()


def partition_pdf(path: Path) -> Iterator[TextUnit]:
    """Text of every page, OCR for scanned pages (see the module docstring)."""
    import pypdfium2 as pdfium

    document = _open(Path(path))
    unreadable = 0
    emit("ocr_pages_total", count_scanned_pages(Path(path)))  # for the progress bar
    try:
        n_pages = len(document)
        for index in range(n_pages):
            name = f"page {index + 1}"
            try:
                page = document[index]
            except pdfium.PdfiumError:
                unreadable += 1
                continue
            try:
                try:
                    text = _page_text(page)
                    scanned = _is_scanned(page, text)
                    image = _render(page) if scanned else None
                except (pdfium.PdfiumError, ValueError):
                    unreadable += 1
                    continue
            finally:
                page.close()
            if image is None:
                yield from split_text(text, name=name)
            else:
                yield from ocr_page(image, name)
                del image
    finally:
        document.close()
    if unreadable:
        raise ExtractionError(f"damaged pdf: {unreadable} of {n_pages} pages unreadable")


def count_scanned_pages(path: Path) -> int:
    """Pages of the PDF that have no text layer but an image (those OCR would read);
    0 when the file cannot be opened."""
    try:
        document = _open(Path(path))
    except ExtractionError:
        return 0
    count = 0
    try:
        for index in range(len(document)):
            try:
                page = document[index]
            except Exception:
                continue
            try:
                count += _is_scanned(page, _page_text(page))
            except Exception:
                continue
            finally:
                page.close()
    finally:
        document.close()
    return count
