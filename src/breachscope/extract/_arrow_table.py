"""Plain delimited text read by Arrow's CSV reader, and the table unit that holds it as Arrow
columns (issue 15: the table path, session 9).

Splitting a large export's lines and cells with ``str.split``, then chunking, padding and
transposing Python lists was over half of a big CSV's worker time once detection had become
columnar. A *plain* block (:func:`breachscope.extract.delimited._plain_rows`: no quote, no
lone ``\\r``, no line too long) whose cells need no trimming, with no blank line and the same
number of cells on every line, is parsed here by ``pyarrow.csv`` (in C) into string columns:
with quoting off and no value read as null, its cells are exactly the pieces ``str.split``
gives. Any other block keeps the Python split (:func:`read_plain_block` returns None), so the
rows and their line numbers never depend on which reader read them.

:class:`ArrowTableUnit` is a :class:`~breachscope.extract.units.TableUnit` whose cells stay
Arrow arrays: detection (``detect/tables.py``) dictionary-encodes them without ever making a
Python string per cell; ``rows``, ``row_numbers`` and :meth:`column` still read as a
``TableUnit``'s, built on demand, for every other reader.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from breachscope.extract.units import TableUnit, TextUnit

#: At most this many columns are read by Arrow (a wider block keeps the Python split).
MAX_ARROW_COLUMNS = 1024


def read_plain_block(block: str, delimiter: str) -> pa.Table | None:
    """The lines of a plain ``block`` (separated by ``\\n`` or ``\\r\\n``, no final line
    break, no quote, no lone ``\\r``) as string columns ``c0..cN``, or None when Arrow would
    not give exactly what ``[line.split(delimiter) for line in block.split("\\n")]`` gives
    (after ``\\r\\n`` became ``\\n``): a blank line (Arrow
    skips it, the line count would drift), lines with different numbers of cells, or an
    encoding error. Cells are not trimmed (:func:`trimmed`)."""
    if (not block or block[0] == "\n" or block.startswith("\r\n") or "\n\n" in block
            or "\n\r\n" in block or block[-1] in "\r\n"):
        return None
    newline = block.find("\n")
    width = (block[:newline] if newline >= 0 else block).count(delimiter) + 1
    if width > MAX_ARROW_COLUMNS:
        return None
    try:
        data = block.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: Arrow strings cannot hold it
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        return pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           block_size=max(len(data) + 1, 1 << 16)),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=False, double_quote=False, escape_char=False,
                newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False,
                check_utf8=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        return None  # ragged lines (the message quotes a line: never shown)


#: ``str.strip``'s whitespace (every character ``str.isspace`` accepts; a test holds the
#: two equal): what :func:`trimmed` removes at both ends of a cell, as ``str.strip`` does.
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
                 "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def trimmed(table: pa.Table) -> pa.Table:
    """Every cell ``str.strip``-ped (Arrow's ``utf8_trim`` with Python's whitespace)."""
    return pa.Table.from_arrays([pc.utf8_trim(column, PY_WHITESPACE) for column in
                                 table.columns], names=table.column_names)


def filled_rows(table: pa.Table) -> pa.Array:
    """Per row: whether any cell is non-empty (an all-empty line is no data row)."""
    mask: pa.Array | None = None
    for column in table.columns:
        filled = pc.greater(pc.binary_length(column), 0)
        mask = filled if mask is None else pc.or_(mask, filled)
    assert mask is not None
    return mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask


def row_chars(table: pa.Table) -> pa.Array:
    """Per row: the characters of its cells (what ``table_chunks`` counts per row)."""
    total: pa.Array | None = None
    for column in table.columns:
        length = pc.utf8_length(column)
        total = length if total is None else pc.add(total, length)
    assert total is not None
    return total


class ArrowRows:
    """Data rows read by Arrow: ``table`` (string columns) and ``numbers`` (each row's line
    number), as :func:`~breachscope.extract._table.table_chunks` receives them between
    ``(number, cells)`` rows."""

    __slots__ = ("numbers", "table")

    def __init__(self, table: pa.Table, numbers: pa.Array) -> None:
        self.table = table
        self.numbers = numbers

    def __len__(self) -> int:
        return self.table.num_rows

    def slice(self, start: int, length: int | None = None) -> ArrowRows:
        return ArrowRows(self.table.slice(start, length), self.numbers.slice(start, length))

    def chars(self) -> int:
        return int(pc.sum(row_chars(self.table)).as_py() or 0) if len(self) else 0

    def span(self) -> int:
        """The widest row's index after its last non-empty cell (``_table.span``)."""
        for j in range(self.table.num_columns - 1, -1, -1):
            if pc.any(pc.greater(pc.binary_length(self.table.column(j)), 0)).as_py():
                return j + 1
        return 0

    def columns(self, width: int) -> list[pa.Array]:
        """The first ``width`` columns (empty cells added when the rows are narrower)."""
        out = [_array(self.table.column(j)) for j in range(min(width, self.table.num_columns))]
        out.extend(pa.repeat(pa.scalar("", pa.string()), len(self))
                   for _ in range(width - len(out)))
        return out

    def overflow(self, width: int, name: str) -> Iterator[TextUnit]:
        """A :class:`TextUnit` per row holding non-empty cells beyond ``width`` (their cells
        joined by spaces), as ``table_chunks`` makes them for list rows."""
        if self.table.num_columns <= width:
            return
        extra = self.table.select(list(range(width, self.table.num_columns)))
        rows = pc.indices_nonzero(filled_rows(extra)).to_pylist()
        if not rows:
            return
        picked = extra.take(pa.array(rows, pa.int64()))
        numbers = self.numbers.take(pa.array(rows, pa.int64())).to_pylist()
        cells = [c.to_pylist() for c in picked.columns]
        for i, number in enumerate(numbers):
            text = " ".join(c for c in (column[i] for column in cells) if c)
            yield TextUnit(text=text, name=name, first_line=number)


