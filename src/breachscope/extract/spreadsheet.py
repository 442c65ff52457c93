"""OOXML spreadsheets (``.xlsx``, ``.xlsm``) → a table per sheet, streamed in chunks.

- openpyxl in ``read_only`` (streamed rows, bounded memory) and ``data_only`` mode: formulas
  are never evaluated, only the values Excel cached are read; macros and external links are
  not loaded. Each sheet's rows are emitted as :class:`TableUnit` chunks of at most
  ``CHUNK_ROWS`` rows, same name and header. The rows themselves are parsed by
  :mod:`breachscope.extract.xlsx_rows` (openpyxl's own steps on a C-parsed tree: the same
  values, several times faster), or by openpyxl's reader for a sheet with a DTD.
- openpyxl parses the workbook's XML with ``defusedxml`` when it is installed (a dependency
  of breachscope): an entity declaration (billion laughs, XXE) is refused, never expanded.
  :func:`partition_xlsx` refuses to read a workbook without it (``openpyxl.xml.DEFUSEDXML``).
- Every worksheet; ``name`` is ``sheet <SheetName>``; ``row_numbers`` are Excel row numbers.
- The header is found under title rows (a title in A1, a blank row, the header in row 4):
  the first row with at least two distinct, mostly text cells, wide enough for the sheet and
  not followed by a much wider row. Without one, columns are ``col1..colN``. Non-blank rows
  above the header become a :class:`TextUnit` named like the sheet whose line numbers are
  the Excel row numbers.
- Cells become strings: dates ``YYYY-MM-DD`` (a time is kept only when it is not midnight),
  integers and integral floats as digits (a NIR stored as a number gives its 15 digits, no
  exponent, no ``.0``; a zero-padded number format such as ``00000`` or ``0#########``
  restores the leading zeros of postal codes and phone numbers), other floats ``repr``,
  booleans ``TRUE``/``FALSE``, empty cells ``""``. Fully empty rows are skipped.
- Cell comments (which read-only openpyxl does not give): one :class:`TextUnit` per sheet,
  ``comments <SheetName>``, a ``B12: text`` line per comment
  (:mod:`breachscope.extract.xlsx_comments`).
- Pivot caches (a copy of every source row of a pivot table, kept when the source sheet is
  gone): a table ``pivot cache N`` each (:mod:`breachscope.extract.xlsx_pivot`).
- Cached cells of external links (another workbook's cells this one's formulas read; the
  link is never followed): ``external link N`` text units
  (:mod:`breachscope.extract.xlsx_links`).
- Chart titles and labels, SmartArt words: ``chart N`` / ``diagram N`` text units
  (:mod:`breachscope.extract.drawing_text`).
- Embedded objects (``xl/embeddings/*``: a Word letter, a PDF, an OLE package wrapping a
  file) and pictures (``xl/media/*``) are yielded after the sheets as members
  (:func:`~breachscope.extract._office.embedded_parts`): ``export.xlsx!/image1.png``.
- Errors (not a zip, truncated, broken XML...) become :class:`ExtractionError` with a reason
  that names the failure, never a cell value.
"""

from __future__ import annotations

import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from itertools import chain, islice
from pathlib import Path
from xml.etree.ElementTree import ParseError

import openpyxl.xml
from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from breachscope.extract._office import cell_text, check_zip, embedded_parts
from breachscope.extract._table import HEADER_SEARCH_ROWS, find_header, span, table_chunks
from breachscope.extract.drawing_text import drawing_text_units
from breachscope.extract.units import EmbeddedFile, ExtractionError, TableUnit, TextUnit
from breachscope.extract.xlsx_comments import comment_units
from breachscope.extract.xlsx_links import link_units
from breachscope.extract.xlsx_pivot import pivot_units
from breachscope.extract.xlsx_rows import FALLBACK, SheetRows, fast_open

# Zip bombs dressed as workbooks are refused by ``_office.check_zip`` (its limits).

# Exceptions whose message describes the file's structure, never its content.
_SAFE_MESSAGES = (zipfile.BadZipFile, zlib.error, EOFError, ParseError, InvalidFileException,
                  KeyError)
_PADDED_FORMAT = re.compile(r"^[0#]*0[0#]*$")
_EMBEDDED = ("xl/embeddings/", "xl/media/")


