"""Reviewers' decisions: stored, applied at once, re-applied after a re-scan that brings new
records (and so a new resolution), undone. A small dump written by the test, scanned for
real through the pipeline."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tests_helpers import old_case

from breachscope.case import SCHEMA_VERSION, Case
from breachscope.findings_store import delete_contents
from breachscope.pipeline import scan
from breachscope.report.exports import export
from breachscope.report.lookup import describe_person, find_people
from breachscope.review.decisions import (
    DecisionError,
    apply_decisions,
    export_audit,
    list_decisions,
    person_target,
    record_decision,
    record_event,
    undo_decision,
)

PATIENTS = """nom;prenom;date_naissance;telephone;email;diagnostic
DUPONT;Marie;1980-03-12;0612345678;;
DUPONT;Marie;1980-03-12;0698765432;marie.d@free.fr;
MARTIN;Paul;1971-07-01;;paul.martin@gmail.com;
BERNARD;Luc;1990-05-05;0611111111;;
BERNARD;Lucas;1990-05-05;0622222222;;
PETIT;Sophie;1985-09-09;0633333333;;F32.1
ROUX;Hôpital;2001-01-01;;;
"""
# The next wave: a new patient, and a third record of the first Marie DUPONT (her phone).
WAVE_2 = """nom;prenom;date_naissance;telephone
GIRARD;Anne;1960-02-02;0644444444
DUPONT;Marie;1980-03-12;0612345678
"""


def _scan(dump: Path, case: Case) -> None:
    scan([dump], case, workers=1)


def _rid(case: Case, row: int, file: str = "patients.csv") -> str:
    return case.db.execute(
        "SELECT r.record_id FROM records r JOIN files f USING (sha256) "
        "WHERE f.path = ? AND r.location = ?", [file, f"row {row}"]).fetchone()[0]


def _person(case: Case, record_id: str) -> dict:
    row = case.db.execute(
        "SELECT p.person_id, p.role, p.categories, p.sensitive, p.severity_score, "
        "list(pr2.record_id ORDER BY pr2.record_id) FROM person_records pr "
        "JOIN people p USING (person_id) JOIN person_records pr2 USING (person_id) "
        "WHERE pr.record_id = ? GROUP BY ALL", [record_id]).fetchone()
    if row is None:
        return {}
    return dict(zip(("person_id", "role", "categories", "sensitive", "score", "records"),
                    row, strict=True))


def _export(case: Case, what: str, out: Path) -> list[dict]:
    export(case, what, "csv", out)
    with out.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _n_people(case: Case) -> int:
    return case.db.execute("SELECT count(*) FROM people").fetchone()[0]


@pytest.fixture()
def scanned(tmp_path: Path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    case = Case(tmp_path / "case")
    case.set_linkage("exact")
    _scan(dump, case)
    yield dump, case
    case.close()


def test_decisions_hold_across_a_rescan_and_undo(scanned, tmp_path: Path) -> None:
    dump, case = scanned
    marie1, marie2 = _rid(case, 2), _rid(case, 3)
    paul, luc, lucas, sophie, roux = (_rid(case, n) for n in (4, 5, 6, 7, 8))
    # as scanned: the two Marie DUPONT born the same day are one person; Luc and Lucas two
    assert _n_people(case) == 6
    assert _person(case, marie1)["records"] == sorted([marie1, marie2])
    assert _person(case, luc)["person_id"] != _person(case, lucas)["person_id"]
    assert "CONTACT" in _person(case, paul)["categories"]
    assert _person(case, sophie)["sensitive"] is True  # F32.1: psychiatry
    email = {"value": "paul.martin@gmail.com"}
    sha = case.db.execute("SELECT sha256 FROM files WHERE path = 'patients.csv'").fetchone()[0]
    finding = {"sha256": sha, "location": "row 4, column email", "entity": "EMAIL",
               "value": email["value"]}
    assert find_people(case, email=email["value"]) != []

    sophie_before = _person(case, sophie)["score"]
    split = record_decision(case, "split", {"records": [marie2], "from": [marie1]},
                            reviewer="dpo", reason="two different women")
    assert _n_people(case) == 7
    assert _person(case, marie2)["records"] == [marie2]
    record_decision(case, "merge", {"records_a": [luc], "records_b": [lucas]},
                    reviewer="dpo", reason="same man, nickname")
    assert _n_people(case) == 6
    assert _person(case, luc)["records"] == sorted([luc, lucas])
    fp = record_decision(case, "false_positive", finding, reviewer="dpo",
                         reason="a test address")
    assert "CONTACT" not in _person(case, paul)["categories"]
    record_decision(case, "not_a_person", person_target(case, _person(case, roux)["person_id"]),
                    reviewer="dpo", reason="a building")
    assert _n_people(case) == 5 and _person(case, roux) == {}
    luc_role = _person(case, luc)["role"]
    assert luc_role == "UNKNOWN"  # a list of names and phones says no role
    role = record_decision(case, "set_role", {"records": [luc]}, value="staff", reviewer="dpo")
    assert _person(case, luc)["role"] == "STAFF"
    record_decision(case, "sensitive_clear", {"records": [sophie]}, reviewer="dpo")
    assert _person(case, sophie)["sensitive"] is False
    assert _person(case, sophie)["score"] == sophie_before - 1  # ENISA DPC 4 -> 3
    record_decision(case, "sensitive_confirm", {"records": [marie1]}, value="psychiatry",
                    reviewer="dpo")
    assert _person(case, marie1)["sensitive"] is True
    reasons = describe_person(case, _person(case, marie1)["person_id"]).sensitive_reasons
    assert [r for r in reasons if "confirmed by a reviewer" in r and "psychiatry" in r]
    assert describe_person(case, _person(case, sophie)["person_id"]).sensitive_reasons == []
    sophie_score = _person(case, sophie)["score"]

    # the next wave: same dump plus a new file; records change, people are resolved anew
    (dump / "wave2.csv").write_text(WAVE_2, encoding="utf-8")
    _scan(dump, case)
    marie3 = _rid(case, 3, "wave2.csv")
    # 5 people before + Anne; the third Marie record joins the first, the split still holds
    assert _n_people(case) == 6
    assert _person(case, marie1)["records"] == sorted([marie1, marie3])
    assert _person(case, marie2)["records"] == [marie2]
    assert _person(case, luc)["records"] == sorted([luc, lucas])
    assert _person(case, luc)["role"] == "STAFF"
    assert _person(case, roux) == {}
    assert _person(case, sophie)["sensitive"] is False
    assert _person(case, sophie)["score"] == sophie_score
    assert _person(case, marie1)["sensitive"] is True
    assert "CONTACT" not in _person(case, paul)["categories"]
    findings = _export(case, "findings", tmp_path / "findings.csv")
    assert not [f for f in findings if f["value"] == email["value"]]
    assert any(f["file"] == "wave2.csv" for f in findings)
    people = _export(case, "people", tmp_path / "people.csv")
    assert len(people) == 6
    assert not [p for p in people if p["last_name"] == "ROUX"]
    assert [p["role"] for p in people if p["first_name"] == "Luc"] == ["STAFF"]
    assert find_people(case, email=email["value"]) == []

    # undo: the finding and the category come back; the Maries are one person again
    undo_decision(case, fp.decision_id, reviewer="dpo2")
    assert "CONTACT" in _person(case, paul)["categories"]
    findings = _export(case, "findings", tmp_path / "findings2.csv")
    assert [f["location"] for f in findings if f["value"] == email["value"]] == [
        "row 4, column email"]
    undo_decision(case, split.decision_id, reviewer="dpo2")
    assert _n_people(case) == 5
    assert _person(case, marie2)["records"] == sorted([marie1, marie2, marie3])
    assert _person(case, luc)["records"] == sorted([luc, lucas])  # the others still hold
    undo_decision(case, role.decision_id, reviewer="dpo2")
    assert _person(case, luc)["role"] == luc_role
    assert _person(case, luc)["records"] == sorted([luc, lucas])

    log = list_decisions(case)
    assert [d.kind for d in log] == ["split", "merge", "false_positive", "not_a_person",
                                     "set_role", "sensitive_clear", "sensitive_confirm"]
    assert [d.undone_by for d in log if d.undone_at] == ["dpo2", "dpo2", "dpo2"]
    assert len(list_decisions(case, include_undone=False)) == 4
    out = tmp_path / "audit.csv"
    assert export_audit(case, out) == 7
    assert out.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["reviewer"] == "dpo" and rows[0]["reason"] == "two different women"
    assert json.loads(rows[0]["target"]) == {"records": [marie2], "from": [marie1]}
    assert record_event(case, "reveal", {"person": "P1"}, reviewer="dpo") == 1
    assert export_audit(case, tmp_path / "audit.jsonl", "jsonl") == 8
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    assert last["kind"] == "reveal" and last["decision_id"] is None
    with pytest.raises(DecisionError, match="number"):
        undo_decision(case, "x", reviewer="dpo")


def test_bad_decisions_are_refused(scanned) -> None:
    _dump, case = scanned
    rid = _rid(case, 2)
    with pytest.raises(DecisionError, match="reviewer"):
        record_decision(case, "set_role", {"records": [rid]}, value="STAFF", reviewer=" ")
    with pytest.raises(DecisionError, match="at most"):
        record_decision(case, "set_role", {"records": [rid]}, value="STAFF", reviewer="dpo",
                        reason="x" * 2001)
    with pytest.raises(DecisionError, match="kind"):
        record_decision(case, "delete_everything", {"records": [rid]}, reviewer="dpo")
    with pytest.raises(DecisionError, match="role"):
        record_decision(case, "set_role", {"records": [rid]}, value="boss", reviewer="dpo")
    with pytest.raises(DecisionError, match="unknown"):
        record_decision(case, "not_a_person", {"records": ["nope:1"]}, reviewer="dpo")
    with pytest.raises(DecisionError, match="no such finding"):
        record_decision(case, "false_positive", {"sha256": "x", "location": "row 1",
                                                 "entity": "NIR", "value": "1"},
                        reviewer="dpo")
    with pytest.raises(DecisionError, match="share"):
        record_decision(case, "split", {"records": [rid], "from": [rid]}, reviewer="dpo")
    assert list_decisions(case) == []


def test_a_version_4_case_gains_the_review_tables(tmp_path: Path) -> None:
    path = tmp_path / "old"
    db = old_case(path, 4)
    db.close()
    with Case(path) as case:
        assert case.schema_version == SCHEMA_VERSION == 10
        for table in ("decisions", "suppressed_findings", "suppressed_records", "qc_samples",
                      "review_events"):
            assert case.db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_a_content_stored_anew_keeps_its_false_positive_out(scanned) -> None:
    """A content scanned again (a retry) brings its findings and records back fresh: the
    suppressed copies are dropped, the decision suppresses the fresh ones, undo restores one
    copy, not two."""
    _dump, case = scanned
    sha = case.db.execute("SELECT sha256 FROM files WHERE path = 'patients.csv'").fetchone()[0]
    finding = {"sha256": sha, "location": "row 4, column email", "entity": "EMAIL",
               "value": "paul.martin@gmail.com"}
    findings = case.db.execute("SELECT * FROM findings WHERE sha256 = ?", [sha]).fetchall()
    paul = _rid(case, 4)
    scanned_record = case.db.execute(
        "SELECT emails, entities FROM records WHERE record_id = ?", [paul]).fetchone()
    decision = record_decision(case, "false_positive", finding, reviewer="dpo")
    assert case.db.execute("SELECT emails FROM records WHERE record_id = ?",
                           [paul]).fetchone() == ([],)
    # what store_result does when the content is stored again
    delete_contents(case.db, [sha])
    case.db.executemany("INSERT INTO plain_findings VALUES (?, ?, ?, ?, ?, ?)", findings)
    case.db.execute("UPDATE records SET emails = ?, entities = ? WHERE record_id = ?",
                    [*scanned_record, paul])
    case.db.execute("UPDATE contents SET run_id = run_id + 10 WHERE sha256 = ?", [sha])
    apply_decisions(case)
    count = "SELECT count(*) FROM findings WHERE value = 'paul.martin@gmail.com'"
    assert case.db.execute(count).fetchone() == (0,)
    assert case.db.execute("SELECT count(*) FROM findings WHERE sha256 = ?",
                           [sha]).fetchone() == (len(findings) - 1,)
    assert case.db.execute("SELECT count(*) FROM suppressed_findings").fetchone() == (1,)
    assert "CONTACT" not in _person(case, paul)["categories"]
    undo_decision(case, decision.decision_id, reviewer="dpo")
    assert case.db.execute(count).fetchone() == (1,)
    assert case.db.execute("SELECT emails, entities FROM records WHERE record_id = ?",
                           [paul]).fetchone() == scanned_record
    assert "CONTACT" in _person(case, paul)["categories"]
