"""What changed since the previous wave: a dump scanned, then a second part of it added and the
same case rescanned; the report tells the new files, the new people (not one already seen who
reappears) and the new findings, and masks a new file named after a patient."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from breachscope.case import Case
from breachscope.pipeline import scan
from breachscope.report.html import write_report

HEADER = "Nom;Prénom;Date de naissance;N° Sécu;Téléphone\n"


def nir(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


FIRST_WAVE = [
    ("LAMBERTIN", "Paul", "12/05/1961", nir("1610575123001"), "0612345601"),
    ("ROUSSELOT", "Anne", "03/09/1972", nir("2720975123002"), "0612345602"),
    ("GARNIERE", "Louis", "21/11/1980", nir("1801175123003"), "0612345603"),
]
NEW_PERSON = ("DUPONTEL", "Marie", "12/03/1954", nir("2540375123004"), "0612345604")


def _csv(rows) -> str:
    return HEADER + "".join(";".join(r) + "\n" for r in rows)


def test_second_wave_new_files_people_findings_and_masked_name(tmp_path: Path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "patients.csv").write_text(_csv(FIRST_WAVE), encoding="utf-8")
    case_dir = tmp_path / "case"
    with Case(case_dir) as case:
        scan([dump], case, workers=1)
        first = write_report(case, tmp_path / "r1", report_date=dt.date(2024, 2, 11))
    assert first["waves"]["count"] == 1
    assert first["waves"]["last"]["people"] == first["people"]["total"] == 3

    wave2 = tmp_path / "wave2"
    shutil.copytree(dump, wave2)
    # the second part: a list named after its patient, who is new, and one already seen
    new_name = "liste_VIH_DUPONTEL_Marie_1954-03-12.csv"
    (wave2 / new_name).write_text(_csv([NEW_PERSON, FIRST_WAVE[0]]), encoding="utf-8")
    with Case(case_dir) as case:
        scan([wave2], case, workers=1)
        s = write_report(case, tmp_path / "r2", report_date=dt.date(2024, 2, 11))
    waves = s["waves"]
    assert waves["count"] == 2
    assert [r["files"] for r in waves["runs"]] == [1, 1]
    last = waves["last"]
    assert (last["files"], last["files_before"]) == (1, 1)
    assert s["people"]["total"] == 4
    assert (last["people"], last["people_before"]) == (1, 3)  # LAMBERTIN came back: not new
    assert last["findings"] > 0 and last["findings_before"] > 0
    assert last["findings"] + last["findings_before"] == s["findings"]["total"]

    html = (tmp_path / "r2" / "report.html").read_text(encoding="utf-8")
    summary = (tmp_path / "r2" / "summary.json").read_text(encoding="utf-8")
    shown = [f["file"] for f in last["files_shown"]]
    assert len(shown) == 1 and shown[0].startswith("liste_VIH_D") and shown[0].endswith(".csv")
    for text in (html, summary):
        assert shown[0] in text
        for identifier in ("DUPONTEL", "Marie", "1954-03-12", NEW_PERSON[3], "LAMBERTIN"):
            assert identifier not in text
    assert "Ce qui a changé depuis la vague précédente" in html
