"""PDF → the text layer page by page, OCR for scanned pages, attached files and filled form
fields, with ``pypdfium2`` (PDFium).

- Each page's text layer → :class:`TextUnit` pieces named ``page N`` (1-based), lines
  numbered from 1 within the page as PDFium lays them out (findings read
  ``page 2, line 3``).
- A page is read by OCR (:mod:`breachscope.extract.ocr`) when its text layer does not cover
  its image (:func:`_needs_ocr`): fewer than :data:`MIN_TEXT_CHARS` non-blank characters and
  an image (a plain scan), or images covering at least :data:`SCAN_IMAGE_SHARE` of the page
  with fewer than :data:`STAMP_TEXT_CHARS` characters or text boxes covering less than
  :data:`STAMP_TEXT_SHARE` of it (a scan with a one-line stamp, "Document numérisé le…", or a
  header typed over a scanned body). The page is rendered by PDFium at :data:`RENDER_DPI`
  (at most :data:`~breachscope.extract.ocr.MAX_OCR_PIXELS` pixels, the scale lowered beyond);
  the OCR units carry the OCR confidence. When the page has a text layer too, it is kept and
  the OCR lines are numbered after its lines. A page with no text and no image is blank.
  In a scan's worker (:func:`~breachscope.extract.ocr_pages.deferring_ocr`), a page to OCR
  is not read in the document's task: :func:`partition_pdf` yields an
  :class:`~breachscope.extract.ocr_pages.OcrPageRef` instead, and the pipeline reads the page
  in a task of its own (:func:`ocr_pdf_page`, same units, same names and line numbers), so
  that the scanned pages of one PDF use every worker (issue 15).
- Pictures on pages not OCR'd whole (at least :data:`MIN_PICTURE_PIXELS` pixels, under
  :data:`PICTURE_MAX_SHARE` of the page) → members ``page 3 image 1.png``, OCR'd as images.
- Attached files — the document's embedded files (the ``EmbeddedFiles`` name tree, which is
  also where a portfolio keeps its files) and file attachment annotations — are yielded as
  :class:`EmbeddedFile` members (``report.pdf!/bilan.xlsx``), each up to
  :data:`MAX_ATTACHMENT_BYTES` (bigger: a member recorded ``skipped`` with the reason), at most
  :data:`MAX_ATTACHMENTS`.
- The notes of each page's annotations (sticky notes, text boxes typed with a viewer's "Fill
  & Sign", comments on highlights, stamps: their ``Contents``, which the page's text layer
  does not hold) → a :class:`TextUnit` named ``page N annotations``, one line per note.
- Filled AcroForm fields (a CERFA typed in Acrobat keeps its values in the fields, not in the
  page's text) → one :class:`TextUnit` named ``form fields``, one ``name: value`` line per
  filled field (the last part of the field's name; checked boxes give their export value).
  XFA-only forms are not read.
- Safety: only PDFium's parser, text extraction, renderer and (for form fields) its form
  module run. The form environment is created on a second handle of the document only when
  it has a form; this PDFium build has no JavaScript engine (V8) and no XFA (its build flags
  are checked: with either, fields are not read), so no script or action can run; forms are
  never drawn; nothing is fetched. The document is opened from its path (PDFium reads it as
  needed, it is not loaded whole). PDFium decodes an attachment whole to learn its size: a
  compression bomb in one is bounded by the worker's memory limit, not here.
- An encrypted PDF is opened with no password (many are, with an empty user password), else
  with the scan's known passwords (``scan --passwords``, :mod:`breachscope.extract.passwords`);
  one that needs another password is recorded ``encrypted``: ``password-protected PDF``. A
  file PDFium cannot open (truncated — PDFium refused every cut we tried, from the header to
  the last bytes of the trailer — or random bytes) fails with ``damaged pdf: ...``; a page
  that cannot be loaded is skipped, and the file then fails once the other pages are read
  (``damaged pdf: N of M pages unreadable``).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from breachscope.events import emit
from breachscope.extract._office import UniqueNames, byte_chunks, refused_chunks
from breachscope.extract.ocr import MAX_OCR_PIXELS, ocr_page
from breachscope.extract.ocr_pages import (
    MAX_OCR_PAGES,
    OcrPageRef,
    ocr_deferred,
)
from breachscope.extract.partial import PartialContent
from breachscope.extract.text import split_text
from breachscope.extract.units import (
    EmbeddedFile,
    EncryptedContent,
    ExtractionError,
    TextUnit,
)

#: A page with fewer non-blank characters than this in its text layer (and an image) is
#: taken for a scan and read by OCR.
MIN_TEXT_CHARS = 20
#: A page whose images cover at least this share of its area is a scan (a full page, or half
#: a page: a receipt, a card scanned on A4)... On the 1 228 pages of the public test PDFs,
#: 0.3 OCRs the same 41 pages as 0.5; 0.2 would OCR 125 (pages of reports with figures).
SCAN_IMAGE_SHARE = 0.3
#: ...read by OCR when its text layer holds fewer characters than this (a stamp, a header)...
STAMP_TEXT_CHARS = 200
#: ...or when its text boxes cover less than this share of the page.
STAMP_TEXT_SHARE = 0.05
#: An attached file bigger than this is not read; at most this many are read.
MAX_ATTACHMENT_BYTES = 64 * 1024**2
MAX_ATTACHMENTS = 500
#: Pictures of a page not OCR'd whole, yielded as members (OCR'd by the image extractor):
#: at least this many pixels (a photo of an ID card, a pasted screenshot; logos and rules
#: are smaller), covering less than :data:`PICTURE_MAX_SHARE` of the page (a larger one is
#: the page itself: an OCR'd scan whose text layer already reads it), at most
#: :data:`MAX_PICTURES` per document (then ``partial``: see the worker's embedded limits).
MIN_PICTURE_PIXELS = 120_000
PICTURE_MAX_SHARE = 0.5
MAX_PICTURES = 50
#: Form fields read at most, and characters kept of one value.
MAX_FORM_FIELDS = 10_000
MAX_FIELD_CHARS = 64 * 1024
#: Rendering resolution for OCR (Tesseract reads best around 300 dpi).
RENDER_DPI = 300


def _source(path: Path) -> Any:
    """What pypdfium2 opens: the path, or for an in-memory file (``/proc/self/fd/N``, a sealed
    member of an encrypted case) a file object: pypdfium2 resolves a path it is given, and
    that of an in-memory file does not exist."""
    if str(path).startswith("/proc/self/fd/"):
        return open(path, "rb")  # closed with the document (autoclose)
    return path


def _open(path: Path) -> Any:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        return pdfium.PdfDocument(_source(path), autoclose=True)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            opened = _open_with_known_passwords(path)
            if opened is not None:
                return opened
            raise EncryptedContent("password-protected PDF") from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise EncryptedContent("encrypted PDF: unsupported security handler") from None
        if code == pdfium_c.FPDF_ERR_SUCCESS:  # parsed, but no page could be counted
            raise ExtractionError("damaged pdf: no pages") from None
        if code == pdfium_c.FPDF_ERR_FORMAT:
            raise ExtractionError("damaged pdf: cannot be parsed (truncated or corrupt)") \
                from None
        raise ExtractionError("damaged pdf: cannot be opened") from None


def _open_with_known_passwords(path: Path) -> Any:
    """The document opened with the first of the scan's known passwords (``scan
    --passwords``) that works, else ``None``."""
    import pypdfium2 as pdfium

    from breachscope.extract.passwords import known_password_texts

    for password in known_password_texts():
        try:
            return pdfium.PdfDocument(_source(path), password=password, autoclose=True)
        except pdfium.PdfiumError:
            continue
    return None


def _clean(text: str) -> str:
    # PDFium ends lines with CRLF and marks a hyphen at a line end with U+0002.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "-")


def _image_share(page: Any, enough: float) -> float | None:
    """The share of the page's area its image objects cover (their boxes clipped to the
    page, overlaps counted twice, capped at 1), counted until it reaches ``enough``;
    ``None`` when it has no image."""
    import pypdfium2.raw as pdfium_c

    left, bottom, right, top = page.get_bbox()
    area = max(right - left, 0.0) * max(top - bottom, 0.0)
    if area <= 0:
        area = 1.0
    covered, found = 0.0, False
    for index, image in enumerate(
            page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4)):
        found = True
        if index >= 1000:  # a page tiled with thousands of images is a scan all the same
            return 1.0
        try:
            x0, y0, x1, y1 = image.get_bounds()
        except Exception:
            continue
        width = min(x1, right) - max(x0, left)
        height = min(y1, top) - max(y0, bottom)
        if width > 0 and height > 0:
            covered += width * height
        if covered / area >= enough:
            break
    if not found:
        return None
    return min(covered / area, 1.0)


def _text_share(page: Any, textpage: Any) -> float:
    """The share of the page's area the text layer's boxes (PDFium's text rectangles,
    about one per line) cover."""
    left, bottom, right, top = page.get_bbox()
    area = max(right - left, 0.0) * max(top - bottom, 0.0)
    covered = 0.0
    for index in range(min(textpage.count_rects(), 10_000)):
        x0, y0, x1, y1 = textpage.get_rect(index)
        covered += max(x1 - x0, 0.0) * max(y1 - y0, 0.0)
    return min(covered / area, 1.0) if area > 0 else 0.0


def _needs_ocr(page: Any, text: str, textpage: Any) -> bool:
    """Whether the page's text layer leaves its image unread (see the module docstring).
    The cheap tests first: a page of text whose boxes cover it is not measured further."""
    chars = sum(not c.isspace() for c in text)
    if chars >= STAMP_TEXT_CHARS and _text_share(page, textpage) >= STAMP_TEXT_SHARE:
        return False
    if chars < MIN_TEXT_CHARS:
        return _image_share(page, 0.0) is not None
    share = _image_share(page, SCAN_IMAGE_SHARE)
    return share is not None and share >= SCAN_IMAGE_SHARE


def _read_page(page: Any) -> tuple[str, bool]:
    """The page's text layer and whether it needs OCR."""
    textpage = page.get_textpage()
    try:
        text = _clean(textpage.get_text_range())
        return text, _needs_ocr(page, text, textpage)
    finally:
        textpage.close()


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


