"""Text kept in the diagram and chart parts of an OOXML document, which the body does not
hold: a SmartArt (an organisation chart of a ward, a care pathway) keeps its words in
``word/diagrams/dataN.xml`` and the document only points to it; a chart keeps its title, series
names and category labels (a bar per patient...) in ``word/charts/chartN.xml`` (the same for
``xl/``).

Each part is streamed with ``defusedxml``'s ``iterparse`` (expat; a DTD, entity declarations
and external entities refused). Units: ``diagram N`` (one line per DrawingML paragraph,
``a:p``) and ``chart N`` (one line per title paragraph, then the string cache's points —
``c:strCache`` series names and categories — one per line; numbers are left out).
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

_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_PARAGRAPH, _RUN_TEXT = f"{{{_A}}}p", f"{{{_A}}}t"
_STR_CACHE, _VALUE = f"{{{_C}}}strCache", f"{{{_C}}}v"
#: Lines kept per part, characters per line.
MAX_LINES = 100_000
MAX_LINE_CHARS = 32 * 1024
_ERRORS = (KeyError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, OSError,
           ValueError, ParseError, DefusedXmlException)


def drawing_text_units(source: Path | zipfile.ZipFile, folder: str) -> Iterator[TextUnit]:
    """The text of the diagram data and chart parts under ``folder`` (``word/``, ``xl/``) of
    the zip-based document ``source`` (its path, or its zip already open: it is left open),
    one unit per part, in part number order. A damaged or refused part gives the lines read
    before the fault."""
    try:
        if isinstance(source, zipfile.ZipFile):
            yield from _units(source, folder)
        else:
            with zipfile.ZipFile(source) as archive:
                yield from _units(archive, folder)
    except (zipfile.BadZipFile, OSError):
        return


def _units(archive: zipfile.ZipFile, folder: str) -> Iterator[TextUnit]:
    patterns = ((re.compile(re.escape(folder) + r"diagrams/data(\d+)\.xml"), "diagram"),
                (re.compile(re.escape(folder) + r"charts/chart(\d+)\.xml"), "chart"))
    names = archive.namelist()
    for pattern, label in patterns:
        parts = sorted((int(m.group(1)), n) for n in names if (m := pattern.fullmatch(n)))
        for number, part in parts:
            lines = _lines(archive, part)
            if lines:
                yield from split_text("\n".join(lines), name=f"{label} {number}")


def _lines(archive: zipfile.ZipFile, part: str) -> list[str]:
    lines: list[str] = []
    in_cache = 0
    try:
        with archive.open(part) as stream:
            for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True,
                                            forbid_entities=True, forbid_external=True):
                if len(lines) >= MAX_LINES:
                    break
                tag = element.tag
                if tag == _STR_CACHE:
                    in_cache += 1 if event == "start" else -1
                    continue
                if event != "end":
                    continue
                if tag == _PARAGRAPH:
                    text = "".join(t.text or "" for t in element.iter(_RUN_TEXT)).strip()
                    if text:
                        lines.append(text[:MAX_LINE_CHARS])
                    element.clear()
                elif tag == _VALUE and in_cache > 0:
                    text = (element.text or "").strip()
                    if text:
                        lines.append(text[:MAX_LINE_CHARS])
                    element.clear()
    except _ERRORS:
        pass
    return lines
