"""A table's findings and records built column by column as Arrow arrays (issue 15).

A labelled column of a leaked export holds the same entity in every row, found by the same
detector with the same confidence: only the value and the row differ. Building one
:class:`~breachscope.detect.model.Finding` object per cell, then one
:class:`~breachscope.detect.model.Record` per row, then converting both to Arrow for the
worker's result files was 60 % of a large CSV's CPU time. Here each column is dictionary
encoded by Arrow (its distinct cells found in C), each distinct cell is normalised once in
Python, and the per-row arrays (values, locations, record fields, the test that a row
identifies a person) are Arrow ``take``/compute kernels. The results leave the worker as
Arrow tables; :class:`FindingBatch` and :class:`RecordBatch` still read as sequences of
``Finding`` and ``Record`` objects for callers that want objects (tests, the library API).

:func:`column_records` applies :func:`breachscope.detect.records.build_records`' rules
column-wise; ``tests/detect/test_columnar.py`` checks both give the same records.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import pyarrow as pa
import pyarrow.compute as pc

from breachscope.detect.model import Finding, Record, entities_text, entity_list
from breachscope.detect.records import _LIST_FIELDS, _SINGLE_FIELDS, split_full_name
from breachscope.results import CELLS_SCHEMA, FINDINGS_SCHEMA, RECORDS_SCHEMA, clean

_STRINGS = pa.list_(pa.string())
Normalized = tuple[str, ...]


@dataclass(slots=True)
class EncodedColumn:
    """A column as ``indices`` (row -> distinct cell) and the distinct cells' normalized
    values (``normalized[d]``: the values of distinct cell ``d``, empty when none)."""

    label: str
    indices: pa.Array
    normalized: list[Normalized]
    _first: pa.Array | None = None  # first_values(), read for findings and for records

    def first_values(self) -> pa.Array:
        """Each row's first value (null when the cell has none)."""
        if self._first is None:
            first = pa.array([clean(v[0]) if v else None for v in self.normalized],
                             pa.string())
            self._first = first.take(self.indices)
        return self._first

    def filled(self) -> pa.Array:
        """Each row: whether its cell has a value."""
        return pa.array([bool(v) for v in self.normalized], pa.bool_()).take(self.indices)

    def value_lists(self) -> pa.Array:
        """Each row's values as a list, repeated values kept once."""
        lists = [[clean(x) or "" for x in dict.fromkeys(v)] for v in self.normalized]
        return pa.array(lists, _STRINGS).take(self.indices)


#: A memo (:func:`encode_column`) keeps cells up to this long...
MEMO_CELL_CHARS = 128


def encode_column(cells: list[str] | pa.Array, label: str,
                  normalize: Callable[[str], Normalized],
                  memo: dict[str, Normalized] | None = None,
                  memo_room: int = 0) -> EncodedColumn:
    """The column (a list of cells, or an Arrow string array) dictionary-encoded (Arrow
    hashes the cells in C) and each distinct cell normalized once. ``normalize`` receives the
    stripped cell; blank cells and placeholders (``NULL``, ``-``) have no value. ``memo``:
    cells of this column normalized before (an earlier chunk of the table), read instead of
    normalized again, and filled with up to ``memo_room`` new short cells (``normalize``
    must be a function of the cell alone)."""
    from breachscope.detect.columns import is_placeholder

    try:
        array = cells if isinstance(cells, pa.Array) else pa.array(cells, pa.string())
        encoded = array.dictionary_encode()
        indices, distinct = encoded.indices, encoded.dictionary.to_pylist()
    except UnicodeEncodeError:  # a lone surrogate (undecodable byte kept): hash in Python
        positions: dict[str, int] = {}
        indices = pa.array([positions.setdefault(c, len(positions)) for c in cells], pa.int32())
        distinct = list(positions)
    normalized: list[Normalized] = []
    memo = {} if memo is None else memo
    room = memo_room
    for cell in distinct:
        found = memo.get(cell)
        if found is None:
            stripped = cell.strip()
            found = normalize(stripped) if stripped and not is_placeholder(stripped) else ()
            if room > 0 and len(cell) <= MEMO_CELL_CHARS:
                memo[cell] = found
                room -= 1
        normalized.append(found)
    return EncodedColumn(label, indices, normalized)


