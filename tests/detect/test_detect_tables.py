from __future__ import annotations

import pytest
from complexity import assert_scales
from detect_helpers import make_nir

from breachscope.detect import DetectionResult, detect_table, detect_units
from breachscope.detect.records import split_full_name
from breachscope.extract.units import TableUnit, TextUnit

NIR_MARIE = make_nir("2540375123456")
NIR_JEAN_CORSICA = make_nir("160022A012345")

ADMISSIONS = TableUnit(
    header=["IPP", "Nom", "Prénom", "DDN", "NIR", "Téléphone", "Service", "Date admission"],
    rows=[
        ["1001", "DUPONT", "Marie", "12/03/1954", NIR_MARIE,
         "06 12 34 56 78 / 01 23 45 67 89", "Cardiologie", "2023-01-05 00:00:00"],
        ["1002", "MARTIN", "Jean", "01/02/1960", NIR_JEAN_CORSICA, "0033781223344",
         "Psychiatrie", "06/01/2023"],
        ["1003", "", "", "23/11/1987", "", "", "Maternité", "07/01/2023"],
        ["1004", " LE GALL ", "Anne", "", "", "NULL", "", ""],
    ],
    name="Admissions",
    row_numbers=[5, 6, 7, 8],
)


def test_findings_locations_values_and_detectors() -> None:
    detection = detect_table(ADMISSIONS)
    found = {(f.entity, f.location): f for f in detection.findings}
    nir = found[("NIR", "Admissions, row 5, column NIR")]
    assert (nir.value, nir.detector, nir.confidence) == (NIR_MARIE, "column+nir_key", 0.99)
    assert found[("NIR", "Admissions, row 6, column NIR")].value == NIR_JEAN_CORSICA
    assert found[("BIRTH_DATE", "Admissions, row 5, column DDN")].value == "1954-03-12"
    assert found[("VISIT_DATE", "Admissions, row 5, column Date admission")].value == (
        "2023-01-05")
    last = found[("LAST_NAME", "Admissions, row 8, column Nom")]
    assert (last.value, last.detector) == ("LE GALL", "column+header")
    assert found[("CARE_UNIT", "Admissions, row 6, column Service")].value == "Psychiatrie"
    phones = [f for f in detection.findings if f.entity == "PHONE"]
    assert [(f.value, f.location) for f in phones] == [
        ("+33612345678", "Admissions, row 5, column Téléphone"),
        ("+33123456789", "Admissions, row 5, column Téléphone"),
        ("+33781223344", "Admissions, row 6, column Téléphone"),
    ]
    assert {f.detector for f in phones} == {"column+phonenumbers"}
    # empty cells and placeholders give nothing
    assert not [f for f in detection.findings if f.location.startswith("Admissions, row 7")
                and f.entity in ("LAST_NAME", "FIRST_NAME", "NIR")]


def test_records_from_rows() -> None:
    detection = detect_table(ADMISSIONS)
    assert detection.role_hint == "PATIENT"
    records = {r.location: r for r in detection.records}
    assert set(records) == {"Admissions, row 5", "Admissions, row 6", "Admissions, row 8"}
    marie = records["Admissions, row 5"]
    assert (marie.last_name, marie.first_name, marie.birth_date, marie.nir) == (
        "DUPONT", "Marie", "1954-03-12", NIR_MARIE)
    assert marie.phones == ["+33612345678", "+33123456789"]
    assert (marie.patient_id, marie.care_unit, marie.visit_date) == (
        "1001", "Cardiologie", "2023-01-05")
    assert marie.entities == {"PATIENT_ID", "LAST_NAME", "FIRST_NAME", "BIRTH_DATE", "NIR",
                              "PHONE", "CARE_UNIT", "VISIT_DATE"}
    assert marie.role_hint == "PATIENT"
    anne = records["Admissions, row 8"]
    assert anne.entities == {"PATIENT_ID", "LAST_NAME", "FIRST_NAME"}
    assert anne.phones == []
    assert all(r.role_hint == "PATIENT" for r in detection.records)


