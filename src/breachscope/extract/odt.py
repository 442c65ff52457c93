"""OpenDocument text (``.odt``) → paragraphs, tables, headers and footers, streamed.

Why not odfpy: ``odf.opendocument.load`` prints a part it fails to parse, whole, to standard
output (personal data in the logs) and then carries on with a silently truncated document; it
also loads every picture into memory and builds a Python object per XML node. ODF text is
simple enough (``text:p``/``text:h`` paragraphs, ``table:table`` rows and cells, ``text:s``,
``text:tab``, ``text:line-break``) that ``content.xml`` is read here as a stream with
``defusedxml``'s ``iterparse`` (expat; entity declarations and external entities refused,
nothing expanded or fetched), each paragraph or table row dropped from memory once read.
Macros (``Basic/``) are never loaded.

Units, in document order (the same shape as :mod:`breachscope.extract.docx`):

- each non-empty paragraph or heading of the body is a :class:`TextUnit` named ``paragraph
  N`` (N counts the non-empty paragraphs outside tables, from 1); a line break starts a new
  line in it. What is anchored in a paragraph (a frame's text box, a note) is part of its
  text, on lines after it.
- each table is a :class:`TableUnit` named ``table N``, first row as the header,
  ``row_numbers`` counting the table's rows from 1 (the header is row 1), a cell's paragraphs
  joined with line breaks; a row repeated (``number-rows-repeated``) is read once.
- text deleted with change tracking on (``text:tracked-changes``, still in the file): a
  :class:`TextUnit` named ``deleted text``, one line per deleted paragraph.
- headers and footers of the page styles (``styles.xml``): a :class:`TextUnit` named
  ``header`` / ``footer`` (``header 2``... when there are several), one line per paragraph.
- embedded objects (``Object N``: an OLE package wrapping a file, a text or spreadsheet
  object rebuilt as a document of its own) and pictures (``Pictures/*``): members for the
  worker to scan (:func:`~breachscope.extract._office.embedded_parts`):
  ``letter.odt!/Object 1.ods``, ``letter.odt!/10000000000003E8.png`` (OCR'd).
"""

from __future__ import annotations

import contextlib
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from breachscope.extract._office import ODF_EMBEDDED, check_zip, embedded_parts, odf_encrypted
from breachscope.extract._table import CHUNK_ROWS, MAX_COLUMNS, column_names
from breachscope.extract.units import (
    EmbeddedFile,
    ExtractionError,
    TableUnit,
    TextUnit,
)

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"

_P, _H = f"{{{TEXT}}}p", f"{{{TEXT}}}h"
_S, _TAB, _BREAK = f"{{{TEXT}}}s", f"{{{TEXT}}}tab", f"{{{TEXT}}}line-break"
_C = f"{{{TEXT}}}c"
_NOTE_CITATION = f"{{{TEXT}}}note-citation"
_TABLE, _ROW = f"{{{TABLE}}}table", f"{{{TABLE}}}table-row"
_CELL, _COVERED = f"{{{TABLE}}}table-cell", f"{{{TABLE}}}covered-table-cell"
_ROWS_REPEATED = f"{{{TABLE}}}number-rows-repeated"
_COLS_REPEATED = f"{{{TABLE}}}number-columns-repeated"
_BODY = f"{{{OFFICE}}}body"
_TRACKED = f"{{{TEXT}}}tracked-changes"
#: Elements whose paragraphs and tables are not numbered on their own.
_HOLDERS = frozenset({_P, _H, _TRACKED})
_HEADERS = {f"{{{STYLE}}}{tag}": kind for tag, kind in (
    ("header", "header"), ("header-left", "header"), ("header-first", "header"),
    ("footer", "footer"), ("footer-left", "footer"), ("footer-first", "footer"))}
_PARAGRAPHS = (_P, _H)
#: Spaces a ``text:s`` may stand for (``text:c`` is a count chosen by the file).
_MAX_SPACES = 1000


def partition_odt(path: Path) -> Iterator[TextUnit | TableUnit | EmbeddedFile]:
    """Stream the units of the OpenDocument text at ``path`` (see the module docstring)."""
    path = Path(path)
    members = check_zip(path, "odt", ("content.xml", "styles.xml"))
    if odf_encrypted(path):  # opened with the scan's passwords, or recorded encrypted
        from breachscope.extract.odf_crypto import partition_odf_decrypted

        yield from partition_odf_decrypted(path, "odt")
        return
    names = {m.filename for m in members}
    if "content.xml" not in names:
        raise ExtractionError("corrupt odt: no content.xml")
    with zipfile.ZipFile(path) as archive:
        yield from _guard(_content_units(archive))
        if "styles.xml" in names:
            yield from _guard(_header_units(archive))
    yield from embedded_parts(path, "odt", members, ODF_EMBEDDED)


def _guard(units: Iterator[TextUnit | TableUnit]) -> Iterator[TextUnit | TableUnit]:
    try:
        yield from units
    except DefusedXmlException:
        raise ExtractionError("odt refused: XML entity declaration (possible XML bomb)"
                              ) from None
    except ParseError as exc:
        line = getattr(exc, "position", (0, 0))[0]
        raise ExtractionError(f"corrupt odt: malformed XML (line {line})") from None
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ExtractionError(f"corrupt odt: {str(exc)[:120] or 'damaged zip'}") from None
    except zlib.error:
        raise ExtractionError("corrupt odt: damaged compressed data") from None
    except NotImplementedError:
        raise ExtractionError("corrupt odt: unsupported compression or encryption") from None


def _events(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[str, Element]]:
    with archive.open(name) as member:
        yield from iterparse(member, events=("start", "end"), forbid_dtd=False,
                             forbid_entities=True, forbid_external=True)


