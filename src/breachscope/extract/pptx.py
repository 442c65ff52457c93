"""PowerPoint presentations (``.pptx``, ``.pptm``: PresentationML in a zip) → a text unit
per slide, a table unit per slide table, the speaker notes and the comments.

- ``python-pptx`` (MIT, maintained, the reference Python reader of PresentationML) parses
  each part with ``lxml`` through its own hardened parser (``resolve_entities=False``, no
  network): entity bombs and external entities are inert. It loads a slide's XML on first
  access, pictures and media are never decoded. The zip is checked first
  (:func:`~breachscope.extract._office.check_zip`: size and ratio limits); macros
  (``vbaProject.bin`` of a ``.pptm``) are never loaded, nothing is ever run.
- Units, per slide N (1-based, presentation order): a :class:`TextUnit` ``slide N`` with one
  line per paragraph of each text frame (titles, placeholders, text boxes, shapes inside
  groups, in the slide's drawing order); each table as a :class:`TableUnit` ``slide N table
  K`` (first row = header, ``row_numbers`` = table rows counted from 1, the header being row
  1); the speaker notes as ``slide N notes``; comments (legacy ``commentN.xml`` parts, read
  with lxml from the slide's relationships, which python-pptx does not expose) as ``slide N
  comments``; SmartArt text (org charts hold names) as ``slide N diagrams``; charts' cached
  titles, categories and values as ``slide N charts``.
- Pictures (``ppt/media/*``, which image extraction OCRs) and embedded objects
  (``ppt/embeddings/*``: a chart's workbook, a sheet, a PDF, an OLE package) follow the
  slides as :class:`EmbeddedFile` members
  (:func:`~breachscope.extract._office.embedded_parts`, size limits there).
- Not read: slide masters and layouts (template text), speaker-notes masters.
- A comment, SmartArt or chart part that cannot be parsed or is over
  :data:`MAX_RELATED_PART` is skipped, the rest read, and the presentation is recorded
  ``partial`` with the count (:class:`~breachscope.extract.partial.PartialContent`). A
  malformed slide fails the file: python-pptx parses every slide when it opens the package.
- Failures become :class:`ExtractionError` with a reason naming the failure only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from breachscope.extract._office import MAX_PARSED_PART, check_zip, embedded_parts
from breachscope.extract._table import MAX_COLUMNS, column_names
from breachscope.extract.units import (
    EmbeddedFile,
    EncryptedContent,
    ExtractionError,
    TableUnit,
    TextUnit,
)

_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
_COMMENTS_REL = "/comments"
_EMBEDDED = ("ppt/embeddings/", "ppt/media/")
#: Comment, SmartArt and chart parts are small; a bigger one is not parsed.
MAX_RELATED_PART = 16 * 1024 * 1024
_A_T = "{http://schemas.openxmlformats.org/drawingml/2006/main}t"
_C_V = "{http://schemas.openxmlformats.org/drawingml/2006/chart}v"


def partition_pptx(path: Path) -> Iterator[TextUnit | TableUnit | EmbeddedFile]:
    """Stream the units of the presentation at ``path`` (see the module docstring)."""
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    path = Path(path)
    members = check_zip(path, "pptx")
    for member in members:  # python-pptx parses every XML part whole when it opens the file
        if member.filename.endswith((".xml", ".rels")) and member.file_size > MAX_PARSED_PART:
            raise ExtractionError(f"pptx refused: an XML part is "
                                  f"{member.file_size // 1024**2} MiB")
    try:
        presentation = Presentation(str(path))
    except PackageNotFoundError:
        raise ExtractionError("corrupt pptx: not a presentation package") from None
    except KeyError:
        raise ExtractionError("corrupt pptx: a required part is missing") from None
    except etree.XMLSyntaxError:
        raise ExtractionError("corrupt pptx: malformed XML") from None
    except Exception as exc:
        if "encrypt" in str(exc).lower():
            raise EncryptedContent("pptx encrypted (password protected)") from None
        raise ExtractionError(f"corrupt pptx: {type(exc).__name__}") from None
    skipped: set[str] = set()  # related parts not read: the content is then partial
    bad_slides = total = 0
    for number, slide in enumerate(presentation.slides, start=1):
        total = number
        try:
            yield from _slide_units(slide, number, skipped)
        except etree.XMLSyntaxError:
            bad_slides += 1  # the other slides are still read
    if total and bad_slides == total:
        raise ExtractionError("corrupt pptx: malformed XML in every slide")
    yield from embedded_parts(path, "pptx", members, _EMBEDDED)
    reasons = []
    if bad_slides:
        reasons.append(f"{bad_slides} of {total} slides not read (malformed XML)")
    if skipped:
        reasons.append(f"{len(skipped)} comment, SmartArt or chart parts not read "
                       f"(malformed or over {MAX_RELATED_PART // 1024**2} MiB)")
    if reasons:
        from breachscope.extract.partial import PartialContent

        raise PartialContent("; ".join(reasons))


def _slide_units(slide, number: int, skipped: set[str]) -> Iterator[TextUnit | TableUnit]:
    lines: list[str] = []
    tables: list[TableUnit] = []
    for shape in _shapes(slide.shapes):
        if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            lines.extend(_frame_lines(shape.text_frame))
        if getattr(shape, "has_table", False) and shape.has_table:
            table = _table(shape.table, f"slide {number} table {len(tables) + 1}")
            if table is not None:
                tables.append(table)
    if any(lines):
        yield TextUnit(text="\n".join(lines), name=f"slide {number}")
    yield from tables
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None:
            text = "\n".join(_frame_lines(notes))
            if text.strip():
                yield TextUnit(text=text, name=f"slide {number} notes")
    comments = _comments(slide, skipped)
    if comments:
        yield TextUnit(text="\n".join(comments), name=f"slide {number} comments")
    for suffix, label in (("/diagramData", "diagrams"), ("/chart", "charts")):
        lines = _related_texts(slide, suffix, skipped)
        if lines:
            yield TextUnit(text="\n".join(lines), name=f"slide {number} {label}")


def _shapes(shapes) -> Iterator:
    """Every shape, those inside groups included (depth-first, drawing order)."""
    from pptx.shapes.group import GroupShape

    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _frame_lines(frame) -> list[str]:
    # A vertical tab is how python-pptx renders a soft line break (<a:br/>).
    return [paragraph.text.replace("\v", "\n").strip() for paragraph in frame.paragraphs]


def _table(table, name: str) -> TableUnit | None:
    rows = [[cell.text.replace("\v", "\n").strip() for cell in row.cells][:MAX_COLUMNS]
            for row in table.rows]
    if not rows or not any(any(cells) for cells in rows):
        return None
    width = max(len(cells) for cells in rows)
    return TableUnit(header=column_names(rows[0], width), rows=rows[1:], name=name,
                     row_numbers=list(range(2, len(rows) + 1)))


def _comments(slide, skipped: set[str]) -> list[str]:
    """The text of the legacy comments attached to ``slide`` (``p:cmLst/p:cm/p:text``), and of
    modern threaded comments (``p188:cmLst``: any ``a:t`` text)."""
    return _related_texts(slide, _COMMENTS_REL, skipped, (f"{{{_P}}}text", _A_T))


def _related_texts(slide, reltype_suffix: str, skipped: set[str],
                   tags: tuple[str, ...] = (_A_T, _C_V)) -> list[str]:
    """The text (elements ``tags``) of the parts ``slide`` relates to with a relationship
    type ending in ``reltype_suffix``: comments, SmartArt data (``a:t``: org charts hold
    names) and charts (``a:t`` titles, ``c:v`` cached categories and values, which are the
    only copy when the chart's workbook is linked rather than embedded)."""
    out: list[str] = []
    for rel in slide.part.rels.values():
        if rel.is_external or not rel.reltype.endswith(reltype_suffix):
            continue
        blob = rel.target_part.blob
        if len(blob) > MAX_RELATED_PART:
            skipped.add(str(rel.target_part.partname))
            continue
        try:
            root = etree.fromstring(blob, etree.XMLParser(
                resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False))
        except etree.XMLSyntaxError:
            skipped.add(str(rel.target_part.partname))
            continue
        for element in root.iter(*tags):
            if element.text and element.text.strip():
                out.append(element.text.strip())
    return out
