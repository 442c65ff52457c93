"""StreamingDetector: a chunked table is classified once, labelled the same in every chunk."""

from __future__ import annotations

from detect_helpers import make_nir

from breachscope.detect import detect_table
from breachscope.detect.columns import classify_columns
from breachscope.detect.dispatch import StreamingDetector, detect_units
from breachscope.extract.units import TableUnit, TextUnit

NIR = make_nir("2540375123456")


def _chunks() -> list[TableUnit]:
    header = ["Nom", "Prénom", "Numéro"]
    first = TableUnit(header, [[f"NOM{i}", "Marie", NIR] for i in range(50)], "",
                      list(range(2, 52)))
    # Alone, this chunk's third column would not be a NIR column (mostly empty/garbage).
    second = TableUnit(header, [["DURAND", "Paul", NIR]] + [["X", "Y", "abc"]] * 20, "",
                       list(range(52, 73)))
    return [first, second]


def test_labels_of_the_first_chunk_are_reused() -> None:
    first, second = _chunks()
    assert classify_columns(second)[2].label != "NIR"
    detector = StreamingDetector()
    one = detector.detect(first)
    two = detector.detect(second)
    assert [c.label for _, c in one.columns][2] == "NIR"
    assert two.columns == []  # reported once per table
    nirs = [f for f in two.findings if f.entity == "NIR"]
    assert [(f.value, f.location) for f in nirs] == [(NIR, "row 52, column Numéro")]
    assert two.records and two.records[0].nir == NIR


def test_other_tables_are_classified_on_their_own() -> None:
    first, _ = _chunks()
    detector = StreamingDetector()
    detector.detect(first)
    other = TableUnit(["Email"], [["a@b.fr"]], name="sheet 2")
    assert [c.label for _, c in detector.detect(other).columns] == ["EMAIL"]


def test_detect_table_with_given_columns() -> None:
    first, second = _chunks()
    labels = classify_columns(first)
    assert detect_table(second, columns=labels).columns is labels


def test_overlapping_pieces_of_one_line_report_a_value_once() -> None:
    tail = f"texte {NIR} fin"
    units = [TextUnit(f"début {tail}", first_line=7), TextUnit(tail + " suite", first_line=7),
             TextUnit(f"ligne suivante {NIR}", first_line=8)]
    findings = [(f.value, f.location) for f in detect_units(units).findings]
    assert findings == [(NIR, "line 7"), (NIR, "line 8")]


def test_detect_units_matches_the_streaming_detector() -> None:
    result = detect_units(_chunks())
    assert len(result.columns) == 3
    assert sum(f.entity == "NIR" for f in result.findings) == 51
