"""Cached values of external links in an OOXML workbook: the cells of another workbook that
this one's formulas read.

A formula such as ``='\\\\serveur\\partage\\[patients.xlsx]Liste'!B2`` makes Excel keep a copy of
the cells it reads in ``xl/externalLinks/externalLinkN.xml`` (``sheetDataSet``), so a
workbook of summaries can carry the patient list's cells even when the list itself is not in
the dump. openpyxl's read-only mode skips these parts (``keep_links=False``) and the link is
never followed: the cached values are streamed here with ``defusedxml``'s ``iterparse``
(expat; a DTD, entity declarations and external entities refused), one row at a time.

One :class:`TextUnit` per link part with cached cells, named ``external link N``, one line per
cached row: ``Liste row 2: DUPONT | 254037512345655`` (the linked workbook's sheet name and
row number, then the cells in column order). The linked file's path is not reported.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from breachscope.extract.text import split_text
from breachscope.extract.units import TextUnit

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PART = re.compile(r"xl/externalLinks/externalLink(\d+)\.xml")
MAX_ROWS = 1_000_000
MAX_CELL_CHARS = 32 * 1024
_ERRORS = (KeyError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, OSError,
           ValueError, ParseError, DefusedXmlException)


def link_units(path: Path) -> Iterator[TextUnit]:
    """The cached cells of every external link of the workbook at ``path``. A damaged or
    refused part gives the rows read before the fault."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = sorted((int(m.group(1)), n) for n in archive.namelist()
                           if (m := _PART.fullmatch(n)))
            for number, part in parts:
                lines = _cached_rows(archive, part)
                if lines:
                    yield from split_text("\n".join(lines), name=f"external link {number}")
    except (zipfile.BadZipFile, OSError):
        return


def _cached_rows(archive: zipfile.ZipFile, part: str) -> list[str]:
    sheets: list[str] = []
    sheet = ""
    lines: list[str] = []
    cells: list[str] = []
    try:
        with archive.open(part) as stream:
            for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True,
                                            forbid_entities=True, forbid_external=True):
                tag = element.tag
                if event == "start":
                    if tag == f"{{{_MAIN}}}sheetData":
                        index = _int(element.get("sheetId"))
                        sheet = sheets[index] if 0 <= index < len(sheets) else f"sheet {index}"
                    elif tag == f"{{{_MAIN}}}row":
                        cells = []
                    continue
                if tag == f"{{{_MAIN}}}sheetName":
                    sheets.append((element.get("val") or "").strip())
                elif tag == f"{{{_MAIN}}}v":
                    value = (element.text or "").strip()
                    if value:
                        cells.append(value[:MAX_CELL_CHARS])
                elif tag == f"{{{_MAIN}}}row":
                    if cells and len(lines) < MAX_ROWS:
                        lines.append(f"{sheet} row {element.get('r') or '?'}: "
                                     + " | ".join(cells))
                    element.clear()
    except _ERRORS:
        pass
    return lines


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return -1
