"""Cell comments of an OpenDocument spreadsheet (``office:annotation`` inside a cell), which
calamine does not read.

``content.xml`` is streamed with ``defusedxml``'s ``iterparse`` (expat; a DTD, entity
declarations and external entities refused), each row dropped once read; rows and columns are
counted through ``number-rows-repeated`` / ``number-columns-repeated`` (bounded: a repeat
count is a number the file chooses) so each comment gets its cell reference. One
:class:`TextUnit` per sheet with comments, named ``comments <SheetName>``, one line per
comment: ``B12: text`` (a comment's paragraphs joined with `` / ``; its author and date are
left out).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from breachscope.extract.units import TextUnit

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_SHEET, _ROW = f"{{{_TABLE}}}table", f"{{{_TABLE}}}table-row"
_CELLS = (f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell")
_ANNOTATION = f"{{{_OFFICE}}}annotation"
_P = f"{{{_TEXT}}}p"
_ROWS_REPEATED = f"{{{_TABLE}}}number-rows-repeated"
_COLS_REPEATED = f"{{{_TABLE}}}number-columns-repeated"
#: Spreadsheet bounds (LibreOffice's): repeat counts past them are the file's fancy.
MAX_ROWS = 1 << 20
MAX_COLS = 1 << 14
MAX_COMMENTS = 100_000
MAX_COMMENT_CHARS = 32 * 1024
_ERRORS = (KeyError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, OSError,
           ValueError, ParseError, DefusedXmlException)


def comment_units(path: Path) -> Iterator[TextUnit]:
    """The cell comments of the spreadsheet at ``path``, one unit per sheet. A damaged or
    refused ``content.xml`` gives the comments read before the fault (the sheets were read
    already)."""
    sheet = ""
    lines: list[str] = []
    row = col = count = 0
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as part:
            for event, element in iterparse(part, events=("start", "end"), forbid_dtd=True,
                                            forbid_entities=True, forbid_external=True):
                tag = element.tag
                if event == "start":
                    if tag == _SHEET:
                        sheet, lines, row = element.get(f"{{{_TABLE}}}name") or "", [], 0
                    elif tag == _ROW:
                        col = 0
                    continue
                if tag in _CELLS:
                    col += _repeat(element, _COLS_REPEATED, MAX_COLS)
                    element.clear()
                elif tag == _ANNOTATION:
                    text = _annotation_text(element)
                    if text and count < MAX_COMMENTS:
                        count += 1
                        lines.append(f"{_column_name(col)}{row + 1}: {text}")
                    element.clear()
                elif tag == _ROW:
                    row += _repeat(element, _ROWS_REPEATED, MAX_ROWS)
                    element.clear()
                elif tag == _SHEET:
                    if lines:
                        yield TextUnit(text="\n".join(lines), name=f"comments {sheet}")
                    lines = []
                    element.clear()
    except _ERRORS:
        if lines:
            yield TextUnit(text="\n".join(lines), name=f"comments {sheet}")


def _repeat(element: Element, attribute: str, bound: int) -> int:
    try:
        return min(max(int(element.get(attribute) or 1), 1), bound)
    except ValueError:
        return 1


def _annotation_text(annotation: Element) -> str:
    paragraphs = ["".join(p.itertext()).strip() for p in annotation.iter(_P)]
    return " / ".join(p for p in paragraphs if p)[:MAX_COMMENT_CHARS]


def _column_name(index: int) -> str:
    """``0`` → ``A``, ``27`` → ``AB``."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name