def partition_pdf(path: Path) -> Iterator[TextUnit | EmbeddedFile | OcrPageRef]:
    """Text of every page, OCR where the text layer does not cover the page's image,
    attached files, form fields (see the module docstring)."""
    import pypdfium2 as pdfium

    path = Path(path)
    defer = ocr_deferred()
    document = _open(path)
    unreadable = 0
    found = _Attachments()
    pictures = _Pictures()
    deferred = 0
    if not defer:
        emit("ocr_pages_total", count_scanned_pages(path))  # for the progress bar
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
                    text, scanned = _read_page(page)
                    image = _render(page) if scanned and not defer else None
                except (pdfium.PdfiumError, ValueError):
                    unreadable += 1
                    continue
                notes: list[str] = []
                yield from _annotations(document, page, index, found, notes)
                if not scanned:
                    yield from pictures.take(page, index)
            finally:
                page.close()
            lines = 0
            if not scanned or sum(not c.isspace() for c in text) >= MIN_TEXT_CHARS:
                for unit in split_text(text, name=name):
                    lines = unit.first_line + unit.text.count("\n")
                    yield unit
            if scanned and defer:
                deferred += 1
                if deferred <= MAX_OCR_PAGES:
                    emit("ocr_pages_total", 1)
                    yield OcrPageRef(index, lines)
            elif image is not None:
                for unit in ocr_page(image, name):
                    unit.first_line += lines
                    yield unit
                del image
            if notes:
                yield from split_text("\n".join(notes), name=f"{name} annotations")
        yield from _document_attachments(document, found)
        if pictures.over:
            yield EmbeddedFile("more pictures", refused_chunks(
                f"pdf: more than {MAX_PICTURES} pictures; the rest not read"))
        if found.over:
            yield EmbeddedFile("more attachments", refused_chunks(
                f"pdf: more than {MAX_ATTACHMENTS} attached files; the rest not read"))
    finally:
        document.close()
    yield from _form_fields(path)
    if unreadable:
        raise ExtractionError(f"damaged pdf: {unreadable} of {n_pages} pages unreadable")
    if deferred > MAX_OCR_PAGES:
        raise PartialContent(f"pdf: {deferred} pages to OCR, the first {MAX_OCR_PAGES} read")


