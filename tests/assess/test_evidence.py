"""``sensitive_evidence`` read from the store's own tables: findings stored one row each
(``plain_findings``) and labelled columns' cells (``finding_cells`` + ``finding_columns``)
alike, facts and a record's own fields, only for records that are not a professional's."""

from __future__ import annotations

from breachscope.assess.categories import build_sensitive_evidence
from breachscope.case import Case

SHA = "a" * 64


def _record(db, record_id: str, location: str, role_hint: str = "PATIENT",
            care_unit: str = "", icd10: tuple[str, ...] = ()) -> None:
    db.execute("INSERT INTO records (record_id, sha256, location, role_hint, care_unit, "
               "icd10_codes) VALUES (?, ?, ?, ?, ?, ?)",
               [record_id, SHA, location, role_hint, care_unit, list(icd10)])


def test_cells_plain_findings_facts_and_fields_are_evidence(tmp_path):
    with Case(tmp_path / "case") as case:
        db = case.db
        _record(db, "r1", "row 1")                      # its diagnosis code is a cell
        _record(db, "r2", "table t, row 2")             # its code is a plain finding
        _record(db, "r3", "row 3", care_unit="Psychiatrie adulte", icd10=("B20",))
        _record(db, "r4", "row 4", role_hint="STAFF")   # a professional's row: no evidence
        _record(db, "r5", "row 5", role_hint="UNKNOWN")  # a staff member's unit: workplace
        _record(db, "r6", "row 6")                      # nothing sensitive
        for person, role, records in (("p1", "PATIENT", ("r1", "r2")), ("p3", "PATIENT", ("r3",)),
                                      ("p4", "STAFF", ("r4",)), ("p5", "STAFF", ("r5",)),
                                      ("p6", "PATIENT", ("r6",))):
            db.execute("INSERT INTO people (person_id, role) VALUES (?, ?)", [person, role])
            for record in records:
                db.execute("INSERT INTO person_records VALUES (?, ?)", [person, record])
        db.execute("INSERT INTO finding_columns VALUES (1, ?, 'row ', ', column cim', "
                   "'ICD10_CODE', 'column+header'), (2, ?, 'row ', ', column uf', "
                   "'CARE_UNIT', 'column+header')", [SHA, SHA])
        db.execute("INSERT INTO finding_cells VALUES (1, 1, 'F20.0', 1.0), (1, 4, 'F20.0', 1.0), "
                   "(1, 6, 'J45', 1.0), (1, 9, 'F20.1', 1.0), (2, 5, 'PSY', 1.0)")
        db.execute("INSERT INTO plain_findings VALUES (?, 'table t, row 2, column dp', "
                   "'ICD10_CODE', 'F10.2', 1.0, 'icd10')", [SHA])
        db.execute("INSERT INTO plain_facts VALUES ('r6', ?, 'row 8, column dr', 'ICD10_CODE', "
                   "'J45', 'row_link', 1), ('r1', ?, 'row 7, column um', 'CARE_UNIT', "
                   "'CSAPA', 'row_link', 1)", [SHA, SHA])
        db.execute("INSERT INTO unit_values VALUES ('PSY', 'PSY', 'Psychiatrie', "
                   "'psychiatry', 'inferred', 'readable_code'), ('Psychiatrie adulte', NULL, "
                   "'Psychiatrie adulte', 'psychiatry', 'label', NULL), ('CSAPA', 'CSAPA', "
                   "'CSAPA (addictologie)', 'addiction', 'inferred', 'readable_code')")
        build_sensitive_evidence(case)
        rows = db.execute("SELECT person_id, record_id, location, category, reason, decided "
                          "FROM sensitive_evidence ORDER BY ALL").fetchall()
        leftovers = db.execute("SELECT count(*) FROM duckdb_tables() "
                               "WHERE starts_with(table_name, '_bs_')").fetchone()[0]
    assert rows == [
        ("p1", "r1", "row 1, column cim", "psychiatry", "ICD-10 code F20.0", True),
        ("p1", "r1", "row 7, column um", "addiction",
         "unit CSAPA = CSAPA (addictologie) (inferred from the code)", True),
        ("p1", "r2", "table t, row 2, column dp", "addiction", "ICD-10 code F10.2", True),
        ("p3", "r3", "row 3", "hiv", "ICD-10 code B20", True),
        ("p3", "r3", "row 3", "psychiatry", "unit Psychiatrie adulte", True),
    ]
    assert leftovers == 0