def _content_units(archive: zipfile.ZipFile) -> Iterator[TextUnit | TableUnit]:
    stack: list[Element] = []
    in_body = False
    paragraphs = tables = 0
    table: _TableReader | None = None
    for event, element in _events(archive, "content.xml"):
        if event == "start":
            stack.append(element)
            if element.tag == _BODY:
                in_body = True
            elif (in_body and element.tag == _TABLE and table is None
                  and not any(e.tag in _HOLDERS for e in stack[:-1])):
                tables += 1
                table = _TableReader(f"table {tables}", len(stack))
            continue
        stack.pop()
        if not in_body:
            continue
        if table is not None:
            if element.tag == _ROW and len(stack) >= table.depth and _owner(stack) == table.depth:
                yield from table.add(element)
                _drop(stack, element)
            elif element.tag == _TABLE and len(stack) == table.depth - 1:
                yield from table.finish()
                table = None
                _drop(stack, element)
            continue
        if element.tag in _PARAGRAPHS and not any(e.tag in _HOLDERS for e in stack):
            text = element_text(element)
            if text.strip():
                paragraphs += 1
                yield TextUnit(text=text, name=f"paragraph {paragraphs}")
            _drop(stack, element)
        elif element.tag == _TRACKED:
            # Text deleted with change tracking on is still in the file: it leaked too.
            lines = [line for line in element_text(element).split("\n") if line.strip()]
            if lines:
                yield TextUnit(text="\n".join(lines), name="deleted text")
            _drop(stack, element)
        elif element.tag == _BODY:
            in_body = False


def _owner(stack: list[Element]) -> int:
    """The depth (1-based) of the innermost table in ``stack``: a row belongs to it."""
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].tag == _TABLE:
            return index + 1
    return 0


def _drop(stack: list[Element], element: Element) -> None:
    """Forget an element already read (its parent no longer holds it)."""
    element.clear()
    if stack:
        with contextlib.suppress(ValueError):
            stack[-1].remove(element)


class _TableReader:
    def __init__(self, name: str, depth: int) -> None:
        self.name = name
        self.depth = depth  # the table element's depth in the stack
        self.header: list[str] | None = None
        self.rows: list[list[str]] = []
        self.numbers: list[int] = []
        self.count = 0  # rows seen, the header included
        self.width = 0

    def add(self, row: Element) -> Iterator[TableUnit]:
        cells = _row_cells(row)
        number = self.count + 1
        repeated = _int(row.get(_ROWS_REPEATED), 1)
        self.count += max(1, repeated)
        if not any(cells):
            return
        if self.header is None:
            self.header = cells
            self.count = 1  # a repeated header row is still one header
            return
        self.rows.append(cells)
        self.numbers.append(number)
        if len(self.rows) >= CHUNK_ROWS:
            yield self._unit()

    def _unit(self) -> TableUnit:
        if not self.width:
            self.width = min(max([len(self.header or [])] + [len(r) for r in self.rows]),
                             MAX_COLUMNS) or 1
        unit = TableUnit(header=column_names(self.header or [], self.width),
                         rows=[r[: self.width] for r in self.rows], name=self.name,
                         row_numbers=list(self.numbers))
        self.rows, self.numbers = [], []
        return unit

    def finish(self) -> Iterator[TableUnit]:
        if self.header is not None:
            yield self._unit()


def _int(value: str | None, default: int) -> int:
    try:
        return max(0, int(value)) if value else default
    except ValueError:
        return default


def _row_cells(row: Element) -> list[str]:
    cells: list[str] = []
    for cell in row:
        if cell.tag not in (_CELL, _COVERED):
            continue
        text = "\n".join(line for line in element_text(cell).split("\n") if line.strip())
        repeat = min(_int(cell.get(_COLS_REPEATED), 1), MAX_COLUMNS - len(cells))
        cells.extend([text.strip()] * repeat)
        if len(cells) >= MAX_COLUMNS:
            break
    while cells and not cells[-1]:
        cells.pop()
    return cells


def element_text(element: Element) -> str:
    """The text of an ODF element: spaces (``text:s``), tabs and line breaks restored,
    paragraphs inside it (a text box, a note, a cell) on their own lines."""
    parts: list[str] = []
    _collect(element, parts, 0)
    return "".join(parts).strip("\n")


def _collect(element: Element, parts: list[str], depth: int) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag
        if tag == _S:
            parts.append(" " * min(_int(child.get(_C), 1), _MAX_SPACES))
        elif tag == _TAB:
            parts.append("\t")
        elif tag == _BREAK:
            parts.append("\n")
        elif tag == _NOTE_CITATION:
            pass  # the note's mark (``1``) would stick to the text it follows
        elif depth < 64:
            if tag in _PARAGRAPHS or tag == _ROW:
                parts.append("\n")
            elif tag == _CELL:
                parts.append(" ")
            _collect(child, parts, depth + 1)
            if tag in _PARAGRAPHS:
                parts.append("\n")
        if child.tail:
            parts.append(child.tail)


def _header_units(archive: zipfile.ZipFile) -> Iterator[TextUnit]:
    found: dict[str, list[str]] = {"header": [], "footer": []}
    for event, element in _events(archive, "styles.xml"):
        kind = _HEADERS.get(element.tag)
        if kind is None or event == "start":
            continue
        lines = [line for line in element_text(element).split("\n") if line.strip()]
        if lines:
            text = "\n".join(lines)
            if text not in found[kind]:
                found[kind].append(text)
        element.clear()
    for kind in ("header", "footer"):
        texts = found[kind]
        for number, text in enumerate(texts, 1):
            yield TextUnit(text=text, name=kind if len(texts) == 1 else f"{kind} {number}")
