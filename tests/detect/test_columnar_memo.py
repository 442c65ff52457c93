"""A table's labelled columns remember their normalized cells from one chunk to the next
(``ColumnLabel.memo``, issue 15): a later chunk does not normalize a cell again, the memo
is bounded, and the findings are those of a detection without it."""

from __future__ import annotations

import pyarrow as pa

from breachscope.detect.columnar import MEMO_CELL_CHARS, encode_column
from breachscope.detect.dispatch import StreamingDetector
from breachscope.extract.units import TableUnit


def test_memoized_cells_are_not_normalized_again() -> None:
    calls: list[str] = []

    def normalize(cell: str) -> tuple[str, ...]:
        calls.append(cell)
        return (cell.upper(),)

    memo: dict[str, tuple[str, ...]] = {}
    long_cell = "x" * (MEMO_CELL_CHARS + 1)
    first = encode_column(["a", "b", " a", "NULL", long_cell], "X", normalize, memo, 10)
    assert sorted(calls) == sorted(["a", "b", "a", long_cell])
    assert set(memo) == {"a", "b", " a", "NULL"}  # the over-long cell is not kept
    calls.clear()
    second = encode_column(pa.array(["b", "a", "c", long_cell]), "X", normalize, memo, 1)
    assert calls == ["c", long_cell]
    assert second.normalized == [("B",), ("A",), ("C",), (long_cell.upper(),)]
    assert first.normalized[:4] == [("A",), ("B",), ("A",), ()]
    assert "c" in memo and len(memo) == 5  # room for one more only
    calls.clear()
    encode_column(["d", "e"], "X", normalize, memo, 0)
    assert calls == ["d", "e"] and len(memo) == 5


def test_later_chunks_use_the_memo_and_find_the_same() -> None:
    header = ["NOM", "PRENOM", "TEL", "DATE_NAISS"]
    rows = [["DUPONT", "Marie", "06 12 34 56 78", "12/03/1950"],
            ["MARTIN", "Paul", "0612345679", "01/02/1960"]] * 50
    chunks = [TableUnit(header=header, rows=[list(r) for r in rows],
                        row_numbers=list(range(2 + 100 * k, 102 + 100 * k)))
              for k in range(3)]
    detector = StreamingDetector()
    results = [detector.detect(chunk) for chunk in chunks]
    labels = next(iter(detector._labels.values()))
    phone = next(c for c in labels if c.label == "PHONE")
    assert phone.memo == {"06 12 34 56 78": ("+33612345678",), "0612345679": ("+33612345679",)}
    fresh = StreamingDetector().detect(chunks[2])  # classified anew, nothing remembered
    key = sorted((f.location, f.entity, f.value, f.confidence) for f in fresh.findings)
    assert sorted((f.location, f.entity, f.value, f.confidence)
                  for f in results[2].findings) == key
    assert len(results[2].records) == len(fresh.records) == 100
