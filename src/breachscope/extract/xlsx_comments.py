"""Cell comments of an OOXML workbook (the notes people pin on a cell: "rappeler la
patiente au 06…", "NIR à vérifier").

openpyxl reads comments only when it loads the workbook whole (not in the read-only mode
:mod:`breachscope.extract.spreadsheet` uses to stream big sheets), so the comment parts are read
here directly: the workbook's relationships give each sheet's part, the sheet's relationships
its comments part (``xl/comments1.xml``, and the threaded comments of recent Excel,
``xl/threadedComments/threadedComment1.xml``, whose text the legacy part repeats: they are
read only for a sheet without a legacy part). Every part is streamed with ``defusedxml``'s
``iterparse`` (expat; a DTD, entity declarations and external entities refused), one comment
in memory at a time.

One :class:`TextUnit` per sheet with comments, named ``comments <SheetName>``, one line per
comment: ``B12: text`` (a comment's own line breaks become `` / ``). A comments part no sheet
names is read all the same, as ``comments``.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from breachscope.extract.units import TextUnit

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_THREADED = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
_WORKBOOK = "xl/workbook.xml"
#: Comments read per workbook at most, and characters kept of one.
MAX_COMMENTS = 100_000
MAX_COMMENT_CHARS = 32 * 1024
_ERRORS = (KeyError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, OSError,
           ValueError, ParseError, DefusedXmlException)


def comment_units(path: Path) -> Iterator[TextUnit]:
    """The comments of the workbook at ``path``, one unit per sheet (see the module
    docstring). A damaged or refused part gives nothing (the sheets were read already)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            parts = [p for p in names if _is_comments(p)]
            if not parts:
                return
            sheets = _sheet_comment_parts(archive, names)
            count = 0
            seen: set[str] = set()
            for sheet, legacy, threaded in sheets:
                part = legacy or threaded
                if part is None:
                    continue
                seen.update(p for p in (legacy, threaded) if p)
                lines = list(_comments(archive, part, MAX_COMMENTS - count))
                count += len(lines)
                if lines:
                    yield TextUnit(text="\n".join(lines), name=f"comments {sheet}")
            rest = [p for p in sorted(parts) if p not in seen and "threaded" not in p.lower()]
            lines = [line for p in rest for line in _comments(archive, p, MAX_COMMENTS - count)]
            if lines:
                yield TextUnit(text="\n".join(lines), name="comments")
    except _ERRORS:
        return


def _is_comments(name: str) -> bool:
    base = posixpath.basename(name).lower()
    # Excel writes xl/comments1.xml, openpyxl xl/comments/comment1.xml.
    return name.startswith("xl/") and base.endswith(".xml") and base.startswith(
        ("comment", "threadedcomment"))


def _events(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[str, object]]:
    with archive.open(name) as part:
        yield from iterparse(part, events=("end",), forbid_dtd=True, forbid_entities=True,
                             forbid_external=True)


def _relationships(archive: zipfile.ZipFile, names: set[str], part: str
                   ) -> list[tuple[str, str, str]]:
    """``(id, type, target part)`` of the internal relationships of ``part``."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{base}.rels")
    if rels not in names:
        return []
    found = []
    for _, element in _events(archive, rels):
        if element.tag != f"{{{_PKG}}}Relationship" or element.get("TargetMode") == "External":
            continue
        target = element.get("Target") or ""
        resolved = (target.lstrip("/") if target.startswith("/")
                    else posixpath.normpath(posixpath.join(folder, target)))
        found.append((element.get("Id") or "", element.get("Type") or "", resolved))
    return found


def _sheet_comment_parts(archive: zipfile.ZipFile, names: set[str]
                         ) -> list[tuple[str, str | None, str | None]]:
    """Per sheet in workbook order: its name, its legacy comments part, its threaded
    comments part."""
    if _WORKBOOK not in names:
        return []
    targets = {rid: target for rid, _, target in _relationships(archive, names, _WORKBOOK)}
    sheets = []
    for _, element in _events(archive, _WORKBOOK):
        if element.tag == f"{{{_MAIN}}}sheet":
            part = targets.get(element.get(f"{{{_REL}}}id") or "")
            if part:
                sheets.append((element.get("name") or "", part))
    out = []
    for sheet, part in sheets:
        legacy = threaded = None
        for _, kind, target in _relationships(archive, names, part):
            if target not in names:
                continue
            if kind.endswith("/comments"):
                legacy = target
            elif kind.endswith("/threadedComment"):
                threaded = target
        out.append((sheet, legacy, threaded))
    return out


def _comments(archive: zipfile.ZipFile, part: str, budget: int) -> Iterator[str]:
    """``ref: text`` for each comment of a legacy or threaded comments part."""
    legacy = (f"{{{_MAIN}}}comment", f"{{{_MAIN}}}t")
    threaded = (f"{{{_THREADED}}}threadedComment", f"{{{_THREADED}}}text")
    count = 0
    for _, element in _events(archive, part):
        if count >= budget:
            return
        for comment_tag, text_tag in (legacy, threaded):
            if element.tag != comment_tag:
                continue
            text = "".join(t.text or "" for t in element.iter(text_tag))
            text = " / ".join(line.strip() for line in text.splitlines() if line.strip())
            ref = (element.get("ref") or "").strip()[:20]
            element.clear()
            if text:
                count += 1
                yield f"{ref}: {text[:MAX_COMMENT_CHARS]}" if ref else text[:MAX_COMMENT_CHARS]