def test_unnamed_table_locations() -> None:
    table = TableUnit(["Nom", "Prénom"], [["DUPONT", "Marie"]])
    detection = detect_table(table)
    assert [f.location for f in detection.findings] == ["row 2, column Nom",
                                                        "row 2, column Prénom"]
    assert [r.location for r in detection.records] == ["row 2"]


def test_headerless_nir_table_locations_use_column_numbers() -> None:
    table = TableUnit(["", ""], [[NIR_MARIE, "x"], [make_nir("1881275000077"), "y"]])
    detection = detect_table(table)
    assert [f.location for f in detection.findings] == ["row 2, column 1", "row 3, column 1"]
    assert len(detection.records) == 2  # a NIR identifies a person
    assert detection.role_hint == "PATIENT"  # NIR and no staff evidence


def test_person_column_split_into_last_and_first() -> None:
    table = TableUnit(["Patient", "Unité"], [["DUPONT Marie", "UF 2011"],
                                             ["Jean-Pierre LE GALL", "UF 2012"],
                                             ["Marie Dupont", "UF 2013"]])
    records = detect_table(table).records
    assert [(r.full_name, r.last_name, r.first_name) for r in records] == [
        ("DUPONT Marie", "DUPONT", "Marie"),
        ("Jean-Pierre LE GALL", "LE GALL", "Jean-Pierre"),
        ("Marie Dupont", None, None),
    ]
    assert records[0].entities == {"PERSON", "CARE_UNIT"}
    assert records[0].care_unit == "UF 2011"


@pytest.mark.parametrize(
    ("full", "expected"),
    [("DUPONT Marie", ("DUPONT", "Marie")), ("Marie DUPONT", ("DUPONT", "Marie")),
     ("DE LA FONTAINE Jean-Pierre", ("DE LA FONTAINE", "Jean-Pierre")),
     ("Dupont, Marie", ("Dupont", "Marie")), ("DUPONT MARIE", (None, None)),
     ("Marie Dupont", (None, None)), ("DUPONT", (None, None)),
     ("Marie DUPONT Jeanne MARTIN", (None, None)),
     ("D'ARTAGNAN Charles", ("D'ARTAGNAN", "Charles"))],
)
def test_split_full_name(full: str, expected: tuple[str | None, str | None]) -> None:
    assert split_full_name(full) == expected


def test_row_without_identity_gives_no_record() -> None:
    table = TableUnit(["Nom", "Service"], [["DUPONT", "Cardiologie"]])
    assert detect_table(table).records == []  # a last name alone does not identify


def test_row_with_one_name_part_and_identifiers_is_a_record() -> None:
    # Only a last name, but a phone and a birth date: a record (issue 11), whose name alone
    # never makes a person (resolve/people.py).
    table = TableUnit(["Nom", "Téléphone", "DDN"], [["DUPONT", "0612345678", "12/03/1954"]])
    (record,) = detect_table(table).records
    assert (record.last_name, record.birth_date) == ("DUPONT", "1954-03-12")
    assert len(detect_table(table).findings) == 3


def test_staff_directory_role_and_findings() -> None:
    table = TableUnit(
        header=["Nom", "Prénom", "Fonction", "Service", "Poste", "Email"],
        rows=[["BERNARD", "Luc", "IDE", "Cardiologie", "4512", "L.Bernard@chu.fr"],
              ["PETIT", "Julie", "Cadre", "Urgences", "4520", "j.petit@chu.fr; julie@gmail.com"]],
    )
    detection = detect_table(table)
    assert detection.role_hint == "STAFF"
    assert not [f for f in detection.findings if f.entity == "PHONE"]
    assert [f.value for f in detection.findings if f.entity == "EMAIL"] == [
        "l.bernard@chu.fr", "j.petit@chu.fr", "julie@gmail.com"]
    assert [r.role_hint for r in detection.records] == ["STAFF", "STAFF"]
    assert detection.records[1].emails == ["j.petit@chu.fr", "julie@gmail.com"]