def ocr_pdf_page(path: Path, index: int, first_line: int = 0) -> Iterator[TextUnit]:
    """The OCR units of one page (:class:`OcrPageRef`), as :func:`partition_pdf` reads them
    when it does not defer: named ``page N``, lines numbered after ``first_line`` (the
    page's text-layer lines). The document is opened again (with the scan's passwords),
    only this page loaded and rendered."""
    import pypdfium2 as pdfium

    name = f"page {index + 1}"
    document = _open(Path(path))
    try:
        try:
            page = document[index]
        except (pdfium.PdfiumError, IndexError):
            raise ExtractionError(f"damaged pdf: {name} unreadable") from None
        try:
            image = _render(page)
        except (pdfium.PdfiumError, ValueError):
            raise ExtractionError(f"damaged pdf: {name} cannot be rendered") from None
        finally:
            page.close()
    finally:
        document.close()
    for unit in ocr_page(image, name):
        unit.first_line += first_line
        yield unit


# -- pictures on text pages ----------------------------------------------------------------

class _Pictures:
    """Pictures of text pages as members ``page 3 image 1.png`` (issue 12: "images inside
    PDF OCR'd as members of their document"): an ID card photographed into a letter, a
    screenshot of a prescription. A page OCR'd whole is not looked at (its picture was read)."""

    def __init__(self) -> None:
        self.count = 0
        self.over = False

    def take(self, page: Any, index: int) -> Iterator[EmbeddedFile]:
        import pypdfium2.raw as pdfium_c

        left, bottom, right, top = page.get_bbox()
        area = max(right - left, 0.0) * max(top - bottom, 0.0) or 1.0
        number = 0
        for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
            try:
                width, height = image.get_px_size()
                x0, y0, x1, y1 = image.get_bounds()
            except Exception:  # a damaged image object: the page's text is still read
                continue
            if width * height < MIN_PICTURE_PIXELS or min(width, height) < 100:
                continue
            if (x1 - x0) * (y1 - y0) / area >= PICTURE_MAX_SHARE:
                continue
            if self.count >= MAX_PICTURES:
                self.over = True
                return
            png = _picture_png(image)
            if png is None:
                continue
            self.count += 1
            number += 1
            yield EmbeddedFile(f"page {index + 1} image {number}.png", byte_chunks(png))


