"""A small content's results travel inline as column lists built straight from the objects:
the same values, in the same order, as the Arrow tables the sink writes for a large one
(lone surrogates cleaned the same way)."""

from __future__ import annotations

import pyarrow as pa

from breachscope.detect.columnar import FindingBatch, RowKeyBatch
from breachscope.detect.model import Finding, Record
from breachscope.results import findings_table, records_table
from breachscope.worker.sink import ResultSink

FINDINGS = [
    Finding("NIR", "185057800608436", "line 3", 0.99, "nir_key"),
    Finding("PERSON", "Ren\udce9 DUPONT", "line 4", 0.8, "names"),  # an undecodable byte
    Finding("EMAIL", "a@b.fr", "row 2, column M\udcc3l", 1, "column+email"),
]
RECORDS = [
    Record("line 3", last_name="DUPONT", first_name="Ren\udce9", phones=["+33612345678"],
           entities={"PERSON", "NIR"}, nir="185057800608436"),
    Record("line 9", full_name="Marie Curie", emails=["m\udce9@b.fr", "x@y.fr"],
           icd10_codes=["E11.9"], entities={"EMAIL"}, role_hint="PATIENT"),
]


def test_inline_columns_are_the_tables_columns(tmp_path) -> None:
    sink = ResultSink(tmp_path)
    table_part = FindingBatch()
    table_part.add_table(findings_table(FINDINGS[:1]))
    sink.add(FINDINGS, RECORDS, [("t", "row 2", "IPP", "12\udce9")], overlapping=False)
    sink.add(table_part, [], overlapping=False)
    sink.close()
    assert sink.findings_file is None and sink.records_file is None
    expected = pa.concat_tables([findings_table(FINDINGS), findings_table(FINDINGS[:1])])
    assert sink.inline["findings"] == expected.to_pydict()
    assert sink.inline["records"] == records_table(RECORDS).to_pydict()
    assert sink.inline["row_keys"]["value"] == ["12\ufffd"]
    assert (sink.n_findings, sink.n_records) == (4, 2)


def _key_batch(unit: str, keys: list[tuple[str, str, str]]) -> RowKeyBatch:
    batch = RowKeyBatch()
    batch.add_table(pa.table({name: [k[i] for k in keys] for i, name in
                              enumerate(("row_location", "column_name", "value"))}))
    return batch.with_unit(unit)


def _no_objects(self, table):
    raise AssertionError("row keys made into tuples")


def test_row_keys_as_arrow_and_as_tuples_are_stored_alike(tmp_path, monkeypatch) -> None:
    """A table's row keys kept as Arrow columns (RowKeyBatch) read as the tuples they stand
    for, and reach the result file and the inline columns in the order they came, between
    keys given as tuples."""
    import pyarrow.parquet as pq

    from breachscope.worker import sink as sink_module

    arrow_keys = [("row 2", "IPP", "1001"), ("row 3", "IPP", "1002")]
    batch = _key_batch("patients", arrow_keys)
    assert list(batch) == [("patients", *k) for k in arrow_keys] and len(batch) == 2
    tuples = [("sejours", "row 2", "NDA", "12\udce9")]
    expected = {"unit": ["patients", "patients", "sejours", "patients"],
                "row_location": ["row 2", "row 3", "row 2", "row 9"],
                "column_name": ["IPP", "IPP", "NDA", "IPP"],
                "value": ["1001", "1002", "12\ufffd", "1009"]}

    def stored(inline_rows: int) -> tuple[ResultSink, dict]:
        monkeypatch.setattr(sink_module, "INLINE_ROWS", inline_rows)
        # the sink never turns the Arrow keys into tuples
        monkeypatch.setattr(RowKeyBatch, "_to_objects", _no_objects)
        sink = ResultSink(tmp_path)
        sink.add([], [], _key_batch("patients", arrow_keys), overlapping=False)
        sink.add([], [], tuples, overlapping=False)
        sink.add([], [], _key_batch("patients", [("row 9", "IPP", "1009")]), overlapping=False)
        sink.close()
        assert sink.n_row_keys == 4
        return sink, (pq.read_table(sink.row_keys_file).to_pydict() if sink.row_keys_file
                      else sink.inline["row_keys"])

    as_file, from_file = stored(inline_rows=2)
    assert as_file.row_keys_file is not None and from_file == expected
    inline, from_inline = stored(inline_rows=5_000)
    assert inline.row_keys_file is None and from_inline == expected
