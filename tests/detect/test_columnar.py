"""A table's records and findings built column-wise as Arrow arrays (``detect/columnar.py``)
are exactly those of the row-by-row rules (``build_record``) and of one finding per value."""

from __future__ import annotations

import random

import pyarrow as pa
from test_bulk_records import _LABELS, _cell

from breachscope.detect.columnar import (
    EncodedColumn,
    FindingBatch,
    RecordBatch,
    column_findings,
    column_records,
    encode_column,
)
from breachscope.detect.model import Finding
from breachscope.detect.records import build_record


def _encoded(label: str, cells: list[tuple[str, ...]]) -> EncodedColumn:
    return EncodedColumn(label, pa.array(range(len(cells)), pa.int32()), cells)


def test_column_records_are_the_row_by_row_records() -> None:
    rng = random.Random(4)
    kept = 0
    for _ in range(60):
        labels = rng.sample(_LABELS, rng.randint(1, 8))
        n = 60
        columns = [(label, [_cell(rng, label) for _ in range(n)]) for label in labels]
        locations = [f"row {r + 2}" for r in range(n)]
        expected = []
        for r, location in enumerate(locations):
            row = [(label, values[r]) for label, values in columns if values[r]]
            if row and (record := build_record(location, row, "PATIENT")) is not None:
                expected.append(record)
        records = RecordBatch()
        records.add_table(column_records([_encoded(label, cells) for label, cells in columns],
                                         pa.array(locations), "PATIENT"))
        assert list(records) == expected
        kept += len(expected)
    assert kept > 300  # the tables made records (and rows without a person were left out)


def test_encoded_column_normalizes_each_distinct_cell_once() -> None:
    calls: list[str] = []

    def normalize(cell: str) -> tuple[str, ...]:
        calls.append(cell)
        return tuple(p for p in cell.split("/") if p)

    cells = ["a", " a ", "a", "", "NULL", "b/c", "b/c", "a", "\udce9t\udce9"]
    column = encode_column(cells, "PHONE", normalize)
    assert sorted(calls) == ["a", "a", "b/c", "\udce9t\udce9"]  # "a" and " a " differ as cells
    table = column_findings(column, pa.array(range(len(cells)), pa.int64()), "row ",
                            ", column TEL", lambda v: 0.5 if v == "b" else 0.9, "column+x")
    batch = FindingBatch()
    batch.add_table(table)
    expected = [(f"row {r}", v) for r, cell in enumerate(cells)
                for v in (normalize(cell.strip()) if cell.strip() and cell != "NULL" else ())]
    assert [(f.location.removesuffix(", column TEL"), f.value) for f in batch] == [
        (loc, v.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        for loc, v in expected]
    assert {f.confidence for f in batch if f.value == "b"} == {0.5}
    assert all(f == Finding("PHONE", f.value, f.location, f.confidence, "column+x")
               for f in batch)


def test_a_batch_reads_as_the_objects_it_holds_in_order() -> None:
    batch = FindingBatch()
    batch.extend([Finding("EMAIL", "a@b.fr", "row 1", 1.0, "x")])
    batch.add_table(pa.table({"location": ["row 2"], "entity": ["NIR"], "value": ["1"],
                              "confidence": [0.9], "detector": ["y"]}))
    assert len(batch) == 2
    assert [f.location for f in batch] == ["row 1", "row 2"]
    assert batch[1] == Finding("NIR", "1", "row 2", 0.9, "y")
    assert batch == [batch[0], batch[1]]
    assert [type(p).__name__ for p in batch.pieces()] == ["list", "Table"]
