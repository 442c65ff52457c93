"""Where a task's findings, records and row keys go: Parquet files in the work area (sealed
for an encrypted case), written in batches so that neither the worker nor the main process
holds them all in memory. A small content's results (most letters and notes) are not written
at all: they go back to the main process with the task's result, as lists of column values
(the tables' columns: pickled 20 times faster than the Arrow tables themselves)
(:data:`INLINE_ROWS`; issue 15: three Parquet files per letter were 40 % of a small letter's
CPU time in the worker)."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any

import pyarrow as pa

from breachscope.detect.model import Finding, Record, entities_text
from breachscope.worker import sandbox

#: How the result files are written (issue 15, session 9): they are read once, whole, by the
#: main process, so no column statistics; a dictionary only for the columns with few distinct
#: values (a location is unique per row: its dictionary was built, then abandoned, page after
#: page); LZ4 rather than Snappy. Writing a large CSV's results took 0.52 CPU s, now 0.27,
#: for the same file size, and DuckDB inserts them at the same cost.
_FEW_DISTINCT = frozenset({"entity", "entities", "detector", "confidence", "role_hint", "unit",
                           "column_name"})

FLUSH_ROWS = 50_000  # findings or records buffered before a Parquet row group is written
#: At most this many rows in all (findings, records, row keys): returned with the task's result
#: as Arrow tables instead of files. Not for an encrypted case, whose results are only ever
#: sealed files (a Ray cluster's object store may spill what it holds to disk, in clear).
INLINE_ROWS = 5_000


class ResultSink:
    """Findings and records streamed to Parquet files in batches; identical findings at the
    same location in consecutive units (overlapping pieces of one huge line) kept once."""

    _ids = itertools.count()

    def __init__(self, work_dir: Path) -> None:
        from breachscope.results import SEALED_SUFFIX

        tag = f"{os.getpid()}-{next(self._ids)}"
        self.key = sandbox.sealing_key[0]
        suffix = SEALED_SUFFIX if self.key else ".parquet"
        self.dir = work_dir / "results"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.findings_path = self.dir / f"{tag}-findings{suffix}"
        self.records_path = self.dir / f"{tag}-records{suffix}"
        self.row_keys_path = self.dir / f"{tag}-row_keys{suffix}"
        self.cells_path = self.dir / f"{tag}-cells{suffix}"
        # Buffered results, in order: object lists, or Arrow tables from a table's columns
        # (detect/columnar.py: a labelled column's findings never become objects).
        self.findings: list[list[Finding] | pa.Table] = []
        self.records: list[list[Record] | pa.Table] = []
        # Labelled columns' findings (detect.columnar.ColumnCells), written apart: the
        # ``cells`` file, its ``column`` numbering ``cell_columns``'s entries (location prefix,
        # location suffix, entity, detector), one per column of the content.
        self.cells: list[Any] = []
        self._cell_columns: dict[tuple[str, str, str, str], int] = {}
        self._buffered = {"findings": 0, "records": 0, "row_keys": 0}
        # Row keys, in order: tuple lists, or Arrow tables (detect.columnar.RowKeyBatch)
        self.row_keys: list[list[tuple[str, str, str, str]] | pa.Table] = []
        self.n_findings = self.n_records = self.n_row_keys = self.n_cells = 0
        self._writers: dict[str, object] = {}
        self.inline: dict[str, dict[str, list]] = {}  # kind -> columns, for a small content
        self._previous_keys: set[tuple[str, str, str]] = set()

    def add(self, findings: Sequence[Finding], records: Sequence[Record],
            row_keys: Sequence[tuple[str, str, str, str]] | None = None, *,
            overlapping: bool = True) -> None:
        """``overlapping``: the unit may repeat the end of the previous one (pieces of a huge
        line); a table chunk never does (its locations are its own rows), and skips the
        comparison (a set over every finding: 0.3 CPU s on a 44 000-row CSV). Findings and
        records may be :class:`~breachscope.detect.columnar.FindingBatch` /
        ``RecordBatch``: their Arrow tables are kept as they are."""
        if not overlapping:
            self._previous_keys = set()
        else:
            findings = list(findings)
            keys = {(f.location, f.entity, f.value) for f in findings}
            if self._previous_keys:
                findings = [f for f in findings
                            if (f.location, f.entity, f.value) not in self._previous_keys]
            self._previous_keys = keys
        self._buffer("findings", self.findings, findings)
        self._buffer("records", self.records, records)
        self._buffer("row_keys", self.row_keys, row_keys or [])
        if max(self._buffered.values()) >= FLUSH_ROWS:
            self._flush()

    def _buffer(self, kind: str, into: list[Any], items: Sequence[Any]) -> None:
        from breachscope.detect.columnar import ColumnCells, _TableSequence

        pieces = items.pieces() if isinstance(items, _TableSequence) else [list(items)]
        for piece in pieces:
            if isinstance(piece, ColumnCells):
                self.cells.append(piece)
                self._buffered[kind] += piece.num_rows
            elif len(piece):
                into.append(piece)
                self._buffered[kind] += len(piece)

    def _row_keys_table(self) -> pa.Table:
        from breachscope.results import ROW_KEYS_SCHEMA, row_keys_table

        return _concat([p.cast(ROW_KEYS_SCHEMA) if isinstance(p, pa.Table) else
                        row_keys_table(p) for p in self.row_keys], ROW_KEYS_SCHEMA)

    def _findings_table(self) -> pa.Table:
        from breachscope.results import FINDINGS_SCHEMA, findings_table

        return _concat([p if isinstance(p, pa.Table) else findings_table(p)
                        for p in self.findings], FINDINGS_SCHEMA)

    def _records_table(self, first: int) -> pa.Table:
        """The buffered records numbered from ``first`` (their order in the content)."""
        from breachscope.detect.columnar import RECORDS_NO_INDEX
        from breachscope.results import RECORDS_SCHEMA, records_table

        parts = [p if isinstance(p, pa.Table) else records_table(p).drop_columns(["idx"])
                 for p in self.records]
        table = _concat(parts, RECORDS_NO_INDEX)
        index = pa.array(range(first, first + table.num_rows), pa.int64())
        return table.add_column(0, RECORDS_SCHEMA.field("idx"), index)

    def _cells_table(self) -> pa.Table:
        """The buffered labelled columns' cells, each numbered by its column."""
        from breachscope.results import CELLS_SCHEMA

        tables = []
        for piece in self.cells:
            key = (piece.prefix, piece.suffix, piece.entity, piece.detector)
            column = self._cell_columns.setdefault(key, len(self._cell_columns))
            cells = piece.cells
            tables.append(pa.Table.from_arrays([
                pa.repeat(pa.scalar(column, pa.int32()), cells.num_rows),
                cells.column("n").cast(pa.int64()), cells.column("value"),
                cells.column("confidence")], schema=CELLS_SCHEMA))
        return _concat(tables, CELLS_SCHEMA)

    def _flush(self) -> None:
        if self.cells:
            table = self._cells_table()
            self._write("cells", self.cells_path, table)
            self.n_cells += table.num_rows
            self.cells = []
        if self.findings:
            table = self._findings_table()
            self._write("findings", self.findings_path, table)
            self.n_findings += table.num_rows
            self.findings = []
        self._buffered["findings"] = 0
        if self.records:
            table = self._records_table(self.n_records)
            self._write("records", self.records_path, table)
            self.n_records += table.num_rows
            self.records, self._buffered["records"] = [], 0
        if self.row_keys:
            self._write("row_keys", self.row_keys_path, self._row_keys_table())
            self.n_row_keys += self._buffered["row_keys"]
            self.row_keys, self._buffered["row_keys"] = [], 0

    def _write(self, kind: str, path: Path, table: object) -> None:
        import pyarrow.parquet as pq

        writer = self._writers.get(kind)
        if self.key:  # an encrypted case: nothing readable on disk (results.write_sealed)
            from breachscope.results import write_sealed

            if writer is None:
                writer = self._writers[kind] = path.open("wb")
            write_sealed(writer, table, self.key, kind)  # type: ignore[arg-type]
            return
        if writer is None:
            schema = table.schema  # type: ignore[attr-defined]
            writer = self._writers[kind] = pq.ParquetWriter(
                path, schema, compression="lz4", write_statistics=False,
                use_dictionary=[n for n in schema.names if n in _FEW_DISTINCT])
        writer.write_table(table)  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._fits_inline():
            self._keep_inline()
            return
        self._flush()
        for writer in self._writers.values():
            writer.close()  # type: ignore[attr-defined]

    def _fits_inline(self) -> bool:
        buffered = sum(self._buffered.values())
        return (not self._writers and not self.key and not self.inline
                and 0 < buffered <= INLINE_ROWS)

    def _keep_inline(self) -> None:
        """The buffered results as plain column lists (what the main process stages): built
        straight from the objects, not through Arrow tables and back (that round trip was
        a fifth to a third of a letter's worker time). Labelled columns' cells inline are
        findings with their locations (a few thousand at most)."""
        self.findings.extend(piece.findings() for piece in self.cells)
        self.cells = []
        if self.findings:
            self.inline["findings"] = _columns("findings", self.findings)
            self.n_findings = self._buffered["findings"]
        if self.records:
            columns = _columns("records", self.records)
            n = self._buffered["records"]
            self.inline["records"] = {"idx": list(range(n)), **columns}
            self.n_records = n
        if self.row_keys:
            self.inline["row_keys"] = _columns("row_keys", self.row_keys)
            self.n_row_keys = self._buffered["row_keys"]
        self.findings, self.records, self.row_keys = [], [], []
        self._buffered = dict.fromkeys(self._buffered, 0)

    def _file(self, kind: str, path: Path, n_rows: int) -> str | None:
        return str(path) if n_rows and kind not in self.inline else None

    @property
    def findings_file(self) -> str | None:
        return self._file("findings", self.findings_path, self.n_findings)

    @property
    def records_file(self) -> str | None:
        return self._file("records", self.records_path, self.n_records)

    @property
    def row_keys_file(self) -> str | None:
        return self._file("row_keys", self.row_keys_path, self.n_row_keys)

    @property
    def cells_file(self) -> str | None:
        return self._file("cells", self.cells_path, self.n_cells)

    @property
    def cell_columns(self) -> list[tuple[str, str, str, str]]:
        """What the ``column`` of the cells file numbers: (location prefix, location suffix,
        entity, detector), in order."""
        return list(self._cell_columns) if self.n_cells else []

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
        self.findings_path.unlink(missing_ok=True)
        self.records_path.unlink(missing_ok=True)
        self.row_keys_path.unlink(missing_ok=True)
        self.cells_path.unlink(missing_ok=True)
        self.inline = {}
        self.n_findings = self.n_records = self.n_row_keys = self.n_cells = 0


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    return pa.concat_tables(tables) if len(tables) > 1 else (
        tables[0] if tables else schema.empty_table())


