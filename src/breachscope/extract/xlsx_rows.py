"""The rows of one worksheet of a workbook opened by openpyxl (``read_only``, ``data_only``),
as strings, read faster than openpyxl's own row reader gives them.

Why: openpyxl's read-only reader parses a sheet with ``defusedxml``'s parser, a subclass of
the *pure-Python* ``ElementTree.XMLParser`` (one Python call per start tag, end tag and text),
then builds a dict and a ``ReadOnlyCell`` per cell: about 30 µs a cell, 90 % of an XLSX's
extraction time. Here the same sheet XML is parsed by the C ``XMLPullParser`` (the same expat,
its tree built in C) and each ``<row>`` element is turned into strings by the very steps of
openpyxl's ``WorkSheetParser.parse_row`` / ``parse_cell`` and ``ReadOnlyWorksheet._get_row``
(same shared strings, date and time-delta styles, epoch, number formats, all taken from the
openpyxl workbook), so the values, the row numbers and the errors are those openpyxl gives.
python-calamine was measured too (about 40 times faster than openpyxl on the throughput
dump's workbooks) but gives other values: error cells (``#N/A``) are lost, ``_x000D_`` escapes
are decoded, every number is a float (an integer beyond 2**53 loses digits), dates follow its
own reading of the number formats, and the formats themselves (the leading zeros of
``00000``) are not given: it is not used for workbooks.

Opening the workbook has the same cost in openpyxl: its shared strings and each sheet's size
(the ``<dimension>`` looked for through the whole sheet when there is none, as in the
workbooks openpyxl writes) are parsed by the same Python parser. :func:`fast_open` has
openpyxl use :func:`string_table` and :class:`SizedSheet` instead: the same steps on the C
parser.

Hostile XML: the C parser would expand entities a DTD declares, so a sheet whose prolog holds
a ``<!DOCTYPE`` (or that is not ASCII-compatible, where the prolog cannot be checked as bytes)
is read by openpyxl's own reader (:data:`FALLBACK`), whose ``defusedxml`` refuses entity
declarations. Without a DTD no entity can be declared, and an undeclared one is an XML error.
Memory: each row is cleared once read (as openpyxl does) and the rows already read are dropped
from their parent, so memory does not grow with the sheet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any
from xml.etree.ElementTree import Element, XMLPullParser

from openpyxl.cell.text import Text
from openpyxl.reader import excel
from openpyxl.reader.strings import read_string_table as _openpyxl_string_table
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.utils import column_index_from_string, coordinate_to_tuple
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import (
    DATA_TAG,
    DIMENSION_TAG,
    INLINE_STRING,
    ROW_TAG,
    VALUE_TAG,
    _cast_number,
)
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.constants import SHEET_MAIN_NS

from breachscope.extract._office import cell_text

#: Bytes read from the sheet at a time (openpyxl's ``iterparse`` reads 16 KiB too).
READ_SIZE = 16 * 1024
#: Bytes of the sheet searched for the end of its prolog (XML declaration, comments).
PROLOG_LIMIT = 64 * 1024

SHEET_DATA_TAG = DATA_TAG
_ROW_OR_DATA = (ROW_TAG, SHEET_DATA_TAG)
_T_TAG = f"{{{SHEET_MAIN_NS}}}t"
_SI_TAG = f"{{{SHEET_MAIN_NS}}}si"
# A plain coordinate, split as ``coordinate_to_tuple`` splits it (letters, then digits).
_COORDINATE = re.compile(r"([A-Z]{1,3})([0-9]+)").fullmatch
_COLUMNS = {column_letter: i for i, column_letter in enumerate(
    (a + b for a in ("", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ") for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    start=1) if i <= 702}
# The prolog before the root element: XML declaration, processing instructions, comments,
# blanks. What follows it is either the root element or a DOCTYPE.
_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)

#: ``spreadsheet._padded``: an integer as digits with the zeros its number format shows.
Padded = Callable[[int, str | None], str]


class FALLBACK(Exception):
    """The sheet must be read by openpyxl's own reader (a DTD, a non-ASCII encoding)."""


def plain_prolog(head: bytes) -> bool:
    """Whether the sheet's first bytes show its root element with no DOCTYPE before it."""
    if head[:2] in (b"\xfe\xff", b"\xff\xfe") or b"\x00" in head[:4]:
        return False  # UTF-16/32: the prolog is not readable as bytes
    end = _PROLOG.match(head).end()  # type: ignore[union-attr]
    return head[end:end + 1] == b"<" and head[end + 1:end + 2] not in (b"!", b"?", b"")


def _plain_head(source: IO[bytes]) -> bytes | None:
    """The first bytes of a sheet, or None when its prolog is not plain (see
    :func:`plain_prolog`)."""
    head = source.read(READ_SIZE)
    while len(head) < PROLOG_LIMIT and not plain_prolog(head):
        more = source.read(READ_SIZE)
        if not more:
            break
        head += more
    return head if plain_prolog(head) else None


