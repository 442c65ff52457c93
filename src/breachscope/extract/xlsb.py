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
- Not read: cell comments (``xl/comments*.bin``, BIFF12 records calamine does not expose).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from breachscope.extract._office import check_zip, embedded_parts
from breachscope.extract.ods import partition_calamine
from breachscope.extract.units import EmbeddedFile, TableUnit, TextUnit

_EMBEDDED = ("xl/embeddings/", "xl/media/")


def partition_xlsb(path: Path) -> Iterator[TableUnit | TextUnit | EmbeddedFile]:
    """Stream every worksheet of the ``.xlsb`` workbook at ``path``, then its embedded
    objects and pictures."""
    path = Path(path)
    yield from partition_calamine(path, "xlsb")
    yield from embedded_parts(path, "xlsb", check_zip(path, "xlsb"), _EMBEDDED)
