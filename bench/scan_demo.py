"""Benchmark: generate the synthetic leak at a given size, scan it through the CLI, and print
time, throughput, precision/recall per entity and the people count against the truth.

    .venv/bin/python bench/scan_demo.py --patients 20000 --workers 2
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from breachscope.demo import generate_leak

ENTITIES = ("NIR", "PHONE", "EMAIL", "IBAN", "BIRTH_DATE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--staff", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("breachscope"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        truth = generate_leak(out, seed=args.seed, n_patients=args.patients,
                              n_staff=args.staff)
        t_gen = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in (out / "leak").rglob("*") if p.is_file())
        t0 = time.perf_counter()
        subprocess.run([exe, "scan", str(out / "leak"), "--case", str(out / "case"),
                        "--workers", str(args.workers)], check=True)
        t_scan = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run([exe, "scan", str(out / "leak"), "--case", str(out / "case")],
                       check=True, capture_output=True)
        t_rescan = time.perf_counter() - t0
        for what in ("findings", "people"):
            subprocess.run([exe, "export", "--case", str(out / "case"), "--what", what,
                            "--format", "csv", "-o", str(out / f"{what}.csv")], check=True,
                           capture_output=True)
        expected = defaultdict(set)
        for f in json.loads((out / "truth.json").read_text())["findings"]:
            expected[f["entity"]].add((f["file"], f["value"]))
        found = defaultdict(set)
        with (out / "findings.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                found[row["entity"]].add((row["file"], row["value"]))
        with (out / "people.csv").open(encoding="utf-8") as fh:
            n_people = sum(1 for _ in csv.DictReader(fh))
    print(f"leak: {size / 1e6:.1f} MB, generated in {t_gen:.1f} s")
    print(f"scan: {t_scan:.1f} s ({size / 1e6 / t_scan:.2f} MB/s) with {args.workers} workers; "
          f"re-scan {t_rescan:.1f} s")
    print(f"people: found {n_people}, truth {truth.n_people}")
    print("entity        precision  recall  expected  found")
    for entity in ENTITIES:
        exp, got = expected[entity], found[entity]
        tp = len(exp & got)
        p = tp / len(got) if got else 0.0
        r = tp / len(exp) if exp else 0.0
        print(f"{entity:<12}  {p:9.4f}  {r:6.4f}  {len(exp):8d}  {len(got):5d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