def _picture_png(image: Any) -> bytes | None:
    """The picture as PNG bytes (rendered with its masks and filters by PDFium), bounded to
    the OCR's pixel budget; None when PDFium cannot decode it."""
    import io

    try:
        bitmap = image.get_bitmap(render=True)
    except Exception:
        return None
    try:
        picture = bitmap.to_pil()
        if picture.width * picture.height > MAX_OCR_PIXELS:
            return None  # larger than any page OCR reads: a decoding bomb, or a poster
        buffer = io.BytesIO()
        picture.save(buffer, "PNG", compress_level=1)
        return buffer.getvalue()
    finally:
        bitmap.close()


# -- attached files -------------------------------------------------------------------------

def _attachment_data(attachment: Any) -> tuple[bytes | None, str | None, bool]:
    """An attached file's bytes (bounded), or ``None`` with the reason and whether it is a
    limit (recorded ``skipped``) rather than damage (``failed``)."""
    import pypdfium2.raw as pdfium_c

    size = ctypes.c_ulong()
    if not pdfium_c.FPDFAttachment_GetFile(attachment.raw, None, 0, ctypes.byref(size)) \
            or not size.value:
        return None, "pdf attachment without data", False
    if size.value > MAX_ATTACHMENT_BYTES:
        return None, (f"pdf attachment too large: {size.value // 1024**2} MiB "
                      f"(limit {MAX_ATTACHMENT_BYTES // 1024**2} MiB)"), True
    buffer = ctypes.create_string_buffer(size.value)
    written = ctypes.c_ulong()
    if not pdfium_c.FPDFAttachment_GetFile(attachment.raw, buffer, size.value,
                                           ctypes.byref(written)):
        return None, "pdf attachment cannot be decoded", False
    return buffer.raw[: min(written.value, size.value)], None, False


