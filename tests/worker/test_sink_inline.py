"""A small content's results travel inline as column lists built straight from the objects:
the same values, in the same order, as the Arrow tables the sink writes for a large one
(lone surrogates cleaned the same way)."""

from __future__ import annotations

import pyarrow as pa

from breachscope.detect.columnar import FindingBatch
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
