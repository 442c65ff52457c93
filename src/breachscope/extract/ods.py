"""OpenDocument spreadsheets (``.ods``) → a table per sheet, in chunks.

- ``python-calamine`` (MIT; bindings to the Rust ``calamine`` crate, maintained, memory-safe
  and fast): it reads ``content.xml`` with ``quick-xml``, which expands no custom entity and
  fetches nothing, so XML bombs and external entities are inert. It is chosen over ``odfpy``
  for spreadsheets because odfpy builds a Python object per XML node (hundreds of bytes
  each) and leaves ``number-rows-repeated``/``number-columns-repeated`` to the caller;
  calamine gives typed cells (dates as dates, numbers as floats) directly.
- calamine holds one workbook's cells in memory (Rust values, a few tens of bytes each); the
  zip is checked first (:func:`~breachscope.extract._office.check_zip`: size and ratio
  limits) and the worker's memory limit bounds the rest. Rows are turned into strings and
  emitted in chunks of at most ``CHUNK_ROWS``.
- Every worksheet, ``name`` ``sheet <Name>``, ``row_numbers`` the spreadsheet's row numbers
  (calamine's range starts at the first used cell: its offset is added back), header found
  under title rows, cells as strings (dates ``YYYY-MM-DD``, integral numbers without ``.0``).
- Formulas are never evaluated: the values the spreadsheet stored are read; macros (Basic
  in ``Basic/``) are never loaded.
- Cell comments (``office:annotation``, which calamine does not read): ``comments
  <SheetName>`` units, a ``B12: text`` line per comment
  (:mod:`breachscope.extract.ods_comments`).
- Embedded objects (``Object N``: an OLE package, a text or sheet object) and pictures
  (``Pictures/*``) are yielded after the sheets as members
  (:func:`~breachscope.extract._office.embedded_parts`): ``patients.ods!/image1.png``.
- Failures become :class:`ExtractionError` with a fixed reason (calamine's messages may
  quote a piece of the XML, so they are not passed on).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import python_calamine as calamine

from breachscope.extract._office import (
    ODF_EMBEDDED,
    cell_text,
    check_zip,
    embedded_parts,
    odf_encrypted,
    sheet_units,
    trimmed,
)
from breachscope.extract.ods_comments import comment_units
from breachscope.extract.units import (
    EmbeddedFile,
    EncryptedContent,
    TableUnit,
    TextUnit,
    extraction_error,
)


def partition_ods(path: Path) -> Iterator[TableUnit | TextUnit | EmbeddedFile]:
    """Stream every sheet of the OpenDocument spreadsheet at ``path``, then its cell
    comments, embedded objects and pictures."""
    if odf_encrypted(Path(path)):  # opened with the scan's passwords, or recorded encrypted
        from breachscope.extract.odf_crypto import partition_odf_decrypted

        check_zip(Path(path), "ods", ("content.xml",))  # bounds before anything is read
        yield from partition_odf_decrypted(Path(path), "ods")
        return
    yield from partition_calamine(Path(path), "ods")
    yield from comment_units(Path(path))
    members = check_zip(Path(path), "ods")
    yield from embedded_parts(Path(path), "ods", members, ODF_EMBEDDED)


def partition_calamine(path: Path, kind: str) -> Iterator[TableUnit | TextUnit]:
    """Every worksheet of a zip-based workbook calamine reads (``kind`` names it in
    reasons)."""
    check_zip(path, kind, ("content.xml",))
    if odf_encrypted(path):
        raise EncryptedContent(f"{kind} encrypted (password protected)")
    try:
        workbook = calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise extraction_error(_reason(exc, kind)) from None
    try:
        for meta in workbook.sheets_metadata:
            if str(meta.typ).rsplit(".", 1)[-1] not in ("WorkSheet", "Worksheet"):
                continue  # chart sheets, dialog and macro sheets hold no cells
            try:
                sheet = workbook.get_sheet_by_name(meta.name)
            except Exception as exc:
                raise extraction_error(_reason(exc, kind)) from None
            yield from sheet_units(f"sheet {meta.name}", _rows(sheet))
    finally:
        workbook.close()


def _reason(exc: BaseException, kind: str) -> str:
    if isinstance(exc, calamine.PasswordError):
        return f"{kind} encrypted (password protected)"
    if isinstance(exc, calamine.ZipError):
        return f"corrupt {kind}: damaged zip"
    if isinstance(exc, calamine.XmlError):
        return f"corrupt {kind}: malformed XML"
    return f"corrupt {kind}: {type(exc).__name__}"


def _rows(sheet: calamine.CalamineSheet) -> Iterator[tuple[int, list[str]]]:
    """Non-empty rows as ``(spreadsheet row number, cells)``, columns where the sheet has
    them. python-calamine's ``iter_rows`` has started its rows at the sheet's first row but
    its columns at the first used column: both cases are told apart here (the first row of
    the used range is never empty; a row of the whole width needs no padding), so a version
    that changes either keeps the numbers right."""
    (first_row, first_col), (_last_row, last_col) = sheet.start or (0, 0), sheet.end or (0, 0)
    rows = iter(sheet.iter_rows())
    head = next(rows, None)
    if head is None:
        return
    offset = first_row
    if first_row and not any(value not in ("", None) for value in head):
        offset = 0  # rows are numbered from the sheet's first row
    pad = [""] * first_col
    for index, row in enumerate(chain([head], rows)):
        cells = trimmed([cell_text(value) for value in row])
        if cells:
            if first_col and len(row) != last_col + 1:
                cells = pad + cells
            yield offset + index + 1, cells
