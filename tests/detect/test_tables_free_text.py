"""Identifiers in cells of columns that have no label (comments, prose read as a table)."""

from breachscope.detect.tables import detect_table
from breachscope.extract.units import TableUnit


def test_identifiers_in_a_comment_column_are_found_with_their_cell():
    table = TableUnit(
        header=["Nom", "Prénom", "Commentaire"],
        rows=[["DUPONT", "Marie", "rappeler au 06 12 34 56 78, NIR 2 54 03 75 123 456 55"],
              ["MARTIN", "Paul", "RAS"],
              ["LEROY", "Anne", "lot 12345678 livré"]],
        name="sheet Suivi",
    )
    found = {(f.entity, f.value, f.location) for f in detect_table(table).findings
             if f.entity in ("PHONE", "NIR")}
    assert found == {
        ("PHONE", "+33612345678", "sheet Suivi, row 2, column Commentaire"),
        ("NIR", "254037512345655", "sheet Suivi, row 2, column Commentaire"),
    }


def test_prose_read_as_a_table_still_yields_its_identifiers():
    table = TableUnit(header=["Compte rendu du 12/02/2024", "col2"],
                      rows=[["Patiente vue ce jour", " joignable au 06 12 34 56 78"],
                            ["NIR 254037512345655", " suite en consultation"]])
    values = {f.value for f in detect_table(table).findings}
    assert {"+33612345678", "254037512345655"} <= values


def test_identifiers_in_a_header_row_are_found_once_per_table():
    from breachscope.detect.dispatch import StreamingDetector

    header = ["Personne à prévenir : son épouse", "Madeleine Lopez",
              "joignable au 07.69.12.44.88."]
    detector = StreamingDetector()
    first = detector.detect(TableUnit(header=header, rows=[["a", "b", "c"]]))
    second = detector.detect(TableUnit(header=header, rows=[["d", "e", "f"]],
                                       row_numbers=[3]))
    assert [(f.entity, f.value, f.location) for f in first.findings if f.entity == "PHONE"] == [
        ("PHONE", "+33769124488", "header, column 3")]
    assert not [f for f in second.findings if f.entity == "PHONE"]