class SizedSheet(ReadOnlyWorksheet):
    """openpyxl's read-only worksheet, its size (the ``<dimension>`` element openpyxl looks
    for when the workbook is opened) found by the C parser: openpyxl's ``parse_dimensions``
    runs its Python parser up to that element or, when the sheet has none (openpyxl's own
    write-only mode writes none), through the whole ``<sheetData>`` — as long as reading the
    rows. Same events, same result, same errors; a sheet with a DTD is sized by openpyxl."""

    def _get_size(self) -> None:
        with self._get_source() as source:
            head = _plain_head(source)
            dimensions = None if head is None else _dimensions(source, head)
        if head is None:
            super()._get_size()
        elif dimensions is not None:
            self._min_column, self._min_row, self._max_column, self._max_row = dimensions


def _events(source: IO[bytes], data: bytes,
            events: tuple[str, ...]) -> Iterator[tuple[str, Element]]:
    """The C parser's ``(event, element)`` pairs over ``data`` then the rest of ``source``, a
    block of :data:`READ_SIZE` at a time; a syntax error is raised after the events parsed
    before it (openpyxl gives the rows before a cut too). Stopping early reads no further."""
    parser = XMLPullParser(events=events)
    while True:
        try:
            parser.feed(data)
            failure = None
        except SyntaxError as exc:
            failure = exc
        yield from parser.read_events()
        if failure is not None:
            raise failure
        data = source.read(READ_SIZE)
        if not data:
            break
    parser.close()


def _dimensions(source: IO[bytes], data: bytes) -> tuple[int, int, int, int] | None:
    """``WorkSheetParser.parse_dimensions`` on the C parser."""
    for _event, element in _events(source, data, ("end",)):
        if element.tag == DIMENSION_TAG:
            return SheetDimension.from_tree(element).boundaries
        if element.tag == DATA_TAG:
            return None
        element.clear()
    return None


def string_table(source: IO[bytes]) -> list[str]:
    """openpyxl's ``read_string_table`` (the shared strings, read when a workbook is opened)
    on the C parser: each ``<si>``'s ``Text.content`` (a plain ``<si><t>`` read directly),
    ``x005F_`` removed, the same errors. A part with a DTD is read by openpyxl's."""
    head = _plain_head(source)
    if head is None:
        source.seek(0)
        return _openpyxl_string_table(source)  # type: ignore[no-any-return]
    strings: list[str] = []
    root: Element | None = None
    for event, node in _events(source, head, ("start", "end")):
        if event == "start":
            if root is None:
                root = node
            continue
        if node.tag != _SI_TAG:
            continue
        if len(node) == 1 and not node.attrib and node[0].tag == _T_TAG:
            text = node[0].text or ""
        else:
            text = Text.from_tree(node).content
        strings.append(text.replace("x005F_", ""))
        node.clear()
        if root is not None and len(root) > 64:
            del root[:-1]  # strings read: only the last may still be open
    return strings


@contextmanager
def fast_open() -> Iterator[None]:
    """While opening a workbook (``load_workbook(read_only=True)``), its worksheets are
    :class:`SizedSheet` and its shared strings are read by :func:`string_table`: openpyxl's
    reader takes both from its module (no thread opens workbooks in a worker beside this
    one)."""
    saved = excel.ReadOnlyWorksheet, excel.read_string_table
    excel.ReadOnlyWorksheet = SizedSheet  # type: ignore[misc]
    excel.read_string_table = string_table
    try:
        yield
    finally:
        excel.ReadOnlyWorksheet, excel.read_string_table = saved  # type: ignore[misc]