def _array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def rows_to_columns(rows: Sequence[Sequence[str]], width: int) -> list[pa.Array]:
    """List rows (each at most ``width`` cells) as ``width`` Arrow string columns, short rows
    padded with empty cells."""
    padded = [row if len(row) == width else list(row) + [""] * (width - len(row))
              for row in rows]
    if not padded:
        return [pa.array([], pa.string()) for _ in range(width)]
    return [pa.array(column, pa.string()) for column in zip(*padded, strict=True)]


class _LazyRows(Sequence[list[str]]):
    """An :class:`ArrowTableUnit`'s rows: its length without making any row; a slice makes
    only the rows it holds; anything else makes them all once."""

    __slots__ = ("_unit",)

    def __init__(self, unit: ArrowTableUnit) -> None:
        self._unit = unit

    def __len__(self) -> int:
        return self._unit.n_rows

    @overload
    def __getitem__(self, index: int) -> list[str]: ...
    @overload
    def __getitem__(self, index: slice) -> list[list[str]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return self._unit.row_slice(start, max(stop - start, 0))
        return self._unit.all_rows()[index]

    def __iter__(self) -> Iterator[list[str]]:
        return iter(self._unit.all_rows())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self._unit.all_rows() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._unit.all_rows())


class ArrowTableUnit(TableUnit):
    """A :class:`TableUnit` whose cells are Arrow string columns (``arrow_columns``, one per
    header name, all ``n_rows`` long) and whose row numbers are an int64 array. ``rows``,
    ``row_numbers`` and :meth:`column` read as a ``TableUnit``'s (made on first use); cells
    are changed only through :meth:`map_column`."""

    def __init__(self, header: list[str], columns: list[pa.Array], name: str,
                 numbers: pa.Array) -> None:
        # TableUnit.__init__ is not called: its padding is a Python loop over the rows.
        self.header = header
        self.name = name
        self.kind = "table"
        self._columns = None
        self.arrow_columns = columns
        self.arrow_numbers = numbers
        self.n_rows = len(numbers)
        self._lists: dict[int, list[str]] = {}
        self._rows: list[list[str]] | None = None
        self._numbers: list[int] | None = None

    # ``rows`` and ``row_numbers`` are TableUnit's slots: these properties take their place.
    @property  # type: ignore[override]
    def rows(self) -> Sequence[list[str]]:  # type: ignore[override]
        return _LazyRows(self)

    @property  # type: ignore[override]
    def row_numbers(self) -> list[int]:  # type: ignore[override]
        if self._numbers is None:
            self._numbers = self.arrow_numbers.to_pylist()
        return self._numbers

    def column(self, index: int) -> list[str]:
        found = self._lists.get(index)
        if found is None:
            found = self._lists[index] = self.arrow_columns[index].to_pylist()
        return list(found)

    def arrow_column(self, index: int) -> pa.Array:
        return self.arrow_columns[index]

    def all_rows(self) -> list[list[str]]:
        if self._rows is None:
            self._rows = self.row_slice(0, self.n_rows)
        return self._rows

    def row_slice(self, start: int, length: int) -> list[list[str]]:
        columns = [c.slice(start, length).to_pylist() for c in self.arrow_columns]
        if not columns:
            return [[] for _ in range(min(length, max(self.n_rows - start, 0)))]
        return [list(row) for row in zip(*columns, strict=True)]

    def map_column(self, index: int, change: Any) -> None:
        """Replace column ``index``'s cells by ``change(cell)``, called once per distinct
        cell."""
        encoded = self.arrow_columns[index].dictionary_encode()
        distinct = encoded.dictionary.to_pylist()
        changed = [change(cell) for cell in distinct]
        if changed != distinct:
            self.arrow_columns[index] = pa.array(changed, pa.string()).take(encoded.indices)
            self.forget_columns()

    def forget_columns(self) -> None:
        self._columns = None
        self._lists = {}
        self._rows = None

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (or copied) as its columns: TableUnit's slot state would set ``rows``."""
        return (ArrowTableUnit, (self.header, self.arrow_columns, self.name,
                                 self.arrow_numbers))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TableUnit):
            return (self.header, list(self.rows), self.name, list(self.row_numbers)) == (
                other.header, list(other.rows), other.name, list(other.row_numbers))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"ArrowTableUnit(header={self.header!r}, rows={self.all_rows()!r}, "
                f"name={self.name!r}, row_numbers={self.row_numbers!r})")
