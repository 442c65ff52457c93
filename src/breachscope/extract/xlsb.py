"""Excel binary workbooks (``.xlsb``: BIFF12 records in an OOXML zip) → a table per sheet.

- ``python-calamine`` (MIT; the Rust ``calamine`` crate, memory-safe) reads xlsb as it reads
  ODS (:func:`~breachscope.extract.ods.partition_calamine`: zip size and ratio checked first,
  sheets in order, title rows as text, header found under them, cells as strings, tables in
  chunks of at most ``CHUNK_ROWS`` rows, ``row_numbers`` the Excel rows). It is chosen over
  ``pyxlsb`` (pure Python, unmaintained since 2021, no date detection) because it is
  maintained, already a dependency, and gives dates from the workbook's number formats.
- Formulas are never evaluated (cached values are read); macros (``vbaProject.bin``) are
  never loaded.
- Embedded objects and pictures (``xl/embeddings/*``, ``xl/media/*``) follow the sheets as
  members (:func:`~breachscope.extract._office.embedded_parts`).
- Cell comments (``xl/comments*.bin``, BIFF12 records calamine does not read): one
  :class:`TextUnit` per sheet, ``comments <SheetName>``, a ``B12: text`` line per comment, as
  for XLSX (:mod:`breachscope.extract.xlsx_comments`). The records are read here: a record
  is a type and a size (7-bit variable integers, [MS-XLSB] 2.1.4) then its body;
  ``BrtBeginComment`` gives the cell, ``BrtCommentText`` the text (a ``RichStr``: a flags
  byte then a UTF-16 string). The sheet a comments part belongs to comes from the sheets'
  relationships and ``BrtBundleSh`` records of ``xl/workbook.bin``. A damaged comments part
  gives the comments read before the damage.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from breachscope.extract._office import check_zip, embedded_parts
from breachscope.extract.ods import partition_calamine
from breachscope.extract.units import EmbeddedFile, TableUnit, TextUnit

_EMBEDDED = ("xl/embeddings/", "xl/media/")
#: Bytes read of one comments part, of the workbook part, and of a relationships part.
MAX_COMMENTS_PART = 64 * 1024 * 1024
MAX_SMALL_PART = 16 * 1024 * 1024
#: Comments read per workbook at most, and characters kept of one.
MAX_COMMENTS = 100_000
MAX_COMMENT_CHARS = 32 * 1024
_BUNDLE_SHEET, _BEGIN_COMMENT, _COMMENT_TEXT = 0x009C, 0x027B, 0x027D
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ERRORS = (KeyError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, OSError,
           ValueError, struct.error, ParseError, DefusedXmlException)


def partition_xlsb(path: Path) -> Iterator[TableUnit | TextUnit | EmbeddedFile]:
    """Stream every worksheet of the ``.xlsb`` workbook at ``path``, then its embedded
    objects and pictures."""
    path = Path(path)
    yield from partition_calamine(path, "xlsb")
    yield from _comment_units(path)
    yield from embedded_parts(path, "xlsb", check_zip(path, "xlsb"), _EMBEDDED)


def _comment_units(path: Path) -> Iterator[TextUnit]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            parts = sorted(n for n in names if n.lower().startswith("xl/")
                           and posixpath.basename(n).lower().startswith("comments")
                           and n.lower().endswith(".bin"))
            if not parts:
                return
            sheets = _sheet_of_comments(archive, names)
            count = 0
            for part in parts:
                lines = []
                for line in _comments(archive, part):
                    if count >= MAX_COMMENTS:
                        break
                    lines.append(line)
                    count += 1
                if lines:
                    sheet = sheets.get(part)
                    yield TextUnit(text="\n".join(lines),
                                   name=f"comments {sheet}" if sheet else "comments")
    except _ERRORS:
        return


def _read(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(name) as part:
        return part.read(limit)


def _records(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The BIFF12 records of ``data``: ``(type, body)``; stops at a truncated record."""
    position, end = 0, len(data)
    while position < end:
        kind = size = 0
        for index, width in ((0, 2), (1, 4)):
            value = shift = 0
            for _ in range(width):
                if position >= end:
                    return
                byte = data[position]
                position += 1
                value |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            if index == 0:
                kind = value
            else:
                size = value
        if position + size > end:
            return
        yield kind, data[position : position + size]
        position += size


def _wide(body: bytes, offset: int) -> tuple[str, int]:
    """An XLWideString at ``offset``: a 32-bit character count then UTF-16LE."""
    (count,) = struct.unpack_from("<I", body, offset)
    if count == 0xFFFFFFFF:  # XLNullableWideString: null
        return "", offset + 4
    raw = body[offset + 4 : offset + 4 + 2 * count]
    return raw.decode("utf-16-le", "replace"), offset + 4 + 2 * count


def _comments(archive: zipfile.ZipFile, part: str) -> Iterator[str]:
    cell = ""
    for kind, body in _records(_read(archive, part, MAX_COMMENTS_PART)):
        if kind == _BEGIN_COMMENT and len(body) >= 20:
            row, _, col, _ = struct.unpack_from("<IIII", body, 4)
            cell = f"{_column(col)}{row + 1}"
        elif kind == _COMMENT_TEXT and len(body) >= 5:
            text, _ = _wide(body, 1)  # after the RichStr flags byte
            text = " / ".join(line.strip() for line in text.splitlines() if line.strip())
            if text:
                yield f"{cell}: {text[:MAX_COMMENT_CHARS]}" if cell else text[:MAX_COMMENT_CHARS]


def _column(index: int) -> str:
    letters = ""
    index = min(index, 16383) + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _relationships(archive: zipfile.ZipFile, names: set[str], part: str
                   ) -> dict[str, tuple[str, str]]:
    """``Id → (type, target part)`` of ``part``'s relationships."""
    rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    if rels not in names:
        return {}
    out = {}
    for rel in fromstring(_read(archive, rels, MAX_SMALL_PART)).iter(f"{_PKG}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = posixpath.normpath(posixpath.join(posixpath.dirname(part),
                                                   rel.get("Target", "")))
        out[rel.get("Id", "")] = (rel.get("Type", ""), target.lstrip("/"))
    return out


def _sheet_of_comments(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """comments part → the name of the sheet it belongs to."""
    workbook = "xl/workbook.bin"
    if workbook not in names:
        return {}
    targets = _relationships(archive, names, workbook)
    out: dict[str, str] = {}
    for kind, body in _records(_read(archive, workbook, MAX_SMALL_PART)):
        if kind != _BUNDLE_SHEET or len(body) < 12:
            continue
        rel_id, offset = _wide(body, 8)
        name, _ = _wide(body, offset)
        sheet = targets.get(rel_id, ("", ""))[1]
        if not sheet:
            continue
        for rel_type, target in _relationships(archive, names, sheet).values():
            if rel_type.endswith("/comments"):
                out[target] = name
    return out
