"""Person identifier columns recognised by their values, whatever their header (issue 11):
one fixed shape, and values and the table's people matching one to one."""

from __future__ import annotations

import random
from datetime import date

from breachscope.detect.columns import ColumnLabel, classify_columns
from breachscope.detect.tables import detect_table
from breachscope.extract.units import TableUnit

TODAY = date(2024, 6, 1)
LAST = ["DUPONT", "MARTIN", "BERNARD", "PETIT", "DURAND", "LEROY", "MOREAU", "SIMON",
        "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT",
        "FOURNIER", "MOREL", "GIRARD", "ANDRE", "MERCIER", "BLANC", "GUERIN", "BOYER"]
FIRST = ["Marie", "Jean", "Anne", "Paul", "Julie", "Luc", "Emma", "Hugo", "Léa", "Louis",
         "Chloé", "Jules", "Inès", "Adam", "Sarah", "Noah", "Lina", "Tom", "Zoé", "Nathan",
         "Alice", "Théo", "Manon", "Lucas"]


def people(n: int) -> list[tuple[str, str]]:
    """``n`` distinct (last, first) names."""
    return [(LAST[i % len(LAST)], FIRST[(i // len(LAST) + i * 7) % len(FIRST)])
            for i in range(n)]


def random_ids(n: int, make, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        value = make(rng)
        if value not in out:
            out.append(value)
    return out


def column(table: TableUnit, header: str) -> ColumnLabel:
    return next(c for c in classify_columns(table, today=TODAY) if c.header == header)


def patients(header: str, ids: list[str]) -> TableUnit:
    rows = [[last, first, value, "Cardiologie"]
            for (last, first), value in zip(people(len(ids)), ids, strict=True)]
    return TableUnit(["nom", "prenom", header, "service"], rows)


def test_unknown_header_over_person_identifiers_is_a_patient_id() -> None:
    for header, make in [
        ("pat_no", lambda r: str(r.randrange(10_000_000, 99_999_999))),
        ("rec_ref", lambda r: f"R-{r.randrange(100_000, 999_999)}"),
        ("", lambda r: f"{r.choice('ABCDEFGH')}{r.randrange(1_000_000, 9_999_999)}"),
    ]:
        ids = random_ids(30, make)
        found = column(patients(header, ids), header)
        assert found.label == "PATIENT_ID", (header, found.reason)
        assert found.confidence == 0.55 and found.from_values
        assert "no header evidence" in found.reason
        assert not any(value in found.reason for value in ids)  # never quotes a cell


def test_an_identifier_repeated_per_person_in_a_stays_table() -> None:
    """A stays table: each patient's number repeats on each of their stays, one per person."""
    ids = random_ids(25, lambda r: str(r.randrange(10_000_000, 99_999_999)))
    rows = []
    for (last, first), value in zip(people(25), ids, strict=True):
        rows += [[last, first, value, "Cardiologie"], [last, first, value, "Urgences"]]
    found = column(TableUnit(["nom", "prenom", "pat_no", "service"], rows), "pat_no")
    assert found.label == "PATIENT_ID", found.reason


def test_the_values_alone_are_no_patient_evidence_but_the_rows_keep_the_identifier() -> None:
    ids = random_ids(30, lambda r: str(r.randrange(10_000_000, 99_999_999)))
    detection = detect_table(patients("pat_no", ids), today=TODAY)
    assert detection.role_hint == "UNKNOWN"  # as without the column: no header says patient
    assert [r.patient_id for r in detection.records] == ids
    assert {f.detector for f in detection.findings if f.entity == "PATIENT_ID"} == {
        "column+header"}
    assert {name for _, name, _ in detection.row_keys} == {"pat_no"}


def test_not_an_identifier() -> None:
    rng = random.Random(3)
    n = 30
    cases = {
        # auto-increment keys: two unrelated exports share them
        "rec_ref": [str(100_001 + i) for i in range(n)],
        # prices, amounts
        "montant": [f"{rng.randrange(100, 99_999)}.{rng.randrange(10, 99)}" for _ in range(n)],
        # an identifier of something else than a person (one per invoice)
        "num_facture": random_ids(n, lambda r: str(r.randrange(10_000_000, 99_999_999))),
        # short codes
        "code": random_ids(n, lambda r: str(r.randrange(10_000, 99_999))),
        # words
        "remarque": [f"Patient vu le {i}" for i in range(n)],
    }
    for header, values in cases.items():
        found = column(patients(header, values), header)
        assert found.label is None, (header, found.reason)


def test_values_shared_between_people_or_too_few_rows_are_not_identifiers() -> None:
    shared = random_ids(10, lambda r: str(r.randrange(10_000_000, 99_999_999))) * 3
    assert column(patients("pat_no", shared), "pat_no").label is None
    few = random_ids(10, lambda r: str(r.randrange(10_000_000, 99_999_999)))
    assert column(patients("pat_no", few), "pat_no").label is None


def test_needs_people_and_no_staff_and_no_patient_id_already() -> None:
    ids = random_ids(30, lambda r: str(r.randrange(10_000_000, 99_999_999)))
    no_people = TableUnit(["pat_no", "service"], [[v, "Cardiologie"] for v in ids])
    assert column(no_people, "pat_no").label is None
    staff = TableUnit(["nom", "prenom", "pat_no", "grade"],
                      [[last, first, v, "IDE"]
                       for (last, first), v in zip(people(30), ids, strict=True)])
    assert column(staff, "pat_no").label is None
    other = random_ids(30, lambda r: str(r.randrange(10_000_000, 99_999_999)), seed=2)
    with_ipp = TableUnit(["IPP", "nom", "prenom", "pat_no"],
                         [[o, last, first, v] for (last, first), v, o
                          in zip(people(30), ids, other, strict=True)])
    assert column(with_ipp, "IPP").label == "PATIENT_ID"
    assert column(with_ipp, "pat_no").label is None
