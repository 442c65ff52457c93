"""Helpers shared by the table extractors (delimited text, spreadsheets): finding the header
row under title lines and naming columns. Rows here are lists of already-trimmed strings."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa

from breachscope.extract._arrow_table import (
    ArrowRows,
    ArrowTableUnit,
    row_chars,
    rows_to_columns,
)
from breachscope.extract.units import TableUnit, TextUnit

#: How many leading non-empty rows are examined to find the header.
HEADER_SEARCH_ROWS = 30

#: A hostile file can have one row with a million delimiters: columns beyond this are not
#: table columns (their cells are kept as text, see :func:`table_chunks`).
MAX_COLUMNS = 1024

#: Rows per :class:`TableUnit`: a long table is emitted as consecutive chunks.
CHUNK_ROWS = 20_000
#: ...and characters per chunk (rows of huge cells make smaller chunks).
CHUNK_CHARS = 16 * 1024 * 1024

_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T].*)?$")
_NUMBER_LIKE = re.compile(r"^[-+]?[\d\s.,]+%?$")
_SPACES = re.compile(r"\s+")


def span(row: Sequence[str]) -> int:
    """Index after the last non-empty cell (0 for an empty row)."""
    for i in range(len(row) - 1, -1, -1):
        if row[i]:
            return i + 1
    return 0


def is_label(cell: str) -> bool:
    """Does this cell read like a column label (``NOM``, ``Date de naissance``, ``Tél. 1``)
    rather than a value (a number, a date, an e-mail, a long sentence)?"""
    if not cell or len(cell) > 80 or "@" in cell:
        return False
    if _NUMBER_LIKE.match(cell) or _DATE_LIKE.match(cell):
        return False
    letters = sum(ch.isalpha() for ch in cell)
    digits = sum(ch.isdigit() for ch in cell)
    return letters > 0 and digits <= letters


def _typical_width(rows: Sequence[Sequence[str]]) -> int:
    spans = [span(r) for r in rows]
    spans = [s for s in spans if s >= 2] or [s for s in spans if s] or [0]
    counts = Counter(spans)
    best = max(counts.values())
    return max(s for s, c in counts.items() if c == best)


def _is_header_like(row: Sequence[str], width: int) -> bool:
    cells = [c for c in row if c]
    if not cells:
        return False
    need = 1 if width <= 1 else max(2, -(-width * 6 // 10))  # ceil(0.6 * width)
    if len(cells) < need:
        return False
    labels = sum(is_label(c) for c in cells)
    if labels < len(cells) * 0.8:
        return False
    return len(set(cells)) * 2 >= len(cells)  # labels are mostly distinct; ``Oui;Oui;Oui`` is data


def find_header(rows: Sequence[Sequence[str]]) -> tuple[int | None, int]:
    """Look at the first rows of a table (blank rows included) and return
    ``(header_index, data_start)``: the index of the header row (None when no row looks like
    one) and the index of the first data row. Rows before ``data_start`` that are not the
    header are titles (``Export du 12/02/2024``) or blank.

    A header is the first row whose cells are mostly non-empty, mostly distinct text labels, wide
    enough for the table (at least 60 % of its typical width), and not followed by a
    much wider row (a title above the real header is narrower than what follows it)."""
    head = [r for r in rows[: HEADER_SEARCH_ROWS * 2] if span(r)][:HEADER_SEARCH_ROWS]
    if not head:
        return None, len(rows)
    width = _typical_width(head)
    for i, row in enumerate(rows[: HEADER_SEARCH_ROWS * 2]):
        row_span = span(row)
        if not row_span or not _is_header_like(row, width):
            continue
        following = next((span(r) for r in rows[i + 1 :] if span(r)), None)
        if following is not None and following > row_span + max(1, row_span // 4):
            continue
        return i, i + 1
    # No header: data starts at the first row that is not a narrow title line.
    for i, row in enumerate(rows):
        row_span = span(row)
        if row_span and (width <= 2 or sum(1 for c in row if c) >= 2):
            return None, i
    return None, len(rows)


def clean_label(cell: str) -> str:
    """A header cell on one line with single spaces (``Date de\\nnaissance``)."""
    return _SPACES.sub(" ", cell).strip()


def column_names(header: Sequence[str], width: int) -> list[str]:
    """Column names for a table ``width`` wide: the header's labels, ``colN`` (1-based) for
    missing or empty ones, ``NAME_2``... for repeated ones."""
    names: list[str] = []
    seen: set[str] = set()
    for i in range(width):
        name = clean_label(header[i]) if i < len(header) else ""
        name = name or f"col{i + 1}"
        base, n = name, 1
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        names.append(name)
    return names


def table_width(header: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """Columns needed to keep every non-empty cell: the header's width, widened when data rows
    carry non-empty cells beyond it (an unquoted delimiter in an address shifts a row), capped
    at :data:`MAX_COLUMNS`."""
    width = span(header)
    for row in rows:
        if len(row) > width:
            width = max(width, span(row))
    return min(width, MAX_COLUMNS)


def table_chunks(name: str, header: Sequence[str],
                 items: Iterable[tuple[int, list[str]] | ArrowRows
                                 | Iterable[TableUnit | TextUnit]],
                 ) -> Iterator[TableUnit | TextUnit]:
    """Stream a table's data rows as :class:`TableUnit` chunks of at most :data:`CHUNK_ROWS`
    rows (and about :data:`CHUNK_CHARS` characters), all with the same ``name`` and column
    names.

    ``items`` are data rows ``(row number, cells)`` (blank rows already left out), blocks of
    such rows read by Arrow (:class:`~breachscope.extract._arrow_table.ArrowRows`, from
    plain CSV text) or, between them, iterables of units produced in place (a line too long
    for a table, read as text): those are yielded as they come. The width is the header's,
    widened by the first chunk's rows (capped at :data:`MAX_COLUMNS`); non-empty cells of any
    row beyond it are not dropped: they become a :class:`TextUnit` (same ``name``,
    ``first_line`` = the row number) after the chunk. A table without data rows still gives
    one (empty) unit. A chunk holding Arrow rows is an
    :class:`~breachscope.extract._arrow_table.ArrowTableUnit`, the same rows and numbers as
    a ``TableUnit`` made of the same cells as lists."""
    chunk = _Chunk(name, header)
    for item in items:
        if isinstance(item, tuple):
            chunk.lists.append(item)
            chunk.count += 1
            chunk.chars += sum(map(len, item[1]))
            if chunk.count >= CHUNK_ROWS or chunk.chars > CHUNK_CHARS:
                yield from chunk.flush()
        elif isinstance(item, ArrowRows):
            yield from chunk.add_arrow(item)
        else:
            yield from item
    if chunk.count or chunk.names is None:
        yield from chunk.flush()


class _Chunk:
    """The rows of the chunk being filled: runs of list rows and Arrow blocks, in order."""

    def __init__(self, name: str, header: Sequence[str]) -> None:
        self.name = name
        self.header = header
        self.names: list[str] | None = None
        self.pieces: list[list[tuple[int, list[str]]] | ArrowRows] = []
        self.lists: list[tuple[int, list[str]]] = []  # the current run of list rows
        self.count = 0
        self.chars = 0

    def add_arrow(self, rows: ArrowRows) -> Iterator[TableUnit | TextUnit]:
        """Add Arrow rows, flushing where one list row at a time would have flushed."""
        while len(rows):
            room = CHUNK_ROWS - self.count
            lengths = row_chars(rows.table).to_numpy(zero_copy_only=False)
            cumulative = lengths.cumsum() + self.chars
            over = int((cumulative > CHUNK_CHARS).argmax()) + 1 if (
                cumulative[-1] > CHUNK_CHARS) else None
            take = min(room, over) if over is not None else room
            if take > len(rows):  # no limit reached in these rows
                self._close_run()
                self.pieces.append(rows)
                self.count += len(rows)
                self.chars = int(cumulative[-1])
                return
            self._close_run()
            self.pieces.append(rows.slice(0, take))
            self.count += take
            self.chars = int(cumulative[take - 1])
            yield from self.flush()
            rows = rows.slice(take)

    def _close_run(self) -> None:
        if self.lists:
            self.pieces.append(self.lists)
            self.lists = []

    def flush(self) -> Iterator[TableUnit | TextUnit]:
        self._close_run()
        pieces, self.pieces, self.count, self.chars = self.pieces, [], 0, 0
        lists = [piece for piece in pieces if not isinstance(piece, ArrowRows)]
        if self.names is None:
            width = table_width(self.header, [c for piece in lists for _, c in piece])
            for piece in pieces:
                if isinstance(piece, ArrowRows) and piece.table.num_columns > width:
                    width = max(width, min(piece.span(), MAX_COLUMNS))
            self.names = column_names(self.header, width or 1)
        width = len(self.names)
        if len(lists) == len(pieces):
            batch = [row for piece in lists for row in piece]
            # A row no wider than the table is handed over as it is (no copy per row).
            yield TableUnit(header=self.names, rows=[
                cells if len(cells) <= width else cells[:width] for _, cells in batch],
                name=self.name, row_numbers=[number for number, _ in batch])
        else:
            yield self._arrow_unit(pieces, width)
        for piece in pieces:
            if isinstance(piece, ArrowRows):
                yield from piece.overflow(width, self.name)
                continue
            for number, cells in piece:
                if len(cells) > width and span(cells) > width:
                    extra = " ".join(c for c in cells[width:] if c)
                    yield TextUnit(text=extra, name=self.name, first_line=number)

    def _arrow_unit(self, pieces: list[list[tuple[int, list[str]]] | ArrowRows],
                    width: int) -> ArrowTableUnit:
        parts: list[list[pa.Array]] = []
        numbers: list[pa.Array] = []
        for piece in pieces:
            if isinstance(piece, ArrowRows):
                parts.append(piece.columns(width))
                numbers.append(piece.numbers)
            else:
                parts.append(rows_to_columns([c[:width] for _, c in piece], width))
                numbers.append(pa.array([n for n, _ in piece], pa.int64()))
        columns = [pa.concat_arrays([part[j] for part in parts]) if len(parts) > 1
                   else parts[0][j] for j in range(width)]
        return ArrowTableUnit(list(self.names or []), columns, self.name,
                              pa.concat_arrays(numbers) if len(numbers) > 1 else numbers[0])