@pytest.mark.parametrize(
    ("header", "role"),
    [
        (["Matricule", "Nom", "Prénom", "NIR", "IBAN"], "STAFF"),  # payroll: NIR is weak
        (["Matricule INSEE", "Nom", "Prénom"], "PATIENT"),  # a NIR column, no staff evidence
        (["RPPS", "Nom", "Prénom"], "STAFF"),
        (["IPP", "Nom", "Prénom", "Fonction"], "PATIENT"),
        (["Nom", "Prénom", "Ville"], "UNKNOWN"),
        (["Nom", "Prénom", "Service", "Date de venue"], "PATIENT"),
    ],
)
def test_role_hint(header: list[str], role: str) -> None:
    values = {
        "Matricule": "A0012", "Nom": "DUPONT", "Prénom": "Marie", "NIR": NIR_MARIE,
        "Matricule INSEE": NIR_MARIE, "IBAN": "FR7630006000011234567890189",
        "RPPS": "10001234567", "IPP": "1001", "Fonction": "IDE", "Ville": "Paris",
        "Service": "Cardiologie", "Date de venue": "05/01/2023",
    }
    table = TableUnit(header, [[values[h] for h in header]])
    detection = detect_table(table)
    assert detection.role_hint == role
    assert [r.role_hint for r in detection.records] == [role]


@pytest.mark.slow
def test_large_column_scales_linearly_and_is_cached() -> None:
    """A 20 000-row and an 80 000-row table: every cell found, in time linear in the rows
    (a complexity check, not a wall-clock limit: see tests/complexity.py)."""
    nirs = [make_nir(f"1{y:02d}0175{n:06d}") for y in range(40, 90) for n in range(100)]
    phones = [f"06 12 34 {i // 100:02d} {i % 100:02d}" for i in range(5000)]

    def table(n: int) -> TableUnit:
        rows = [[nirs[i % len(nirs)], phones[i % len(phones)], "DUPONT", "Marie", "Cardiologie"]
                for i in range(n)]
        return TableUnit(["NIR", "Tel", "Nom", "Prénom", "Service"], rows)

    small, large = table(20_000), table(80_000)
    detections = {}

    def run(unit: TableUnit) -> None:
        detections[len(unit.rows)] = detect_table(unit)

    assert_scales(lambda: run(small), lambda: run(large), what="detect_table")
    for n, detection in detections.items():
        assert len(detection.findings) == 5 * n
        assert len(detection.records) == n


def test_detect_units_routes_text_and_tables() -> None:
    units = [
        TextUnit("Patiente née le 12 mars 1954, tél 06 12 34 56 78", name="page 1"),
        ADMISSIONS,
        TableUnit(["Email"], [["a@b.fr"]]),
    ]
    result = detect_units(units)
    assert isinstance(result, DetectionResult)
    assert [f.entity for f in result.findings[:2]] == ["BIRTH_DATE", "PHONE"]
    assert result.findings[0].location == "page 1, line 1"
    assert len(result.records) == 3  # text units give no records yet
    assert [name for name, _ in result.columns] == ["Admissions"] * 8 + [""]
    assert result.columns[-1][1].label == "EMAIL"
    assert result.findings[-1].value == "a@b.fr"


def test_detect_units_rejects_other_objects() -> None:
    with pytest.raises(TypeError):
        detect_units(["not a unit"])  # type: ignore[list-item]


def test_a_note_column_gives_the_rows_health_findings_and_keys_are_kept():
    from breachscope.detect.tables import detect_table
    from breachscope.extract.units import TableUnit

    table = TableUnit(["nda", "ipp", "commentaire", "code_cim10"], [
        ["5001", "100234", "Admis pour sevrage alcoolique, traité par méthadone", "F10.2"],
        ["5002", "100235", "RAS", "I10"],
    ], name="table sejour")
    found = detect_table(table)
    notes = {(f.entity, f.value, f.location) for f in found.findings
             if f.location.endswith("column commentaire")}
    assert ("MEDICATION", "méthadone", "table sejour, row 2, column commentaire") in notes
    assert not any(loc.startswith("table sejour, row 3") for _e, _v, loc in notes)
    # key columns (by name or label) are kept per row; a diagnosis code column is a fact
    assert ("table sejour, row 2", "nda", "5001") in found.row_keys
    assert ("table sejour, row 3", "ipp", "100235") in found.row_keys
    assert not any(col == "code_cim10" for _loc, col, _v in found.row_keys)