class _Attachments:
    """The attached files met so far: unique member names, and the same file (same name and
    bytes) reached twice — a file attachment annotation whose file is also in the document's
    name tree, as several writers do — read once."""

    def __init__(self) -> None:
        self.names = UniqueNames()
        self.seen: set[tuple[str, str]] = set()
        self.count = 0
        self.over = False  # more than MAX_ATTACHMENTS: the rest not read

    def take(self, attachment: Any, fallback: str) -> EmbeddedFile | None:
        """One attached file as a member (its data read now), ``None`` when already met or
        past :data:`MAX_ATTACHMENTS`."""
        import hashlib

        if self.count >= MAX_ATTACHMENTS:
            self.over = True
            return None

        try:
            raw_name = attachment.get_name() or ""
        except Exception:
            raw_name = ""
        data, reason, limit = _attachment_data(attachment)
        if data is not None:
            key = (raw_name, hashlib.sha256(data).hexdigest())
            if key in self.seen:
                return None
            self.seen.add(key)
        name = self.names.take(raw_name or fallback, fallback)
        self.count += 1
        if data is not None:
            return EmbeddedFile(name, byte_chunks(data))
        return EmbeddedFile(name, (refused_chunks if limit else _failed)(reason or ""))


def _failed(reason: str) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        from breachscope.ingest.archives import ArchiveError

        raise ArchiveError(reason)
        yield b""  # pragma: no cover - makes this a generator

    return chunks


def _document_attachments(document: Any, found: _Attachments) -> Iterator[EmbeddedFile]:
    """The files of the ``EmbeddedFiles`` name tree (attachments, a portfolio's files)."""
    try:
        count = document.count_attachments()
    except Exception:
        return
    for index in range(min(count, MAX_ATTACHMENTS + 1)):
        try:
            attachment = document.get_attachment(index)
        except Exception:
            continue
        member = found.take(attachment, f"attachment-{index + 1}")
        if member is not None:
            yield member


#: Annotations whose ``Contents`` is not a note someone wrote: form widgets (read as form
#: fields), links, and popups (they repeat their parent's note).
_NOT_NOTES = ("FPDF_ANNOT_WIDGET", "FPDF_ANNOT_XFAWIDGET", "FPDF_ANNOT_LINK", "FPDF_ANNOT_POPUP")


