"""Slice of bench/throughput run in CI: a 2 MB dump shaped like a hospital leak is generated,
scanned through the CLI and measured; the report must have every field, the per-format table
must cover every type the dump holds, and Presidio must have run on a stratified sample (one
small file per stratum). No timing is asserted: only that the figures exist and are sane."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.throughput import generate, presidio_bench  # noqa: E402
from bench.throughput import run as throughput  # noqa: E402

# A generated dump scanned with OCR and Presidio (about 90 s): slow (docs/testing.md).
pytestmark = pytest.mark.slow

#: Per-format types the case store gives each kind of file the generator writes.
EXPECTED_TYPES = {"csv", "xlsx", "sql", "json", "docx", "text", "png", "pdf", "zip"}


def test_variations_give_distinct_valid_bytes(tmp_path: Path) -> None:
    csv = b"Extraction\n\nIPP;NOM;TEL\n1;A;0601\n2;B;0602\n3;C;0603\n"
    longer = generate.lengthen_table(csv, 3, 1)
    lines = longer.decode().splitlines()
    assert lines[:3] == ["Extraction", "", "IPP;NOM;TEL"]
    assert Counter(lines[3:]) == Counter(["1;A;0601", "2;B;0602", "3;C;0603"] * 3)
    assert generate.lengthen_table(csv, 1, 3) != csv
    blobs = {generate.vary(b'{"a": 1}', ".json", k) for k in range(50)}
    assert len(blobs) == 50 and all(json.loads(b) == {"a": 1} for b in blobs)
    assert generate.parse_size("50MB") == 50_000_000
    assert generate.parse_size("1GB") == 1_000_000_000


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("throughput")
    args = argparse.Namespace(size="2MB", out=str(out), workers=2, presidio_sample=0.01,
                              no_presidio=False, seed=3, linkage="splink")
    return throughput.run(args), out


def test_dump_is_shaped_like_a_leak(report) -> None:
    rep, out = report
    dump = out / "dump"
    files = [p for p in dump.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total >= 2_000_000
    kinds = Counter(p.suffix for p in files)
    for suffix in (".csv", ".xlsx", ".sql", ".json", ".txt", ".docx", ".png", ".pdf", ".zip"):
        assert kinds[suffix], suffix
    # Every file has its own bytes (the case store would scan a repeated content once).
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    assert len(digests) == len(files)
    assert rep["manifest"]["total_bytes"] == total


def test_report_has_every_field(report) -> None:
    _, out = report
    saved = json.loads((out / "throughput.json").read_text())
    for key in throughput.FIELDS:
        assert key in saved, key
    e = saved["end_to_end"]
    for key in ("mb", "files", "wall_s", "mb_per_s", "files_per_s", "pages",
                "peak_rss_main_mb", "peak_rss_tree_mb", "worker_s_total"):
        assert e[key] is not None and e[key] > 0, key
    # The tree includes the workers: more than the CLI process alone.
    assert e["peak_rss_tree_mb"] > e["peak_rss_main_mb"]
    assert saved["scan"]["max_processes"] >= 2
    assert set(saved["scan"]["stages"]) >= {"startup_s", "workers_s", "tail_s"}
    assert (out / "throughput.md").read_text().count("\n|") > 10


def test_per_format_covers_the_generated_types(report) -> None:
    rep, _ = report
    table = {r["type"]: r for r in rep["per_format"]}
    assert set(table) >= EXPECTED_TYPES, set(table)
    for ctype in EXPECTED_TYPES - {"zip"}:
        r = table[ctype]
        assert r["mb"] > 0 and r["worker_s"] > 0 and r["mb_per_s"] > 0, ctype
        assert r["not_scanned"] == 0, ctype
    assert table["pdf"]["pages_per_s"] > 0 and table["png"]["pages_per_s"] > 0
    assert table["pdf"]["units"] == rep["manifest"]["pdf_pages"]


def test_presidio_ran_on_every_stratum(report) -> None:
    rep, out = report
    p = rep["presidio"]
    assert set(p["strata"]) == set(presidio_bench.STRATA.values())
    assert p["presidio"]["mb_per_s"] > 0 and p["breachscope"]["mb_per_s"] > 0
    assert p["presidio"]["results"] > 0  # Presidio found something: it really analysed text
    # the sample is named by its files' names and bytes: two runs' ratios compare if equal
    digest = hashlib.sha256()
    for path in sorted((out / "presidio_sample").iterdir()):
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    assert p["sample_sha256"] == digest.hexdigest()
    assert p["sample_sha256"][:12] in (out / "throughput.md").read_text()
    assert p["ratio"] == pytest.approx(p["breachscope"]["mb_per_s"] / p["presidio"]["mb_per_s"])
    # breachscope's fixed cost (a one-letter scan) measured and, when the sample's scan took
    # longer, set apart as Presidio's model load is: the ratio then follows from those figures
    assert p["fixed_s"] > 0
    apart = p["breachscope_fixed_apart"]
    if apart:
        assert apart["seconds"] == pytest.approx(p["breachscope"]["wall_s"] - p["fixed_s"])
        assert p["ratio_fixed_apart"] == pytest.approx(
            apart["mb_per_s"] / p["presidio"]["mb_per_s"])
        assert p["ratio_fixed_apart"] > p["ratio"]


def test_a_scan_that_stops_is_reported_with_its_reason(tmp_path: Path, report) -> None:
    """A scan exiting non-zero (at 10 GB: a spill cap) raises by default; kept, its figures
    come back with the exit code and its last words, and the report says it did not finish."""
    from bench.throughput import measure

    report, _out = report
    missing = tmp_path / "no such dump"
    with pytest.raises(RuntimeError, match="exited"):
        measure.run_scan([missing], tmp_path / "case", workers=1, log=tmp_path / "a.log")
    scan = measure.run_scan([missing], tmp_path / "case2", workers=1, log=tmp_path / "b.log",
                            keep_failed=True)
    assert scan["returncode"] != 0 and scan["failure"]
    assert report["scan"]["returncode"] == 0 and report["scan"]["failure"] is None
    stopped = {**report, "scan": {**report["scan"], **scan, "stages": report["scan"]["stages"]}}
    text = throughput.markdown(stopped)
    assert "**The scan did not finish** (exit" in text and scan["failure"] in text
    assert "did not finish" not in throughput.markdown(report)
