"""Excel 97-2003 workbooks (``.xls``, BIFF in an OLE compound file) → a table per sheet.

- ``xlrd`` (BSD; since 2.0 it reads ``.xls`` only, which is what it is used for here): pure
  Python, so a hostile file can make it fail or run long (the worker's time limit) but not
  corrupt memory. Formulas are never evaluated (the cached values are read), macros never run.
  It is chosen over calamine for ``.xls`` because it gives each cell's number format: dates
  are told from numbers the way Excel does, and a zero-padded format (``00000``) restores the
  leading zeros of postal codes and phone numbers stored as numbers.
- A BIFF8 sheet has at most 65 536 rows × 256 columns: xlrd holds one sheet at a time
  (``on_demand``, each sheet unloaded after use), so memory is bounded by the file itself.
- Every worksheet, ``name`` ``sheet <Name>``, ``row_numbers`` the Excel row numbers; header
  found under title rows as for XLSX (:mod:`breachscope.extract.spreadsheet`); cells as
  strings (dates ``YYYY-MM-DD``, integers without ``.0``: a 15-digit NIR stored as a number
  comes out whole); tables in chunks of at most ``CHUNK_ROWS`` rows.
- xlrd's diagnostics go to a sink, never to the terminal (they may quote the content);
  failures become :class:`ExtractionError` with a reason naming the failure only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import xlrd
from xlrd.compdoc import CompDocError

from breachscope.extract._office import cell_text, sheet_units, trimmed
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit, extraction_error

_PADDED_FORMAT = re.compile(r"^[0#]*0[0#]*$")


class _Sink:
    """A log file that drops everything: xlrd's warnings may quote cell values."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass


ENCRYPTED = "xls encrypted (password protected)"


def partition_xls(path: Path) -> Iterator[TableUnit | TextUnit]:
    """Stream every worksheet of the ``.xls`` workbook at ``path``: per sheet, the title rows
    as text and the data as :class:`TableUnit` chunks."""
    try:
        book = xlrd.open_workbook(str(path), logfile=_Sink(), formatting_info=True,
                                  on_demand=True, ragged_rows=True)
    except Exception as exc:
        reason = _reason(exc)
        if reason == ENCRYPTED:  # opened with the scan's passwords, if one fits
            from breachscope.extract.office_crypto import partition_decrypted

            yield from partition_decrypted(path, "xls")
            return
        raise extraction_error(reason) from None
    try:
        for index in range(book.nsheets):
            try:
                sheet = book.sheet_by_index(index)
            except Exception as exc:
                raise extraction_error(_reason(exc)) from None
            yield from sheet_units(f"sheet {sheet.name}", _rows(book, sheet))
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ExtractionError):
        return str(exc)
    message = str(exc).lower()
    if "encrypt" in message or "password" in message:
        return ENCRYPTED
    if isinstance(exc, CompDocError):
        return "corrupt xls: damaged compound file"
    if isinstance(exc, xlrd.XLRDError):
        if "unsupported format" in message or "not supported" in message:
            return "corrupt xls: not a BIFF workbook"
        return "corrupt xls"
    return f"corrupt xls: {type(exc).__name__}"


def _rows(book: xlrd.Book, sheet: xlrd.sheet.Sheet) -> Iterator[tuple[int, list[str]]]:
    formats = _padding_by_xf(book)
    for rowx in range(sheet.nrows):
        cells = [
            _cell(book, cell, formats) for cell in sheet.row_slice(rowx)
        ]
        cells = trimmed(cells)
        if cells:
            yield rowx + 1, cells


def _padding_by_xf(book: xlrd.Book) -> dict[int, int]:
    """For each cell style (XF index) whose number format pads integers with zeros
    (``00000``), the number of digits shown."""
    cache = getattr(book, "_breachscope_padding", None)
    if cache is not None:
        return cache
    padding: dict[int, int] = {}
    for index, xf in enumerate(book.xf_list):
        fmt = book.format_map.get(xf.format_key)
        if fmt is None or not fmt.format_str:
            continue
        text = fmt.format_str.replace(" ", "").replace("\\", "").replace('"', "")
        if _PADDED_FORMAT.match(text):
            padding[index] = len(text) - text.index("0")
    book._breachscope_padding = padding  # type: ignore[attr-defined]
    return padding


def _cell(book: xlrd.Book, cell: xlrd.sheet.Cell, padding: dict[int, int]) -> str:
    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if kind == xlrd.XL_CELL_ERROR:
        return ""
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if kind == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
            if 0 <= cell.value < 1:  # a time of day without a date
                return cell_text(moment.time())
            return cell_text(moment)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell_text(cell.value)
    if kind == xlrd.XL_CELL_NUMBER:
        value = cell.value
        text = cell_text(value)
        width = padding.get(cell.xf_index or 0)
        if width and isinstance(value, float) and value.is_integer() and value >= 0:
            return text.zfill(width)
        return text
    return cell_text(cell.value)
