"""What changed since the previous wave: the session's scanned demo case copied, a second part
of the dump scanned into it; the report tells the new files, the new people (not one already
seen who reappears) and the new findings, and masks a new file named after its patient."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from breachscope.case import Case
from breachscope.pipeline import scan
from breachscope.report.html import write_report


def nir(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


NEW_PERSON = ("DUPONTEL", "Marie", "12/03/1954", nir("2540375123004"))
NEW_FILE = "liste_VIH_DUPONTEL_Marie_1954-03-12.csv"


def _seen_patient(truth: dict) -> dict:
    """A patient of the first wave with a NIR and a birth date (found again by exact keys)."""
    return next(p for p in truth["people"] if p["role"] == "PATIENT" and p["nir"]
                and p["birth_date"] and len(p["last_name"]) >= 4)


def test_second_wave_new_files_people_findings_and_masked_name(scanned_demo, tmp_path: Path):
    first_case, truth = scanned_demo
    case_dir = tmp_path / "case"
    shutil.copytree(first_case, case_dir)
    seen = _seen_patient(truth)
    y, m, d = seen["birth_date"].split("-")
    wave2 = tmp_path / "wave2"
    wave2.mkdir()
    # the second part: a list named after its patient, who is new, and a patient already seen
    (wave2 / NEW_FILE).write_text(
        "Nom;Prénom;Date de naissance;N° Sécu\n" + ";".join(NEW_PERSON) + "\n"
        + f"{seen['last_name'].upper()};{seen['first_name']};{d}/{m}/{y};{seen['nir']}\n",
        encoding="utf-8")
    with Case(case_dir) as case:
        before = case.db.execute("SELECT count(*) FROM files").fetchone()[0]
        scan([wave2], case, workers=1)
        s = write_report(case, tmp_path / "r", report_date=dt.date(2024, 2, 11))
    waves = s["waves"]
    assert waves["count"] == 2
    assert [r["files"] for r in waves["runs"]] == [before, 1]
    last = waves["last"]
    assert (last["files"], last["files_before"]) == (1, before)
    assert s["people"]["total"] == len(truth["people"]) + 1
    assert (last["people"], last["people_before"]) == (1, len(truth["people"]))  # seen: not new
    assert last["people_by_category"]["NATIONAL_ID"] == 1
    assert last["findings"] > 0 and last["findings_before"] > 0
    assert last["findings"] + last["findings_before"] == s["findings"]["total"]

    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    summary = (tmp_path / "r" / "summary.json").read_text(encoding="utf-8")
    shown = [f["file"] for f in last["files_shown"]]
    assert len(shown) == 1 and shown[0].startswith("liste_VIH_D") and shown[0].endswith(".csv")
    for text in (html, summary):
        assert shown[0] in text
        for identifier in ("DUPONTEL", "1954-03-12", NEW_PERSON[3], seen["nir"],
                           seen["last_name"].upper()):
            assert identifier not in text
    assert "Ce qui a changé depuis la vague précédente" in html
    assert "Fichiers de la dernière vague" in html