def _annotations(document: Any, page: Any, page_index: int, found: _Attachments,
                 notes: list[str]) -> Iterator[EmbeddedFile]:
    """The files of the page's file attachment annotations (a paper clip on the page); the
    text of its notes (sticky notes, text boxes typed with "Fill & Sign", comments on a
    highlight, stamps: their ``Contents``, which the page's text layer does not hold) is
    appended to ``notes``, one line per note."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    not_notes = {getattr(pdfium_c, n, -1) for n in _NOT_NOTES}
    count = pdfium_c.FPDFPage_GetAnnotCount(page.raw)
    for index in range(min(count, 10_000)):
        annot = pdfium_c.FPDFPage_GetAnnot(page.raw, index)
        if not annot:
            continue
        try:
            subtype = pdfium_c.FPDFAnnot_GetSubtype(annot)
            if subtype not in not_notes and len(notes) < MAX_FORM_FIELDS:
                text = _utf16(pdfium_c.FPDFAnnot_GetStringValue, annot, b"Contents")
                text = " / ".join(line.strip() for line in text.splitlines() if line.strip())
                if text:
                    notes.append(text)
            if subtype != pdfium_c.FPDF_ANNOT_FILEATTACHMENT:
                continue
            raw = pdfium_c.FPDFAnnot_GetFileAttachment(annot)
            member = found.take(pdfium.PdfAttachment(raw, document),
                                f"attachment-p{page_index + 1}-{index + 1}") if raw else None
            if member is not None:
                yield member
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)


# -- form fields ----------------------------------------------------------------------------

def _forms_allowed() -> bool:
    """Form fields are read only with a PDFium that cannot run scripts (no V8, no XFA)."""
    import pypdfium2 as pdfium

    flags = set(getattr(pdfium.PDFIUM_INFO, "flags", ()) or ())
    return not flags & {"V8", "XFA"}


def _utf16(function: Any, *args: Any) -> str:
    """A UTF-16LE string from a PDFium getter called twice (size, then the text)."""
    size = function(*args, None, 0)
    if not size or size <= 2:
        return ""
    size = min(int(size), 2 * MAX_FIELD_CHARS + 2)
    buffer = ctypes.create_string_buffer(size)
    function(*args, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)), size)
    return buffer.raw[: size - 2].decode("utf-16-le", "replace").rstrip("\x00")


def _field_label(name: str) -> str:
    """The last part of a field's full name, without XFA indexes:
    ``topmostSubform[0].Page1[0].NomNaissance[0]`` → ``NomNaissance``."""
    last = name.rsplit(".", 1)[-1]
    if last.endswith("]") and "[" in last:
        last = last[: last.rindex("[")]
    return last.strip() or name.strip()


def _form_fields(path: Path) -> Iterator[TextUnit]:
    """The filled fields of the document's AcroForm as one ``form fields`` unit."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    if not _forms_allowed():
        return
    try:
        document = _open(path)
    except ExtractionError:
        return
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    try:
        if document.get_formtype() != pdfium_c.FORMTYPE_ACRO_FORM:
            return
        document.init_forms()
        handle = document.formenv.raw if document.formenv else None
        if handle is None:
            return
        for index in range(len(document)):
            if len(lines) >= MAX_FORM_FIELDS:
                break
            try:
                page = document.get_page(index)
            except pdfium.PdfiumError:
                continue
            try:
                lines.extend(_page_fields(handle, page, seen))
            finally:
                page.close()
    except pdfium.PdfiumError:
        pass
    finally:
        document.close()
    if lines:
        yield from split_text("\n".join(lines[:MAX_FORM_FIELDS]), name="form fields")


_CHECKABLE = ("FPDF_FORMFIELD_CHECKBOX", "FPDF_FORMFIELD_RADIOBUTTON")
_SKIPPED_FIELDS = ("FPDF_FORMFIELD_PUSHBUTTON", "FPDF_FORMFIELD_SIGNATURE")


def _page_fields(handle: Any, page: Any, seen: set[tuple[str, str]]) -> Iterator[str]:
    """``name: value`` for each filled widget of the page (a field with several widgets
    once)."""
    import pypdfium2.raw as pdfium_c

    checkable = {getattr(pdfium_c, n, -1) for n in _CHECKABLE}
    skipped = {getattr(pdfium_c, n, -1) for n in _SKIPPED_FIELDS}
    count = pdfium_c.FPDFPage_GetAnnotCount(page.raw)
    for index in range(min(count, 10_000)):
        annot = pdfium_c.FPDFPage_GetAnnot(page.raw, index)
        if not annot:
            continue
        try:
            if pdfium_c.FPDFAnnot_GetSubtype(annot) != pdfium_c.FPDF_ANNOT_WIDGET:
                continue
            kind = pdfium_c.FPDFAnnot_GetFormFieldType(handle, annot)
            if kind in skipped:
                continue
            name = _utf16(pdfium_c.FPDFAnnot_GetFormFieldName, handle, annot)
            if kind in checkable:
                if not pdfium_c.FPDFAnnot_IsChecked(handle, annot):
                    continue
                value = _utf16(pdfium_c.FPDFAnnot_GetFormFieldExportValue, handle, annot)
            else:
                value = _utf16(pdfium_c.FPDFAnnot_GetFormFieldValue, handle, annot)
            value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
            if not value or (name, value) in seen:
                continue
            seen.add((name, value))
            yield f"{_field_label(name)}: {value}"
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)


def count_scanned_pages(path: Path) -> int:
    """Pages of the PDF that OCR would read (:func:`_needs_ocr`); 0 when the file cannot be
    opened."""
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
                count += _read_page(page)[1]
            except Exception:
                continue
            finally:
                page.close()
    finally:
        document.close()
    return count
