"""Helpers shared by the office-document extractors (ODS, XLS, DOCX, ODT, RTF, DOC): the
zip-bomb check for zip-based formats, sheet layout (title rows, header, chunks) from rows
already turned into strings, and cell values as strings."""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path

from breachscope.extract._table import HEADER_SEARCH_ROWS, find_header, span, table_chunks
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit

#: Refuse zip-based documents whose parts inflate beyond this (zip bombs dressed as office
#: files), as :mod:`breachscope.extract.spreadsheet` does for XLSX...
MAX_UNCOMPRESSED = 4 * 1024**3
#: ...or inflate more than this ratio once past :data:`RATIO_FLOOR` bytes.
MAX_RATIO = 200
RATIO_FLOOR = 100 * 1024**2
#: Parts parsed whole into a tree (DOCX and ODT XML parts) may not inflate beyond this.
MAX_PARSED_PART = 512 * 1024**2


def check_zip(path: Path, kind: str, parsed: Iterable[str] = ()) -> list[zipfile.ZipInfo]:
    """Refuse a zip-based ``kind`` file that is not a zip or would inflate too much; the
    members named in ``parsed`` (XML parts a library loads whole) have their own limit.
    Returns the members."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"corrupt {kind}: {str(exc)[:120]}") from None
    inflated = sum(m.file_size for m in members)
    compressed = sum(m.compress_size for m in members) or 1
    if inflated > MAX_UNCOMPRESSED or (
        inflated > RATIO_FLOOR and inflated / compressed > MAX_RATIO
    ):
        raise ExtractionError(
            f"{kind} refused: {inflated // 1024**2} MiB uncompressed "
            f"(ratio {inflated // compressed})"
        )
    wanted = set(parsed)
    for member in members:
        if member.filename in wanted and member.file_size > MAX_PARSED_PART:
            raise ExtractionError(
                f"{kind} refused: part {member.filename} is {member.file_size // 1024**2} MiB"
            )
    return members


def odf_encrypted(path: Path) -> bool:
    """Whether the OpenDocument file at ``path`` is password protected: its manifest (a small
    part, read up to 1 MiB) gives parts ``encryption-data``."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("META-INF/manifest.xml") as part:
            return b"encryption-data" in part.read(1 << 20)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
            zlib.error):
        return False


def cell_text(value: object) -> str:
    """A cell value read by a spreadsheet library as a string: dates ``YYYY-MM-DD`` (the time
    only when it is not midnight), integral numbers as digits (a NIR stored as a number gives
    its 15 digits, no exponent, no ``.0``), other floats ``repr``, booleans ``TRUE``/``FALSE``,
    ``None`` as ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def sheet_units(name: str, rows: Iterator[tuple[int, list[str]]]
                ) -> Iterator[TableUnit | TextUnit]:
    """One sheet's units from its non-empty rows ``(row number, cells)``: the title rows
    above the header as a :class:`TextUnit` (line numbers = row numbers), then the table in
    chunks (see :func:`~breachscope.extract._table.table_chunks`)."""
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    if not head:
        return
    header_index, data_start = find_header([cells for _, cells in head])
    header = head[header_index][1] if header_index is not None else []
    title_end = header_index if header_index is not None else data_start
    if title_end:
        lines = [""] * head[title_end - 1][0]
        for number, cells in head[:title_end]:
            lines[number - 1] = " ".join(c for c in cells if c)
        yield TextUnit(text="\n".join(lines), name=name, first_line=1)
    yield from table_chunks(name, header, chain(head[data_start:], rows))


def trimmed(cells: list[str]) -> list[str]:
    """``cells`` without its trailing empty cells."""
    end = span(cells)
    return cells if end == len(cells) else cells[:end]
