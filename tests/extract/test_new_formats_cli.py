"""End to end through the CLI: the formats added for issue 12 (pptx, ppt, xlsb, dBase,
Access, OneNote, short Word 97), one file each in a dump, scanned and exported: each file
``scanned`` with its type, its identifiers found where they are."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from samples.office import NIR, PHONE_E164
from samples.office_more import (
    make_dbf,
    make_onenote,
    make_ppt,
    make_pptx,
    make_short_doc,
    make_xlsb,
)

ACCESS_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "access" / "merchant_taylors.mdb"

#: file → (type, findings (entity, value, location) that must be among the file's).
EXPECTED = {
    "docs/staff.pptx": ("pptx", {("NIR", NIR, "slide 1, line 3"),
                                 ("PHONE", PHONE_E164, "slide 1, line 4"),
                                 ("NIR", NIR, "slide 2 table 1, row 2, column NIR"),
                                 ("EMAIL", "jeanne.dupont@example.fr",
                                  "slide 1 notes, line 1")}),
    "docs/staff.ppt": ("ppt", {("NIR", NIR, "slide 1, line 3"),
                               ("PHONE", PHONE_E164, "slide 2, line 1"),
                               ("EMAIL", "jeanne.dupont@example.fr",
                                "slide 1 notes, line 1")}),
    "docs/export.xlsb": ("xlsb", {("NIR", NIR, "sheet Patients, row 4, column NIR")}),
    "db/PATIENTS.DBF": ("dbf", {("NIR", NIR, "row 1, column NIR"),
                                ("PHONE", PHONE_E164, "row 1, column TEL")}),
    "notes/Patients.one": ("onenote", {("NIR", NIR, "line 3"),
                                       ("PHONE", PHONE_E164, "line 2")}),
    "docs/courrier.doc": ("doc", {("NIR", NIR, "line 3"), ("PHONE", PHONE_E164, "line 4")}),
    "db/registre.mdb": ("access", set()),
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory):
    from typer.testing import CliRunner

    from breachscope.cli import app

    work = tmp_path_factory.mktemp("newformats")
    dump = work / "dump"
    for sub in ("docs", "db", "notes"):
        (dump / sub).mkdir(parents=True)
    make_pptx(dump / "docs/staff.pptx")
    make_ppt(dump / "docs/staff.ppt")
    make_xlsb(dump / "docs/export.xlsb")
    make_dbf(dump / "db/PATIENTS.DBF")
    make_onenote(dump / "notes/Patients.one")
    make_short_doc(dump / "docs/courrier.doc")
    shutil.copyfile(ACCESS_SAMPLE, dump / "db/registre.mdb")
    runner = CliRunner()

    def run(*args: object) -> None:
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    run("scan", dump, "--case", work / "case", "--workers", "2")
    out = {}
    for what in ("findings", "files"):
        run("export", "--case", work / "case", "--what", what, "--format", "csv",
            "-o", work / f"{what}.csv")
        with (work / f"{what}.csv").open(encoding="utf-8", newline="") as fh:
            out[what] = list(csv.DictReader(fh))
    return out["findings"], {row["file"]: row for row in out["files"]}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_file_scanned_with_its_findings(scanned, name: str) -> None:
    findings, files = scanned
    file_type, expected = EXPECTED[name]
    assert files[name]["type"] == file_type
    assert files[name]["status"] == "scanned", files[name]["reason"]
    rows = {(f["entity"], f["value"], f["location"]) for f in findings if f["file"] == name}
    assert expected <= rows, sorted(rows)


@pytest.mark.slow
def test_embedded_files_are_members(scanned) -> None:
    _, files = scanned
    assert files["notes/Patients.one!/file1.png"]["type"] == "png"
