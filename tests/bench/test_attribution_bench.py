"""Smoke test of the attribution benchmark (bench/attribution): the person matching and the
scores on a hand-made case, then the whole pipeline (generate a tiny demo leak, CLI scan and
export, score against the truth) on real output, and the Chinook check on an empty case.

The issue's targets are asserted on a 60-patient leak (HEALTH recall >= 0.99, sensitive
recall and precision >= 0.97, every staff member found as staff and none flagged sensitive,
every orphan row reported). Measured on 2026-12-04: HEALTH recall 0.71-0.73 before
relational reconstruction (commit 2c1303b), 1.00 with it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from breachscope.case import Case
from breachscope.demo import Truth, TruthPerson

BENCH = Path(__file__).resolve().parents[2] / "bench" / "attribution"
# bench/accuracy and bench/resolution have a run.py too: load this one under its own name.
_spec = importlib.util.spec_from_file_location("attribution_bench_run", BENCH / "run.py")
attribution = importlib.util.module_from_spec(_spec)
sys.modules["attribution_bench_run"] = attribution
_spec.loader.exec_module(attribution)

HEALTH_RECALL_FLOOR = 0.99


def _person(truth_id, role, last, first, birth, nir, categories, sensitive=False, emails=(),
            files=("exports/admissions_2023.csv",)):
    return TruthPerson(truth_id, role, last, first, birth, nir, [], list(emails), None, None,
                       list(categories), list(files), sensitive=sensitive,
                       sensitive_reasons=["unit:PSYA"] if sensitive else [])


def _found(role, last, first, birth, nir, categories, sensitive, emails=""):
    return {"role": role, "last_name": last, "first_name": first, "birth_date": birth,
            "nir": nir, "emails": emails, "categories": ";".join(categories),
            "sensitive": "true" if sensitive else "false"}


def test_matching_and_scores_on_a_hand_made_case():
    truth = Truth(7, "2024-02-11", [
        _person("P1", "PATIENT", "Le Gall", "Hélène", "1954-03-12", "254037512345671",
                ["IDENTITY", "NATIONAL_ID", "HEALTH"], sensitive=True),
        _person("P2", "PATIENT", "Dupont", "Marie", "1960-01-01", None,
                ["IDENTITY", "HEALTH"], files=("courriers/2023/CRH_1.txt",)),
        _person("P3", "PATIENT", "Martin", "Paul", "1970-05-05", None, ["IDENTITY", "CONTACT"]),
        _person("S1", "STAFF", "Faure", "Julien", None, None, ["IDENTITY", "CONTACT"],
                emails=["julien.faure@ch-armentieres.fr"]),
    ], [], [], [], {})
    found = [
        # by NIR, although the name is spelled otherwise
        _found("PATIENT", "LE GALL EPOUSE X", "Helene", "1954-03-12", "254037512345671",
               ["IDENTITY", "NATIONAL_ID", "HEALTH"], True),
        # by folded name + birth date; HEALTH missed
        _found("PATIENT", "DUPONT", "Marie", "1960-01-01", "", ["IDENTITY"], False),
        # staff by name + e-mail, wrongly flagged sensitive with HEALTH
        _found("STAFF", "FAURE", "Julien", "", "", ["IDENTITY", "CONTACT", "HEALTH"], True,
               "julien.faure@ch-armentieres.fr"),
        _found("PATIENT", "NOBODY", "Else", "1999-09-09", "", ["IDENTITY"], False),
    ]
    s = attribution.score_people(truth, found)
    assert s["not_found"] == 1 and s["found_matching_no_true_person"] == 1
    health = s["categories"]["HEALTH"]
    assert (health["tp"], health["fp"], health["fn"]) == (1, 1, 1)
    assert s["categories"]["CONTACT"]["fn"] == 1  # P3 not found
    assert (s["sensitive"]["tp"], s["sensitive"]["fp"], s["sensitive"]["fn"]) == (1, 1, 0)
    assert s["staff"] == {"true": 1, "found_as_staff": 1, "recall": 1.0,
                          "flagged_sensitive": 1, "with_health": 1}
    assert s["by_shape"]["letter_only"]["health_found"] == 0
    targets = {t["target"]: t["pass"] for t in attribution.targets(
        s, {"orphans": {"expected": 2, "reported": 2, "matched": 2}})}
    assert targets["HEALTH recall"] is False and targets["staff recall"] is True
    assert targets["staff flagged sensitive"] is False and targets["orphan rows reported"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("attribution")
    return work, attribution.run_demo(work, patients=60, staff=8, seed=5, workers=2)


@pytest.mark.slow
def test_scoring_runs_on_real_output(tiny_run):
    _work, result = tiny_run
    people = result["people"]
    assert people["people_true"] == 68 and people["not_found"] <= 1
    staff = people["staff"]
    assert staff["true"] == 8 and staff["found_as_staff"] == 8
    assert staff["flagged_sensitive"] == 0 and staff["with_health"] == 0
    assert people["categories"]["HEALTH"]["recall"] >= HEALTH_RECALL_FLOOR
    assert people["categories"]["NATIONAL_ID"]["recall"] >= 0.95
    assert people["categories"]["HEALTH"]["precision"] >= 0.95
    assert set(people["by_shape"]) >= {"legacy", "gap_only"}
    assert people["sensitive"]["recall"] >= 0.97 and people["sensitive"]["precision"] >= 0.97
    case = result["case"]
    assert case["orphans"]["expected"] == result["leak"]["orphan_rows"] >= 3
    assert case["orphans"]["matched"] == case["orphans"]["reported"] == (
        case["orphans"]["expected"])
    assert case["key_links"]["expected"] == case["key_links"]["found"] == 5
    lines = attribution.table({**result, "chinook": None,
                               "targets": attribution.targets(people, case)})
    assert any(line.startswith(("  PASS  staff recall", "  FAIL  staff recall"))
               for line in lines)


def test_chinook_expected_links_and_an_empty_case(tmp_path):
    sqlite_file = attribution.CHINOOK / "Chinook_Sqlite.sqlite"
    if not sqlite_file.exists():
        pytest.skip("no Chinook dataset on this machine")
    expected = attribution.chinook_expected(sqlite_file)
    assert len(expected["invoice"]) == 412 and len(expected["invoiceline"]) == 2240
    assert len(expected["customer_by_row"]) == 59
    Case(tmp_path / "case").close()  # a case whose relational tables are empty
    got = attribution.chinook_attached(tmp_path / "case", expected)
    assert got["invoice"] == [0, 412] and got["invoice_line"] == [0, 2240]
    rows = attribution.chinook_targets({"Chinook_Sqlite.sqlite": {**got, "scan_s": 0}})
    assert rows == [{"target": "Chinook Chinook_Sqlite.sqlite child rows attached",
                     "value": 0, "goal": "= 2652", "pass": False}]
