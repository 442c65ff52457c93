"""End to end through the CLI: the demo generator's leak, scanned, exported and compared with
its ground truth (the issue's acceptance test)."""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

SCORED = ("NIR", "PHONE", "EMAIL", "IBAN", "BIRTH_DATE")


@pytest.fixture(scope="module")
def scanned(scanned_demo, tmp_path_factory):
    """The session's scanned demo case (tests/conftest.py), with its three exports and
    report."""
    from typer.testing import CliRunner

    from breachscope.cli import app

    case, truth = scanned_demo
    work = tmp_path_factory.mktemp("e2e")
    runner = CliRunner()
    for what in ("files", "findings", "people"):
        res = runner.invoke(app, ["export", "--case", str(case), "--what", what,
                                  "--format", "csv", "-o", str(work / f"{what}.csv")])
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["report", "--case", str(case), "-o", str(work / "report"),
                              "--claim", "900 000 patients, 20 GB"])
    assert res.exit_code == 0, res.output
    return work, case, truth


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_precision_and_recall_per_entity(scanned):
    work, _case, truth = scanned
    expected: dict[str, set] = defaultdict(set)
    for f in truth["findings"]:
        expected[f["entity"]].add((f["file"], f["value"]))
    found: dict[str, set] = defaultdict(set)
    for f in read_csv(work / "findings.csv"):
        found[f["entity"]].add((f["file"], f["value"]))
    report = {}
    for entity in SCORED:
        exp, got = expected[entity], found[entity]
        assert exp, f"the truth has no {entity}"
        tp = len(exp & got)
        precision = tp / len(got) if got else 0.0
        recall = tp / len(exp)
        report[entity] = (round(precision, 4), round(recall, 4))
    for entity, (p, r) in report.items():
        assert p >= 0.99 and r >= 0.99, f"{entity}: precision {p}, recall {r}; all: {report}"


@pytest.mark.slow
def test_exact_number_of_unique_people(scanned):
    work, _case, truth = scanned
    people = read_csv(work / "people.csv")
    assert len(people) == len(truth["people"])
    by_role = defaultdict(int)
    for p in people:
        by_role[p["role"]] += 1
    truth_roles = defaultdict(int)
    for p in truth["people"]:
        truth_roles[p["role"]] += 1
    assert dict(by_role) == dict(truth_roles)


@pytest.mark.slow
def test_people_categories_and_nirs_match_truth(scanned):
    work, _case, truth = scanned
    people = {p["nir"]: p for p in read_csv(work / "people.csv") if p["nir"]}
    checked = 0
    for t in truth["people"]:
        if not t["nir"]:
            continue
        p = people[t["nir"]]
        assert set(p["categories"].split(";")) == set(t["categories"]), t["truth_id"]
        assert p["sensitive"] in ("true", "false")
        assert p["severity"] in ("low", "medium", "high", "very high")
        checked += 1
    assert checked > 50


@pytest.mark.slow
def test_export_columns_follow_the_contract(scanned):
    work, _case, _truth = scanned
    headers = {what: list(read_csv(work / f"{what}.csv")[0]) for what in
               ("files", "findings", "people")}
    assert headers["files"] == ["file", "sha256", "size", "type", "doc_class", "status",
                                "reason", "n_findings", "n_people"]
    assert headers["findings"] == ["file", "location", "entity", "value", "confidence",
                                   "detector"]
    # The contract's columns first, in order; then added ones (the index's, from `link`).
    assert headers["people"] == ["person_id", "role", "last_name", "first_name", "birth_date",
                                 "nir", "phones", "emails", "postal_code", "city", "categories",
                                 "sensitive", "severity", "files",
                                 "mpi_id", "mpi_address", "mpi_phone", "mpi_email",
                                 "identified", "sensitive_reasons", "sensitive_undecided"]


@pytest.mark.slow
def test_duplicate_content_is_scanned_once_and_counted_everywhere(scanned):
    work, case, _truth = scanned
    files = {f["file"]: f for f in read_csv(work / "files.csv")}
    a = files["exports/admissions_2023.csv"]
    b = files["archives/sauvegarde_2022.zip!/exports/admissions_2023.csv"]
    assert a["sha256"] == b["sha256"]
    assert a["n_findings"] == b["n_findings"] != "0"
    assert a["status"] == b["status"] == "scanned"
    nested = files["archives/sauvegarde_2022.zip!/exports/urgences_2022.zip!/urgences_2022.tsv"]
    assert int(nested["n_people"]) > 0
    db = duckdb.connect(str(case / "case.duckdb"), read_only=True)
    assert db.execute("SELECT count(*) FROM contents WHERE sha256 = ?",
                      [a["sha256"]]).fetchone()[0] == 1
    db.close()


@pytest.mark.slow
def test_summary_matches_exports_and_report_is_self_contained(scanned):
    work, _case, truth = scanned
    summary = json.loads((work / "report" / "summary.json").read_text())
    people = read_csv(work / "people.csv")
    findings = read_csv(work / "findings.csv")
    assert summary["people"]["total"] == len(people) == len(truth["people"])
    assert summary["people"]["linkage"] == "splink"
    unresolved = summary["people"]["unresolved_mentions"]["people"]
    assert summary["people"]["identified"] + unresolved == len(people)
    assert summary["people"]["identified"] == sum(p["identified"] == "true" for p in people)
    assert summary["findings"]["total"] == len(findings)
    health = sum("HEALTH" in p["categories"].split(";") for p in people)
    assert summary["people"]["by_category"]["HEALTH"] == health
    assert summary["claim"]["people"] == 900000
    assert summary["claim"]["people_found"] == len(people)
    html = (work / "report" / "report.html").read_text()
    assert f"{len(people):,}" in html
    for needle in ("http://", "https://", "<script src", "<link "):
        assert needle not in html
    # the report names no person: no NIR, e-mail or last name from the truth appears in it
    for t in truth["people"][:50]:
        for value in (t["nir"], *(t["emails"] or [])):
            if value:
                assert value not in html


@pytest.mark.slow
def test_rescan_scans_nothing_new_and_a_new_file_only_that_file(
    scanned, demo_leak, tmp_path, cli
):
    _work, case, truth = scanned
    out, _ = demo_leak
    copy = tmp_path / "case"
    shutil.copytree(case, copy)
    res = cli("scan", out / "leak", "--case", copy)
    assert res.exit_code == 0
    assert "scanned 0 new" in res.output
    wave2 = tmp_path / "wave2"
    shutil.copytree(out / "leak", wave2)
    body = "1700259350011"
    nir = body + f"{97 - int(body) % 97:02d}"
    (wave2 / "new_list.csv").write_text(
        f"Nom;Prénom;Date de naissance;N° Sécu\nNOUVEAU;Patient;01/02/1970;{nir}\n",
        encoding="utf-8")
    res = cli("scan", wave2, "--case", copy)
    assert res.exit_code == 0
    assert "scanned 1 new" in res.output
    assert f"{len(truth['people']) + 1} people" in res.output
