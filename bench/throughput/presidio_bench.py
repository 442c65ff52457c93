"""Presidio against breachscope on a stratified sample of the dump's text files.

The sample takes, from each stratum (letters and notes ``.txt``, delimited exports ``.csv``,
JSON exports, SQL dumps), files in proportion to the stratum's bytes in the dump but at least
a few from each, up to ``sample_mb``. The same files are copied into one folder and (1) scanned
by breachscope through the CLI (a fresh case), (2) analysed by Presidio with spaCy French as
``bench/accuracy/presidio_runner.py`` configures it (each file read as text, cut on line
boundaries into pieces under spaCy's ``max_length``). MB/s are over the same bytes.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sys
import time
from pathlib import Path

from .measure import per_format, run_scan

STRATA = {".txt": "letters_notes", ".csv": "tables_csv", ".json": "json_exports",
          ".sql": "sql_dumps"}
PIECE_CHARS = 200_000
ACCURACY = Path(__file__).resolve().parents[1] / "accuracy"


def stratified_sample(dump: Path, sample_mb: float, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    by_stratum: dict[str, list[Path]] = {}
    for path in sorted(dump.rglob("*")):
        if path.is_file() and path.suffix.lower() in STRATA:
            by_stratum.setdefault(STRATA[path.suffix.lower()], []).append(path)
    total = sum(p.stat().st_size for files in by_stratum.values() for p in files) or 1
    budget = sample_mb * 1e6
    chosen: list[Path] = []
    for files in by_stratum.values():
        # Every stratum is represented: by its smallest file when its share is smaller.
        share = budget * sum(p.stat().st_size for p in files) / total
        rng.shuffle(files)
        taken = 0
        for path in files:
            if taken + path.stat().st_size <= share:
                chosen.append(path)
                taken += path.stat().st_size
        if not taken:
            chosen.append(min(files, key=lambda p: p.stat().st_size))
    return chosen


def _fixed_cost(files: list[Path], out: Path, workers: int) -> float:
    """Wall seconds of a scan of one small letter of the sample (fresh case): what any scan
    costs before and after its files — the interpreter and imports, the workers' start and
    model loads, the stages of a case — as Presidio's ``load_s`` is for Presidio."""
    letters = [f for f in files if f.suffix.lower() == ".txt"] or files
    one = out / "presidio_one"
    shutil.rmtree(one, ignore_errors=True)
    one.mkdir(parents=True)
    smallest = min(letters, key=lambda f: f.stat().st_size)
    shutil.copyfile(smallest, one / smallest.name)
    case = out / "presidio_one_case"
    shutil.rmtree(case, ignore_errors=True)
    return float(run_scan([one], case, workers=workers, log=out / "scan_one.log")["wall_s"])


def _pieces(text: str) -> list[str]:
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + PIECE_CHARS)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut > start else end
        pieces.append(text[start:end])
        start = end
    return pieces


def run(dump: Path, out: Path, *, sample_mb: float, workers: int) -> dict:
    files = stratified_sample(dump, sample_mb)
    sample = out / "presidio_sample"
    shutil.rmtree(sample, ignore_errors=True)
    sample.mkdir(parents=True)
    strata: dict[str, dict] = {}
    for i, path in enumerate(files):
        shutil.copyfile(path, sample / f"{i:05d}_{path.name}")
        s = strata.setdefault(STRATA[path.suffix.lower()], {"files": 0, "bytes": 0})
        s["files"] += 1
        s["bytes"] += path.stat().st_size
    n_bytes = sum(s["bytes"] for s in strata.values())
    # Ratios of two runs compare only on the same sample: the dump is a function of its size
    # and seed, but of the generator's code too (a 50 MB sample held 31 files, then 33).
    digest = hashlib.sha256()
    for path in sorted(sample.iterdir()):
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())

    case = out / "presidio_sample_case"
    shutil.rmtree(case, ignore_errors=True)
    bs = run_scan([sample], case, workers=workers, log=out / "scan_sample.log")
    bs_worker_s = sum(r["worker_s"] for r in per_format(case)[0])
    fixed_s = _fixed_cost(files, out, workers)

    sys.path.insert(0, str(ACCURACY))
    import presidio_runner

    t0 = time.perf_counter()
    analyzer = presidio_runner.build_analyzer()
    analyzer.analyze(text="Bonjour Marie Dupont.", language="fr")
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    n_results = 0
    for path in sorted(sample.iterdir()):
        for piece in _pieces(presidio_runner.read_text(path)):
            n_results += len(analyzer.analyze(text=piece, language="fr",
                                              entities=list(presidio_runner.ENTITY_MAP)))
    analyze_s = time.perf_counter() - t1
    mb = n_bytes / 1e6
    bs_mbps = mb / bs["wall_s"]
    pr_mbps = mb / analyze_s
    marginal_s = bs["wall_s"] - fixed_s
    apart = {"seconds": marginal_s, "mb_per_s": mb / marginal_s} if marginal_s > 0 else {}
    return {"files": len(files), "mb": mb, "strata": strata, "sample_sha256": digest.hexdigest(),
            "versions": presidio_runner.versions(),
            "presidio": {"load_s": load_s, "analyze_s": analyze_s, "mb_per_s": pr_mbps,
                         "results": n_results, "processes": 1},
            "breachscope": {"wall_s": bs["wall_s"], "mb_per_s": bs_mbps, "workers": workers,
                            "worker_s": bs_worker_s,
                            "mb_per_worker_s": mb / bs_worker_s if bs_worker_s else None,
                            "peak_rss_tree_mb": bs["peak_rss_tree_mb"]},
            "ratio": bs_mbps / pr_mbps,
            # Presidio's figure leaves its model load apart; this one leaves breachscope's
            # fixed cost apart alike (start-up, workers' models, a case's stages), measured
            # as the wall time of a scan of the sample's smallest letter alone.
            "fixed_s": fixed_s, "breachscope_fixed_apart": apart,
            "ratio_fixed_apart": apart["mb_per_s"] / pr_mbps if apart else None,
            "ratio_per_process": bs_mbps / workers / pr_mbps,
            "ratio_worker_time": (mb / bs_worker_s) / pr_mbps if bs_worker_s else None}
