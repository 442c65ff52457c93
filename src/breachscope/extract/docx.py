"""Word documents (``.docx``, ``.docm``, ``.dotx``: WordprocessingML in a zip) → paragraphs,
tables, headers and footers, notes and comments; embedded objects as members.

Reading: only the text parts are read, each parsed whole with ``lxml`` (the parser python-docx
uses, with the same hardening: entities are never resolved, no DTD is loaded, nothing is
fetched, ``huge_tree`` off). python-docx itself is not used for reading, on purpose: its
``Document`` loads every part of the package into memory (images included), refuses a
``.docm`` by its content type, and its ``Paragraph.text`` drops text in text boxes, tracked
insertions and content controls, where letters often put the patient's address. The
package is small and standard (OPC: ``_rels/.rels`` names the main part, its ``_rels`` names
the header, footer, notes and comments parts), so the few lines that follow relationships are
written here. Macros (``vbaProject.bin``) are never loaded; nothing is ever executed.

Units, in document order:

- each non-empty paragraph of the body is a :class:`TextUnit` named ``paragraph N`` (N counts
  the non-empty paragraphs of the body outside tables, from 1, as a reader would count the
  blocks of text); a soft line break starts a new line inside it (``paragraph 12, line 2``).
  The paragraphs of a text box anchored in a paragraph follow it, numbered in sequence.
- each table of the body is a :class:`TableUnit` named ``table N``: its first row is the
  header, ``row_numbers`` count the table's rows from 1 (the header is row 1), a cell's
  paragraphs are joined with line breaks, a nested table's rows are added to its cell's text.
- text deleted with change tracking on (``w:delText``, still in the file): a
  :class:`TextUnit` named ``deleted text``, one line per paragraph holding deletions.
- headers and footers: a :class:`TextUnit` per part named ``header`` / ``footer`` (``header
  2``... when the document has several: first page, even pages, sections), one line per
  paragraph or table row (cells joined with `` | ``); likewise ``footnotes``, ``endnotes``
  and ``comments``.
- the words of SmartArt diagrams and the titles and labels of charts, which live in parts of
  their own: ``diagram N`` / ``chart N`` (:mod:`breachscope.extract.drawing_text`).
- objects embedded in the document (``word/embeddings/*``: an Excel sheet, a PDF, an OLE
  package wrapping any file) and its pictures (``word/media/*``) are yielded as
  :class:`EmbeddedFile` named by their base name, or for an OLE package by the name of the
  file it wraps (:func:`~breachscope.extract._office.embedded_parts`, size limits there):
  the worker scans them as members (``letter.docx!/Microsoft_Excel_Worksheet.xlsx``,
  ``letter.docx!/rapport.pdf``, ``letter.docx!/image3.png``, which image extraction OCRs).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from breachscope.extract._office import checked_members, embedded_parts, open_zip, zip_reason
from breachscope.extract._table import MAX_COLUMNS, column_names
from breachscope.extract.drawing_text import drawing_text_units
from breachscope.extract.units import EmbeddedFile, ExtractionError, TableUnit, TextUnit

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL_TYPES = {"header": "header", "footer": "footer", "footnotes": "footnotes",
              "endnotes": "endnotes", "comments": "comments"}
_OFFICE_DOCUMENT = "/officeDocument"
_MAIN_PART = "word/document.xml"
_EMBEDDED = ("word/embeddings/", "word/media/")

_P, _TBL, _TR, _TC = f"{{{W}}}p", f"{{{W}}}tbl", f"{{{W}}}tr", f"{{{W}}}tc"
_T, _TAB, _BR, _CR = f"{{{W}}}t", f"{{{W}}}tab", f"{{{W}}}br", f"{{{W}}}cr"
_NB_HYPHEN = f"{{{W}}}noBreakHyphen"
_DEL_TEXT = f"{{{W}}}delText"
_TXBX = f"{{{W}}}txbxContent"
_FALLBACK = f"{{{MC}}}Fallback"
# Containers whose children are body content (content controls, custom XML, tracked moves).
_TRANSPARENT = {f"{{{W}}}{tag}" for tag in ("sdt", "sdtContent", "customXml", "ins",
                                              "moveTo", "smartTag", "body", "hdr", "ftr",
                                              "footnotes", "endnotes", "comments", "footnote",
                                              "endnote", "comment")}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def partition_docx(path: Path) -> Iterator[TextUnit | TableUnit | EmbeddedFile]:
    """Stream the units of the Word document at ``path`` (see the module docstring). Its zip
    is opened once for the text parts, the diagrams and charts (issue 15: the checks, the
    parts and the drawings opened it three times more, a tenth of a letter's reading)."""
    path = Path(path)
    with open_zip(path, "docx") as archive:
        members = checked_members(archive, "docx", _is_parsed)
        names = {m.filename for m in members}
        main = _main_part(archive, names)
        if main not in names:
            raise ExtractionError("corrupt docx: no document part")
        body = _parse(archive, main)
        yield from _body_units(body)
        yield from _deleted_text(body)
        del body
        yield from _side_parts(archive, names, main)
        yield from drawing_text_units(archive, "word/")
    yield from embedded_parts(path, "docx", members, _EMBEDDED)


def _is_parsed(name: str) -> bool:
    """A part parsed whole (its size is limited by :func:`checked_members`)."""
    return name.startswith("word/") and name.endswith(".xml") and name.count("/") == 1


def _parse(archive: zipfile.ZipFile, name: str) -> etree._Element:
    try:
        with archive.open(name) as member:
            return etree.parse(member, _parser()).getroot()
    except etree.XMLSyntaxError:
        raise ExtractionError(f"corrupt docx: malformed XML in {name}") from None
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as exc:
        raise ExtractionError(f"corrupt docx: {zip_reason(exc)}") from None


def _relationships(archive: zipfile.ZipFile, names: set[str], part: str
                   ) -> list[tuple[str, str]]:
    """``(type, target part name)`` of the internal relationships of ``part`` (``""`` for the
    package), in document order."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{base}.rels")
    if rels not in names:
        return []
    out = []
    for rel in _parse(archive, rels).iter(f"{{{_PKG_RELS}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        out.append((rel.get("Type") or "", resolved))
    return out


def _main_part(archive: zipfile.ZipFile, names: set[str]) -> str:
    for kind, target in _relationships(archive, names, ""):
        if kind.endswith(_OFFICE_DOCUMENT) and target in names:
            return target
    return _MAIN_PART


def _body_units(root: etree._Element) -> Iterator[TextUnit | TableUnit]:
    paragraphs = 0
    tables = 0
    for element in _blocks(root):
        if element.tag == _P:
            boxes: list[etree._Element] = []
            text = _paragraph_text(element, boxes)
            for piece in [text, *(_paragraph_text(p, []) for p in _box_paragraphs(boxes))]:
                if piece.strip():
                    paragraphs += 1
                    yield TextUnit(text=piece, name=f"paragraph {paragraphs}")
        else:
            tables += 1
            rows = _table_rows(element)
            if rows:
                width = min(max(len(r) for r in rows), MAX_COLUMNS)
                yield TableUnit(header=column_names(rows[0], width),
                                rows=[r[:width] for r in rows[1:]], name=f"table {tables}",
                                row_numbers=list(range(2, len(rows) + 1)))


def _deleted_text(root: etree._Element) -> Iterator[TextUnit]:
    """Text deleted with change tracking on: still in the file, so it leaked too. One line
    per paragraph holding deletions."""
    lines = []
    for paragraph in root.iter(_P):
        pieces = [t.text or "" for t in paragraph.iter(_DEL_TEXT)]
        if any(p.strip() for p in pieces):
            lines.append("".join(pieces))
    if lines:
        yield TextUnit(text="\n".join(lines), name="deleted text")


def _blocks(parent: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables under ``parent``, in order, through content controls and the
    like (not into tables)."""
    for child in parent:
        tag = child.tag
        if tag in (_P, _TBL):
            yield child
        elif tag in _TRANSPARENT:
            yield from _blocks(child)


def _box_paragraphs(boxes: list[etree._Element]) -> Iterator[etree._Element]:
    """Paragraphs of the text boxes found in a paragraph, in order (those of table cells and
    of boxes nested in the box too; read them with a throwaway ``boxes`` list)."""
    for box in boxes[:1000]:
        yield from _descendant_paragraphs(box)


def _descendant_paragraphs(element: etree._Element, depth: int = 0
                           ) -> Iterator[etree._Element]:
    for child in element:
        if child.tag == _FALLBACK:
            continue
        if child.tag == _P:
            yield child
        if len(child) and depth < 64:
            yield from _descendant_paragraphs(child, depth + 1)


def _paragraph_text(paragraph: etree._Element, boxes: list[etree._Element]) -> str:
    """The visible text of a paragraph: runs (also in hyperlinks, fields, content controls,
    tracked insertions), tabs and line breaks; field codes are left out, and deleted text
    (read apart, :func:`_deleted_text`).
    Text boxes met on the way are appended to ``boxes`` instead (the alternative rendering
    of a drawing, ``mc:Fallback``, is skipped: it repeats the same box)."""
    parts: list[str] = []
    stack = [iter(paragraph)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        tag = child.tag
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag in (_BR, _CR):
            parts.append("\n")
        elif tag == _NB_HYPHEN:
            parts.append("-")
        elif tag == _TXBX:
            boxes.append(child)
        elif tag in (_FALLBACK, _P):
            continue
        elif len(child):
            stack.append(iter(child))
    return "".join(parts)


def _cell_text(cell: etree._Element, depth: int = 0) -> str:
    lines: list[str] = []
    for element in _blocks(cell):
        if element.tag == _P:
            boxes: list[etree._Element] = []
            lines.append(_paragraph_text(element, boxes))
            lines.extend(_paragraph_text(p, []) for p in _box_paragraphs(boxes))
        elif depth < 8:  # a nested table: its rows as lines of this cell
            lines.extend(" | ".join(c for c in row if c)
                         for row in _table_rows(element, depth + 1))
    return "\n".join(line.strip() for line in lines if line.strip())


def _table_rows(table: etree._Element, depth: int = 0) -> list[list[str]]:
    rows = []
    for row in _blocks_of(table, _TR):
        cells = [_cell_text(cell, depth) for cell in _blocks_of(row, _TC)][:MAX_COLUMNS]
        rows.append(cells)
    return rows


def _blocks_of(parent: etree._Element, tag: str) -> Iterator[etree._Element]:
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag in _TRANSPARENT:
            yield from _blocks_of(child, tag)


def _side_parts(archive: zipfile.ZipFile, names: set[str], main: str) -> Iterator[TextUnit]:
    """Headers, footers, notes and comments, one :class:`TextUnit` per part."""
    found: dict[str, list[str]] = {}
    for kind, target in _relationships(archive, names, main):
        label = _REL_TYPES.get(kind.rsplit("/", 1)[-1])
        if label and target in names and target not in found.get(label, []):
            found.setdefault(label, []).append(target)
    for label in ("header", "footer", "footnotes", "endnotes", "comments"):
        targets = sorted(found.get(label, []), key=_natural)
        for number, target in enumerate(targets, 1):
            lines = _part_lines(_parse(archive, target))
            if any(line.strip() for line in lines):
                name = label if len(targets) == 1 else f"{label} {number}"
                yield TextUnit(text="\n".join(lines), name=name)


def _natural(name: str) -> tuple[int, str]:
    digits = re.findall(r"\d+", name)
    return (int(digits[-1]) if digits else 0, name)


def _part_lines(root: etree._Element) -> list[str]:
    lines: list[str] = []
    for element in _blocks(root):
        if element.tag == _P:
            boxes: list[etree._Element] = []
            lines.extend(_paragraph_text(element, boxes).split("\n"))
            for box_paragraph in _box_paragraphs(boxes):
                lines.extend(_paragraph_text(box_paragraph, []).split("\n"))
        else:
            lines.extend(" | ".join(c.replace("\n", " ") for c in row if c)
                         for row in _table_rows(element))
    return lines
