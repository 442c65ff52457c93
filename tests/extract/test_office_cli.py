"""End to end through the CLI: one office file per format, scanned and exported; each
finding with its file and location."""

from __future__ import annotations

import csv

import pytest
from samples import office

NIR, PHONE = office.NIR, office.PHONE_E164

SHEET_ROWS = {
    ("NIR", NIR, "sheet Patients, row {r}, column NIR"),
    ("PHONE", PHONE, "sheet Patients, row {r}, column Téléphone"),
    ("LAST_NAME", "DUPONT", "sheet Patients, row {r}, column Nom"),
    ("FIRST_NAME", "Jeanne", "sheet Patients, row {r}, column Prénom"),
    ("BIRTH_DATE", "1954-03-12", "sheet Patients, row {r}, column Date de naissance"),
    ("EMAIL", "jeanne.dupont@example.fr", "sheet Patients, row {r}, column E-mail"),
}
LETTER_ROWS = {
    ("NIR", NIR, "header, line 1"),
    ("PHONE", PHONE, "paragraph 2, line 1"),
    ("BIRTH_DATE", "1954-03-12", "paragraph 2, line 1"),
    ("PHONE", PHONE, "table 1, row 2, column Téléphone"),
    ("LAST_NAME", "DUPONT", "table 1, row 2, column Nom"),
    ("FIRST_NAME", "Jeanne", "table 1, row 2, column Prénom"),
    ("EMAIL", "secretariat.cardio@example.fr", "footer, line 1"),
}
EXPECTED = {
    "xls": {(e, v, loc.format(r=4)) for e, v, loc in SHEET_ROWS},
    "ods": {(e, v, loc.format(r=4)) for e, v, loc in SHEET_ROWS},
    "xlsm": {(e, v, loc.format(r=2)) for e, v, loc in SHEET_ROWS},
    "docx": LETTER_ROWS,
    "odt": LETTER_ROWS,
    "rtf": {("BIRTH_DATE", "1954-03-12", "line 3"), ("NIR", NIR, "line 4"),
            ("PHONE", PHONE, "line 5")},
    "doc": {("BIRTH_DATE", "1954-03-12", "line 5"), ("NIR", NIR, "line 6"),
            ("PHONE", PHONE, "line 7")},
}
TYPES = {"xlsm": "xlsx"}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory):
    from typer.testing import CliRunner

    from breachscope.cli import app

    work = tmp_path_factory.mktemp("office")
    dump = work / "dump"
    (dump / "docs").mkdir(parents=True)
    promised = {}
    for fmt in EXPECTED:
        name = f"docs/patient.{fmt}"
        promised[name] = getattr(office, f"make_{fmt}")(dump / name)
    runner = CliRunner()

    def run(*args: object) -> None:
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    run("scan", dump, "--case", work / "case", "--workers", "2")
    run("export", "--case", work / "case", "--what", "findings", "--format", "csv",
        "-o", work / "findings.csv")
    run("export", "--case", work / "case", "--what", "files", "--format", "csv",
        "-o", work / "files.csv")
    with (work / "findings.csv").open(encoding="utf-8", newline="") as fh:
        findings = list(csv.DictReader(fh))
    with (work / "files.csv").open(encoding="utf-8", newline="") as fh:
        files = {row["file"]: row for row in csv.DictReader(fh)}
    return findings, files, promised


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(EXPECTED))
def test_office_file_findings_and_locations(scanned, fmt: str) -> None:
    findings, files, promised = scanned
    name = f"docs/patient.{fmt}"
    assert files[name]["status"] == "scanned", files[name]["reason"]
    assert files[name]["type"] == TYPES.get(fmt, fmt)
    rows = {(f["entity"], f["value"], f["location"]) for f in findings if f["file"] == name}
    assert EXPECTED[fmt] <= rows, sorted(rows)
    # What the sample maker promises is found; for identifiers, nothing else is.
    found = {(e, v) for e, v, _ in rows}
    assert set(promised[name]) <= found
    identifiers = {"NIR", "PHONE", "EMAIL", "IBAN", "BIRTH_DATE"}
    assert {p for p in found if p[0] in identifiers} == {
        p for p in promised[name] if p[0] in identifiers}