def partition_xlsx(path: Path) -> Iterator[TableUnit | TextUnit | EmbeddedFile]:
    """Stream every worksheet of the workbook at ``path``: per sheet, the title rows as text
    and the data as :class:`TableUnit` chunks of at most ``CHUNK_ROWS`` rows; then the
    embedded objects and pictures."""
    path = Path(path)
    if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - defusedxml is a dependency
        raise ExtractionError("xlsx not read: defusedxml is not installed")
    members = check_zip(path, "xlsx")
    yield from _sheets(path)
    yield from comment_units(path)
    yield from pivot_units(path)
    yield from link_units(path)
    yield from drawing_text_units(path, "xl/")
    yield from embedded_parts(path, "xlsx", members, _EMBEDDED)


def _sheets(path: Path) -> Iterator[TableUnit | TextUnit]:
    try:
        # A file object, not the path: openpyxl would refuse a name not ending in .xlsx, and
        # a workbook in a leak may be named anything.
        with warnings.catch_warnings(), path.open("rb") as handle:
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            with fast_open():  # sheet sizes and shared strings read by the C parser
                workbook = load_workbook(handle, read_only=True, data_only=True,
                                         keep_links=False, keep_vba=False)
            try:
                for sheet in workbook.worksheets:
                    yield from _partition_sheet(sheet)
            finally:
                workbook.close()
    except ExtractionError:
        raise
    except MemoryError:
        raise
    except GeneratorExit:
        raise
    except Exception as exc:
        if _refused(exc):
            raise ExtractionError("xlsx refused: XML entity declaration (possible XML bomb)"
                                  ) from None
        raise ExtractionError(f"corrupt xlsx: {_describe(exc)}") from None


def _refused(exc: BaseException | None) -> bool:
    """Whether defusedxml refused an entity or DTD somewhere in ``exc``'s chain (openpyxl
    wraps parse errors in its own ``ValueError``)."""
    for _ in range(10):
        if exc is None:
            return False
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _SAFE_MESSAGES) and str(exc):
        return str(exc).strip("'\"")[:120]
    return type(exc).__name__


def _partition_sheet(sheet) -> Iterator[TableUnit | TextUnit]:  # type: ignore[no-untyped-def]
    name = f"sheet {sheet.title}"
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # the stored dimension is often wrong: read every row
    rows = _rows(sheet)
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    if not head:
        return
    header_index, data_start = find_header([cells for _, cells in head])
    header = head[header_index][1] if header_index is not None else []

    title_end = header_index if header_index is not None else data_start
    if title_end:
        lines = [""] * (head[title_end - 1][0])
        for number, cells in head[:title_end]:
            lines[number - 1] = " ".join(c for c in cells if c)
        yield TextUnit(text="\n".join(lines), name=name, first_line=1)

    yield from table_chunks(name, header, chain(head[data_start:], rows))


def _rows(sheet) -> Iterator[tuple[int, list[str]]]:  # type: ignore[no-untyped-def]
    """Non-empty rows as ``(excel row number, cells)``, trailing empty cells dropped: read by
    :class:`~breachscope.extract.xlsx_rows.SheetRows` (the same rows as openpyxl's reader,
    several times faster), or by openpyxl's reader when the sheet has a DTD."""
    if not hasattr(sheet, "_get_source"):  # not a read-only worksheet
        yield from _string_rows(sheet)
        return
    fast = iter(SheetRows(sheet, _padded))
    try:
        first = next(fast)
    except StopIteration:
        return
    except FALLBACK:
        yield from _string_rows(sheet)
        return
    yield first
    yield from fast


def _string_rows(sheet) -> Iterator[tuple[int, list[str]]]:  # type: ignore[no-untyped-def]
    """Non-empty rows as ``(excel row number, cells)``, trailing empty cells dropped, read by
    openpyxl's own reader (``defusedxml``: a DTD's entities are refused)."""
    number = 0
    for row in sheet.iter_rows():
        number += 1
        for cell in row:
            real = getattr(cell, "row", None)
            if real:
                number = real
                break
        cells = [_cell_text(cell) for cell in row]
        end = span(cells)
        if end:
            yield number, cells[:end]


def _cell_text(cell) -> str:  # type: ignore[no-untyped-def]
    """The cell as text (:func:`~breachscope.extract._office.cell_text`), integers with the
    leading zeros their number format displays."""
    value = cell.value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _padded(value, cell.number_format)
    return cell_text(value)


def _padded(value: int, number_format: str | None) -> str:
    """``value`` as digits, with the leading zeros a ``00000``-like format displays."""
    digits = str(value)
    if value >= 0 and number_format:
        fmt = number_format.replace(" ", "").replace("\\", "").replace('"', "")
        if _PADDED_FORMAT.match(fmt):
            return digits.zfill(len(fmt) - fmt.index("0"))
    return digits
