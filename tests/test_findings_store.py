"""Findings in the case store: labelled table columns' cells kept apart (``finding_cells``,
``finding_columns``), every finding read through the ``findings`` view, deleted through
:mod:`breachscope.findings_store`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests_helpers import FILES_ONLY_ENV, files_or_inline_task, old_case

from breachscope.case import SCHEMA_VERSION, Case
from breachscope.findings_store import delete_contents, delete_findings
from breachscope.pipeline import scan
from breachscope.report.exports import export

# 3 rows; the NIR column and the phone column are labelled, the note column is free text
# (its phone is a finding of its own, stored one row each).
CSV = (
    "Nom;Prénom;N° Sécu;Téléphone;Commentaire\n"
    "DUPONT;Marie;2 54 03 75 123 456 55;06 12 34 56 78;rappeler au 06 98 76 54 32\n"
    "MARTIN;Paul;1 85 02 75 123 456 25;01 45 67 89 10;\n"
    "BERNARD;Lucie;2 91 12 13 055 123 08;06 11 22 33 44 / 07 55 66 77 88;\n"
).encode()

NIRS = {("row 2, column N° Sécu", "254037512345655"),
        ("row 3, column N° Sécu", "185027512345625"),
        ("row 4, column N° Sécu", "291121305512308")}


def _scan(tmp_path: Path, name: str, key: str | None = None) -> Case:
    """A scan whose worker writes its results to files (a content this small is otherwise
    returned inline, as findings with their locations)."""
    dump = tmp_path / "dump"
    dump.mkdir(exist_ok=True)
    (dump / "patients.csv").write_bytes(CSV)
    case = Case(tmp_path / name, key=key)
    scan([dump], case, workers=1, task=files_or_inline_task)
    return case


@pytest.fixture
def scanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(FILES_ONLY_ENV, "1")
    with _scan(tmp_path, "case") as case:
        yield case


def _findings(db: duckdb.DuckDBPyConnection) -> list[tuple]:
    return db.execute("SELECT location, entity, value, confidence, detector FROM findings "
                      "ORDER BY ALL").fetchall()


def test_labelled_columns_are_cells_and_read_as_findings(scanned: Case) -> None:
    db = scanned.db
    cells = db.execute("SELECT count(*) FROM finding_cells").fetchone()[0]
    # 3 NIRs, 4 phones (two in the last row's cell) at least, all stored as cells
    assert cells >= 7
    assert db.execute("SELECT count(*) FROM plain_findings "
                      "WHERE starts_with(detector, 'column+')").fetchone() == (0,)
    nirs = set(db.execute("SELECT location, value FROM findings WHERE entity = 'NIR'")
               .fetchall())
    assert nirs == NIRS
    phones = db.execute("SELECT value FROM findings WHERE entity = 'PHONE' AND "
                        "location = 'row 4, column Téléphone' ORDER BY value").fetchall()
    assert phones == [("+33611223344",), ("+33755667788",)]
    # the free-text column's phone is a finding stored one row each, in the same view
    assert db.execute("SELECT count(*) FROM findings WHERE value = '+33698765432' AND "
                      "location LIKE 'row 2, column Commentaire%'").fetchone() == (1,)
    assert scanned.counts()["findings"] == len(_findings(db))


def test_export_lists_a_files_findings_row_by_row(scanned: Case, tmp_path: Path) -> None:
    out = tmp_path / "findings.csv"
    n = export(scanned, "findings", "csv", out)
    lines = out.read_text(encoding="utf-8").splitlines()[1:]
    assert n == len(lines) == len(_findings(scanned.db))
    cell_rows = [int(line.split(",")[1].split()[1]) for line in lines
                 if "column N° Sécu" in line or "column Téléphone" in line]
    assert cell_rows == sorted(cell_rows) and len(cell_rows) >= 7


def test_deleting_findings_reaches_cells_and_plain_rows(scanned: Case) -> None:
    db = scanned.db
    before = _findings(db)
    delete_findings(db, "entity = ? AND location = ?", ["NIR", "row 3, column N° Sécu"])
    delete_findings(db, "value = ?", ["+33698765432"])
    after = _findings(db)
    gone = set(before) - set(after)
    assert {(loc, v) for loc, e, v, *_ in gone} == {
        ("row 3, column N° Sécu", "185027512345625"),
        *{(loc, "+33698765432") for loc, _, v, *_ in before if v == "+33698765432"}}
    sha = db.execute("SELECT sha256 FROM files").fetchone()[0]
    delete_contents(db, [sha])
    assert _findings(db) == []
    assert db.execute("SELECT count(*) FROM finding_columns").fetchone() == (0,)


def test_a_content_scanned_again_replaces_its_cells(scanned: Case, tmp_path: Path) -> None:
    before = _findings(scanned.db)
    scanned.db.execute("UPDATE contents SET status = 'failed'")  # failed: redone next scan
    scan([tmp_path / "dump"], scanned, workers=1, task=files_or_inline_task)
    assert _findings(scanned.db) == before


def test_an_encrypted_case_stores_the_same_findings(scanned: Case, tmp_path: Path) -> None:
    with _scan(tmp_path, "sealed", key="correct horse battery staple") as sealed:
        assert sealed.db.execute("SELECT count(*) FROM finding_cells").fetchone()[0] >= 7
        assert _findings(sealed.db) == _findings(scanned.db)


def test_a_version_5_case_keeps_its_findings(tmp_path: Path) -> None:
    path = tmp_path / "old"
    db = old_case(path, 5)
    db.execute("INSERT INTO findings VALUES ('s', 'row 2, column nir', 'NIR', "
               "'254037512345655', 0.99, 'column+nir_key')")
    db.close()
    with Case(path) as case:
        assert case.schema_version == SCHEMA_VERSION == 10
        expected = [("s", "row 2, column nir", "NIR", "254037512345655", 0.99,
                     "column+nir_key")]
        assert case.db.execute("SELECT * FROM findings").fetchall() == expected
        assert case.db.execute("SELECT * FROM plain_findings").fetchall() == expected


def test_counts_per_content_and_entity_are_the_views(scanned: Case) -> None:
    from breachscope.findings_store import COUNTS

    db = scanned.db
    counted = db.execute(f"SELECT sha256, entity, sum(n) FROM {COUNTS} GROUP BY ALL "
                         "ORDER BY ALL").fetchall()
    viewed = db.execute("SELECT sha256, entity, count(*) FROM findings GROUP BY ALL "
                        "ORDER BY ALL").fetchall()
    assert counted == viewed and len(counted) >= 3
    assert scanned.counts()["findings_distinct"] == sum(n for *_, n in viewed)