_FINDING_STRINGS = ("location", "entity", "value", "detector")


def _columns(kind: str, pieces: list[Any]) -> dict[str, list[Any]]:
    """Column lists of buffered results (object lists and Arrow tables, in order), in the
    schema's column order (``records``: without ``idx``)."""
    from breachscope.results import SCHEMAS

    names = [n for n in SCHEMAS[kind].names if n != "idx"]
    out: dict[str, list[Any]] = {name: [] for name in names}
    for piece in pieces:
        part = piece.to_pydict() if isinstance(piece, pa.Table) else (
            _finding_columns(piece) if kind == "findings" else
            _row_key_columns(piece, names) if kind == "row_keys" else _record_columns(piece))
        for name in names:
            out[name].extend(part[name])
    return out


def _finding_columns(findings: list[Finding]) -> dict[str, list[Any]]:
    columns = {name: _clean_strings(list(map(attrgetter(name), findings)))
               for name in _FINDING_STRINGS}
    columns["confidence"] = [float(f.confidence) for f in findings]
    return columns


def _row_key_columns(keys: list[tuple[str, str, str, str]], names: list[str]
                     ) -> dict[str, list[Any]]:
    return {name: _clean_strings(list(values))
            for name, values in zip(names, zip(*keys, strict=True), strict=True)}


def _record_columns(records: list[Record]) -> dict[str, list[Any]]:
    from breachscope.results import _RECORD_LISTS, _RECORD_STRINGS

    columns: dict[str, list[Any]] = {
        name: _clean_strings(list(map(attrgetter(name), records))) for name in _RECORD_STRINGS}
    for name in _RECORD_LISTS:
        columns[name] = _clean_lists([list(v) for v in map(attrgetter(name), records)])
    columns["entities"] = [entities_text(r.entities) for r in records]
    return columns


def _clean_strings(values: list[Any]) -> list[Any]:
    """``values`` as Arrow would store them (:func:`breachscope.results.clean`): one encoding
    of all of them joined tells whether any holds a lone surrogate."""
    from breachscope.results import clean

    try:
        "".join(filter(None, values)).encode("utf-8")
    except UnicodeEncodeError:
        return [clean(v) for v in values]
    return values


def _clean_lists(values: list[list[str]]) -> list[list[str]]:
    from breachscope.results import clean

    try:
        "".join(itertools.chain.from_iterable(values)).encode("utf-8")
    except UnicodeEncodeError:
        return [[clean(v) or "" for v in inner] for inner in values]
    return values