class SheetRows:
    """Rows of one read-only openpyxl worksheet as ``(row number, cells)``, the numbering
    and the cells of ``spreadsheet``'s reader over ``sheet.iter_rows()`` (see the module
    docstring)."""

    def __init__(self, sheet: Any, padded: Padded) -> None:
        workbook = sheet.parent
        self.sheet = sheet
        self.padded = padded
        self.shared_strings = sheet._shared_strings
        self.epoch = workbook.epoch
        self.date_formats = workbook._date_formats
        self.timedelta_formats = workbook._timedelta_formats
        self.cell_styles = workbook._cell_styles
        self.number_formats = workbook._number_formats
        self.row_counter = 0
        self.col_counter = 0
        self.parent: Element | None = None  # <sheetData>, whose read rows are dropped

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        """Raises :class:`FALLBACK` before any row when the sheet needs openpyxl's reader."""
        with self.sheet._get_source() as source:
            head = _plain_head(source)
            if head is None:
                raise FALLBACK
            yield from self._rows(source, head)

    def _rows(self, source: IO[bytes], data: bytes) -> Iterator[tuple[int, list[str]]]:
        """``ReadOnlyWorksheet._cells_by_row`` with ``min_row=1``, no maximum, and
        ``spreadsheet._string_rows``' numbering: rows missing between two rows count as
        empty rows, a row given again (or out of order) is skipped."""
        counter = 1
        number = 0
        self.parent = None
        # the rows before a syntax error are given first
        for event, element in _events(source, data, ("start", "end")):
            tag = element.tag
            if tag not in _ROW_OR_DATA:
                continue
            if tag == SHEET_DATA_TAG:
                if event == "start":
                    self.parent = element
                continue
            if event != "end":
                continue
            idx, cells = self.parse_row(element)
            element.clear()
            parent = self.parent
            if parent is not None and len(parent) > 64:
                del parent[:-1]  # rows read: only the open one may still be filled
            number += idx - counter if idx > counter else 0
            counter = max(counter, idx)
            if counter <= idx:
                counter += 1
                number += 1
                real, texts = self.get_row(cells)
                if real:
                    number = real
                if texts:
                    yield number, texts

    def parse_row(self, row: Element) -> tuple[int, list[tuple[int, int, Any, int | str]]]:
        """``WorkSheetParser.parse_row``: the row's index and its cells as
        ``(row, column, value, style id)``."""
        r = row.get("r")
        if r is not None:
            try:
                self.row_counter = int(r)
            except ValueError:
                val = float(r)
                if val.is_integer():
                    self.row_counter = int(val)
                else:
                    raise ValueError(f"{r} is not a valid row number") from None
        else:
            self.row_counter += 1
        self.col_counter = 0
        return self.row_counter, [self.parse_cell(el) for el in row]

    def parse_cell(self, element: Element) -> tuple[int, int, Any, int | str]:
        """``WorkSheetParser.parse_cell`` in ``data_only`` mode (no rich text). The usual
        cell (a coordinate, a string or a number without a date style) takes the first
        branches."""
        get = element.get
        data_type = get("t", "n")
        coordinate = get("r")
        style_id: int | str = get("s", 0)
        if style_id:
            style_id = int(style_id)
        value: Any = None if data_type == "inlineStr" else (
            element.findtext(VALUE_TAG, None) or None)
        if coordinate:
            m = _COORDINATE(coordinate)
            if m is not None:
                letters, digits = m.groups()
                row, column = int(digits), _COLUMNS.get(letters) or column_index_from_string(
                    letters)
            else:
                row, column = coordinate_to_tuple(coordinate)
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        if value is not None:
            if data_type == "s":
                value = self.shared_strings[int(value)]
            elif data_type == "n":
                value = _cast_number(value)
                if style_id in self.date_formats:
                    try:
                        value = from_excel(value, self.epoch,
                                           timedelta=style_id in self.timedelta_formats)
                    except (OverflowError, ValueError):
                        value = "#VALUE!"
            elif data_type == "b":
                value = bool(int(value))
            elif data_type == "d":
                value = from_ISO8601(value)
        elif data_type == "inlineStr":
            child = element.find(INLINE_STRING)
            if child is not None:
                if len(child) == 1 and not child.attrib and child[0].tag == _T_TAG:
                    value = child[0].text or ""  # Text.content of a plain <is><t>
                else:
                    value = Text.from_tree(child).content
        return row, column, value, style_id

    def get_row(self, cells: list[tuple[int, int, Any, int | str]]
                ) -> tuple[int, list[str]]:
        """``ReadOnlyWorksheet._get_row`` (``min_col=1``, no maximum) as strings:
        ``(row of the first placed cell with one, cells)``, trailing empty cells dropped."""
        if not cells:
            return 0, []
        width = cells[-1][1]
        previous = 0
        for cell in cells:
            if not previous < cell[1]:
                break
            previous = cell[1]
        else:  # the usual row: columns in order, each once
            return self.texts(cells)
        placed: list[tuple[int, int, Any, int | str]] = []
        at: dict[int, int] = {}
        for cell in cells:  # a later cell of a column replaces the earlier one
            column = cell[1]
            if 1 <= column <= width:
                if column in at:
                    placed[at[column]] = cell
                else:
                    at[column] = len(placed)
                    placed.append(cell)
        placed.sort(key=lambda cell: cell[1])
        return self.texts(placed)

    def texts(self, cells: list[tuple[int, int, Any, int | str]]) -> tuple[int, list[str]]:
        """Cells of distinct columns in order, as the strings of a row with the columns
        between them empty: ``(row of the first cell with one, cells)``, trailing empty
        cells dropped."""
        real = 0
        texts: list[str] = []
        end = 0
        text_of = self.text
        for row, column, value, style_id in cells:
            if len(texts) < column - 1:
                texts.extend([""] * (column - 1 - len(texts)))
            if not real and row:
                real = row
            text = value.strip() if value.__class__ is str else text_of(value, style_id)
            texts.append(text)
            if text:
                end = len(texts)
        return real, texts[:end]

    def text(self, value: Any, style_id: int | str) -> str:
        """``spreadsheet._cell_text`` of a ``ReadOnlyCell``: integers (and integral floats)
        with the leading zeros of their number format."""
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return self.padded(value, self.number_format(style_id))
        return cell_text(value)

    def number_format(self, style_id: int | str) -> str | None:
        """``ReadOnlyCell.number_format``."""
        _id = self.cell_styles[style_id].numFmtId  # type: ignore[index]
        if _id < BUILTIN_FORMATS_MAX_SIZE:
            return BUILTIN_FORMATS.get(_id, "General")
        return self.number_formats[_id - BUILTIN_FORMATS_MAX_SIZE]