def _repeat(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


Confidence = Callable[[str], float] | float


@dataclass(frozen=True, slots=True)
class ColumnCells:
    """A labelled column's findings without a location string per cell (issue 15, session
    10): a cell's location is ``prefix``, its row number and ``suffix`` (``row `` 12
    ``, column TEL``); ``cells`` (:data:`~breachscope.results.CELLS_SCHEMA` without
    ``column``) holds one row per value. The store keeps them so (``finding_cells``): a
    location string per cell was a third of the cost of inserting a finding."""

    prefix: str
    suffix: str
    entity: str
    detector: str
    cells: pa.Table  # n (int64; strings for rows not numbered by integers), value, confidence

    @property
    def num_rows(self) -> int:
        return self.cells.num_rows

    def findings(self) -> pa.Table:
        """The same findings as a :data:`~breachscope.results.FINDINGS_SCHEMA` table."""
        n = self.cells.num_rows
        located = pc.binary_join_element_wise(
            self.prefix, self.cells.column("n").cast(pa.string()), self.suffix, "")
        return pa.Table.from_arrays([
            located.cast(pa.string()), _repeat(self.entity, n), self.cells.column("value"),
            self.cells.column("confidence"), _repeat(self.detector, n),
        ], schema=FINDINGS_SCHEMA)


_CELLS_NO_COLUMN = pa.schema([f for f in CELLS_SCHEMA if f.name != "column"])


def column_findings(column: EncodedColumn, numbers: pa.Array, prefix: str, where: str,
                    confidence: Confidence, detector: str) -> ColumnCells:
    """One finding per value of each cell of a labelled column, the cell's location being
    ``prefix``, its row number (``numbers``: int64, one per row) and ``where``
    (``, column TEL``). ``confidence``: the findings', or a function of the value that
    gives it."""
    values = column.first_values()
    if values.null_count:
        rows = pc.indices_nonzero(values.is_valid())
        table = _cells(values.take(rows), numbers.take(rows), confidence)
    else:  # every row has a value: no copy of the rows
        rows = None
        table = _cells(values, numbers, confidence)
    # Cells with several values (two phones in one cell): the values after the first, put
    # after their row's first value (a stable sort on the row).
    extra = [d for d, v in enumerate(column.normalized) if len(v) > 1]
    if extra:
        owner = pc.is_in(column.indices, pa.array(extra, column.indices.type))
        owners = pc.indices_nonzero(owner).to_pylist()
        distinct = column.indices.take(pa.array(owners, pa.int64())).to_pylist()
        extra_rows = [r for r, d in zip(owners, distinct, strict=True)
                      for _ in column.normalized[d][1:]]
        extra_values = [clean(v) for d in distinct for v in column.normalized[d][1:]]
        more = _cells(pa.array(extra_values, pa.string()),
                      numbers.take(pa.array(extra_rows, pa.int64())), confidence)
        first_rows = rows.cast(pa.int64()) if rows is not None else pa.array(
            range(len(values)), pa.int64())
        order = pc.sort_indices(pa.concat_arrays([first_rows, pa.array(extra_rows,
                                                                        pa.int64())]))
        table = pa.concat_tables([table, more]).take(order)
    return ColumnCells(prefix, where, column.label, detector, table)


def _cells(values: pa.Array, numbers: pa.Array, confidence: Confidence) -> pa.Table:
    n = len(values)
    if callable(confidence):
        encoded = values.dictionary_encode()
        scores = pa.array([confidence(v) for v in encoded.dictionary.to_pylist()],
                          pa.float64()).take(encoded.indices)
    else:
        scores = pa.repeat(pa.scalar(float(confidence), pa.float64()), n)
    # ``numbers`` as given: int64, or strings for rows numbered otherwise (a JSON document's
    # dotted paths), whose findings are stored with their locations (tables.py).
    return pa.Table.from_arrays([numbers, values.cast(pa.string()), scores],
                                names=_CELLS_NO_COLUMN.names)


# -- records ---------------------------------------------------------------------------------

_RECORD_COLUMNS = [name for name in RECORDS_SCHEMA.names if name != "idx"]
RECORDS_NO_INDEX = pa.schema([RECORDS_SCHEMA.field(name) for name in _RECORD_COLUMNS])


def column_records(columns: Sequence[EncodedColumn], locations: pa.Array,
                   role_hint: str) -> pa.Table:
    """The records of a table's rows (:data:`RECORDS_NO_INDEX`, no ``idx``: the sink numbers
    them), with :func:`~breachscope.detect.records.build_records`' rules: per single-valued
    field the first filled column wins, list fields merge their columns' values, address
    columns are joined, a full name alone is split when the split is no guess, and a row is
    kept when it identifies a person."""
    n = len(locations)
    single: dict[str, list[pa.Array]] = {}
    lists: dict[str, list[pa.Array]] = {}
    addresses: list[pa.Array] = []
    for column in columns:
        label = column.label
        if label in _LIST_FIELDS:
            lists.setdefault(_LIST_FIELDS[label], []).append(column.value_lists())
        elif label == "ADDRESS":
            addresses.append(column.first_values())
        elif label in _SINGLE_FIELDS:
            single.setdefault(_SINGLE_FIELDS[label], []).append(column.first_values())
    fields: dict[str, pa.Array] = {}
    for name, arrays in single.items():
        fields[name] = pc.coalesce(*arrays) if len(arrays) > 1 else arrays[0]
    if addresses:
        fields["address"] = _joined_addresses(addresses)
    for name, arrays in lists.items():
        fields[name] = arrays[0] if len(arrays) == 1 else _merged_lists(arrays)
    _split_full_names(fields)
    keep = _identifies(fields, n)
    if keep is None:
        return RECORDS_NO_INDEX.empty_table()
    if keep.null_count == 0 and pc.all(keep).as_py():  # every row kept: no copy of them

        def pick(array: pa.Array) -> pa.Array:
            return array

        kept = n
    else:
        rows = pc.indices_nonzero(keep)

        def pick(array: pa.Array) -> pa.Array:
            return array.take(rows)

        kept = len(rows)
    out: list[pa.Array] = []
    for name in _RECORD_COLUMNS:
        field = RECORDS_NO_INDEX.field(name)
        if name == "location":
            out.append(pick(locations).cast(pa.string()))
        elif name == "role_hint":
            out.append(_repeat(role_hint, kept))
        elif name == "entities":
            out.append(pick(_entities(columns)))
        elif name in fields:
            out.append(pick(fields[name]))
        elif field.type == _STRINGS:
            out.append(pa.array(itertools.repeat([], kept), _STRINGS))
        else:
            out.append(pa.nulls(kept, pa.string()))
    return pa.Table.from_arrays(out, schema=RECORDS_NO_INDEX)


def _joined_addresses(arrays: list[pa.Array]) -> pa.Array:
    """Several address columns (number, street, locality): their first values joined in
    column order, a value repeated in the next column kept once."""
    if len(arrays) == 1:  # an empty value is no address
        return pc.if_else(pc.equal(arrays[0], ""), pa.scalar(None, pa.string()), arrays[0])
    joined: list[str | None] = []
    for parts in zip(*(a.to_pylist() for a in arrays), strict=True):
        seen = list(dict.fromkeys(p for p in parts if p))
        joined.append(" ".join(seen) if seen else None)
    return pa.array(joined, pa.string())


def _merged_lists(arrays: list[pa.Array]) -> pa.Array:
    merged = []
    for parts in zip(*(a.to_pylist() for a in arrays), strict=True):
        merged.append(list(dict.fromkeys(v for part in parts for v in part)))
    return pa.array(merged, _STRINGS)


def _split_full_names(fields: dict[str, pa.Array]) -> None:
    """``DUPONT Marie`` alone in a row: its last and first names, when the split is no guess
    (:func:`split_full_name`), for rows without a last or a first name."""
    full = fields.get("full_name")
    if full is None:
        return
    wanted = full.is_valid()
    for name in ("last_name", "first_name"):
        if name in fields:
            wanted = pc.and_(wanted, fields[name].is_null())
    if not pc.any(wanted).as_py():
        return
    encoded = full.dictionary_encode()
    splits = [split_full_name(v) for v in encoded.dictionary.to_pylist()]
    split_last = pa.array([last if last and first else None for last, first in splits],
                          pa.string()).take(encoded.indices)
    split_first = pa.array([first if last and first else None for last, first in splits],
                           pa.string()).take(encoded.indices)
    both = pc.and_(wanted, split_last.is_valid())
    for name, split in (("last_name", split_last), ("first_name", split_first)):
        current = fields.get(name, pa.nulls(len(full), pa.string()))
        fields[name] = pc.if_else(both, split, current)


def _identifies(fields: dict[str, pa.Array], n: int) -> pa.Array | None:
    """Rows that identify a person: a NIR; a last and a first name; a full name; one name
    part with a birth date, address, patient id, phone or e-mail; an e-mail with a birth
    date or a phone."""
    def has(name: str) -> pa.Array | None:
        array = fields.get(name)
        if array is None:
            return None
        if array.type == _STRINGS:
            return pc.fill_null(pc.greater(pc.list_value_length(array), 0), False)
        return array.is_valid()

    def any_of(*masks: pa.Array | None) -> pa.Array | None:
        present = [m for m in masks if m is not None]
        if not present:
            return None
        out = present[0]
        for mask in present[1:]:
            out = pc.or_(out, mask)
        return out

    def both(a: pa.Array | None, b: pa.Array | None) -> pa.Array | None:
        return None if a is None or b is None else pc.and_(a, b)

    last, first, phones, emails = has("last_name"), has("first_name"), has("phones"), has(
        "emails")
    other = any_of(has("birth_date"), has("address"), has("patient_id"), phones, emails)
    keep = any_of(
        has("nir"), both(last, first), has("full_name"), both(any_of(last, first), other),
        both(emails, any_of(has("birth_date"), phones)))
    if keep is None or len(keep) != n:
        return None
    return keep


def _entities(columns: Sequence[EncodedColumn]) -> pa.Array:
    """Each row's labels that have a value, as ``records.entities`` stores them
    (:func:`~breachscope.detect.model.entities_text`: sorted, joined)."""
    n = len(columns[0].indices) if columns else 0
    labels = [c.label for c in columns]
    if len(columns) > 62:  # more than an int64 code can hold: row by row
        filled = [c.filled().to_pylist() for c in columns]
        rows = [entities_text({labels[j] for j in range(len(columns)) if filled[j][r]})
                for r in range(n)]
        return pa.array(rows, pa.string())
    code = pa.array(itertools.repeat(0, n), pa.int64())
    for j, column in enumerate(columns):
        bit = pc.if_else(column.filled(), 1 << j, 0).cast(pa.int64())
        code = pc.bit_wise_or(code, bit)
    encoded = code.dictionary_encode()
    sets = [entities_text({labels[j] for j in range(len(columns)) if value >> j & 1})
            for value in encoded.dictionary.to_pylist()]
    return pa.array(sets, pa.string()).take(encoded.indices)


# -- sequences of objects over the tables ----------------------------------------------------


class _TableSequence(Sequence[Any]):
    """Tables plus objects that read as one sequence of objects (materialised on first use);
    :meth:`tables` gives the results as Arrow tables without making any object."""

    __slots__ = ("_items", "_objects")

    def __init__(self) -> None:
        self._items: list[pa.Table | ColumnCells | list[Any]] = []
        self._objects: list[Any] | None = None

    def add_table(self, table: pa.Table | ColumnCells) -> None:
        if table.num_rows:
            self._items.append(table)
            self._objects = None

    def extend(self, objects: Iterable[Any]) -> None:
        objects = list(objects)
        if objects:
            self._items.append(objects)
            self._objects = None

    def pieces(self) -> list[pa.Table | ColumnCells | list[Any]]:
        """The tables and object lists, in the order they were added."""
        return list(self._items)

    def _to_objects(self, table: pa.Table) -> list[Any]:
        raise NotImplementedError

    def _all(self) -> list[Any]:
        if self._objects is None:
            self._objects = [obj for item in self._items for obj in (
                item if isinstance(item, list) else self._to_objects(item))]
        return self._objects

    def __len__(self) -> int:
        return sum(len(item) if isinstance(item, list) else item.num_rows
                   for item in self._items)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._all()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _TableSequence | list):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._all()!r})"


class FindingBatch(_TableSequence):
    """A table's findings: :class:`ColumnCells` for its labelled columns, ``Finding``
    objects for the rest (identifiers in free text)."""

    def _to_objects(self, table: pa.Table | ColumnCells) -> list[Finding]:
        if isinstance(table, ColumnCells):
            table = table.findings()
        return [Finding(r["entity"], r["value"], r["location"], r["confidence"], r["detector"])
                for r in table.to_pylist()]


class RowKeyBatch(_TableSequence):
    """A table's row keys (its key columns' cells: row location, column name, value; with
    :meth:`with_unit`, the unit's name first) as Arrow tables, read as tuples by callers that
    want objects. Made from the key columns' Arrow arrays and written to the worker's result
    file as they are: as tuples and back, a large CSV's row keys were an eighth of its worker
    CPU (issue 15, session 24)."""

    def _to_objects(self, table: pa.Table) -> list[tuple[str, ...]]:
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))

    def with_unit(self, name: str) -> RowKeyBatch:
        """The same keys, each preceded by the unit's name (the store's ``unit`` column)."""
        out = RowKeyBatch()
        for item in self._items:
            if isinstance(item, list):
                out.extend((name, *key) for key in item)
            else:
                out.add_table(item.add_column(0, "unit", pa.repeat(
                    pa.scalar(name, pa.string()), item.num_rows)))
        return out


class RecordBatch(_TableSequence):
    """A table's records as an Arrow table (:data:`RECORDS_NO_INDEX`)."""

    def _to_objects(self, table: pa.Table) -> list[Record]:
        out = []
        for row in table.to_pylist():
            row["entities"] = set(entity_list(row["entities"]) or ())
            out.append(Record(**row))
        return out
