"""Shared parts of the external bench: breachscope through its CLI, the case store read back,
pairwise clustering metrics and text folding."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


def breachscope_bin() -> str:
    return str(Path(sys.executable).with_name("breachscope"))


def run_breachscope(dump: Path, work: Path, workers: int = 2) -> dict:
    """``breachscope scan`` then ``export --what people|findings --format csv``; returns the
    case path, the exports' rows and the timings."""
    case = work / "case"
    t0 = time.perf_counter()
    subprocess.run([breachscope_bin(), "scan", str(dump), "--case", str(case),
                    "--workers", str(workers)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    scan_s = time.perf_counter() - t0
    out: dict = {"case": case, "scan_s": scan_s}
    for what in ("people", "findings"):
        path = work / f"{what}.csv"
        subprocess.run([breachscope_bin(), "export", "--case", str(case), "--what", what,
                        "--format", "csv", "-o", str(path)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with path.open(encoding="utf-8", newline="") as f:
            out[what] = list(csv.DictReader(f))
    out["total_s"] = time.perf_counter() - t0
    return out


def row_persons(case: Path) -> dict[tuple[str, int], str]:
    """``(file path, CSV line number) -> person_id`` from the case store: a row's record
    location is ``row N`` with N the line number (header = line 1)."""
    import duckdb

    con = duckdb.connect(str(case / "case.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT f.path, r.location, pr.person_id FROM records r "
            "JOIN files f ON f.sha256 = r.sha256 "
            "LEFT JOIN person_records pr ON pr.record_id = r.record_id "
            "WHERE r.location LIKE 'row %'").fetchall()
    finally:
        con.close()
    out: dict[tuple[str, int], str] = {}
    for path, location, person in rows:
        try:
            line = int(location.split()[1].rstrip(","))
        except (IndexError, ValueError):
            continue
        if person is not None:
            out[(path, line)] = person
    return out


def case_records(case: Path) -> list[dict]:
    """Every record of the case with its file path (for documents and messages)."""
    import duckdb

    con = duckdb.connect(str(case / "case.duckdb"), read_only=True)
    try:
        cur = con.execute(
            "SELECT f.path, r.* FROM records r JOIN files f ON f.sha256 = r.sha256")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


@dataclass
class Clustering:
    true_people: int
    found_people: int
    count_error_pct: float
    precision: float
    recall: float
    f1: float
    mixing: int  # found people holding records of two or more true people
    largest_mix: tuple[int, int]  # (records, true people) of the worst mixed person

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def clustering_metrics(truth: list[str], found: list[str]) -> Clustering:
    """Pairwise precision / recall / F1 over record pairs, the people counts and the number
    of found people mixing true people. ``truth[i]`` and ``found[i]`` label row i."""
    assert len(truth) == len(found)
    both = Counter(zip(truth, found, strict=True))
    t_sizes, f_sizes = Counter(truth), Counter(found)
    tp = sum(_pairs(n) for n in both.values())
    t_pairs = sum(_pairs(n) for n in t_sizes.values())
    f_pairs = sum(_pairs(n) for n in f_sizes.values())
    p = tp / f_pairs if f_pairs else 1.0
    r = tp / t_pairs if t_pairs else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    per_found: dict[str, set] = {}
    for t, f in zip(truth, found, strict=True):
        per_found.setdefault(f, set()).add(t)
    mixed = {f: len(ts) for f, ts in per_found.items() if len(ts) > 1}
    worst = max(mixed, key=lambda f: (mixed[f], f_sizes[f]), default=None)
    n_true, n_found = len(t_sizes), len(f_sizes)
    return Clustering(n_true, n_found, 100.0 * (n_found - n_true) / n_true if n_true else 0.0,
                      p, r, f1, len(mixed),
                      (f_sizes[worst], mixed[worst]) if worst is not None else (0, 0))


def fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s or "")
    return "".join(c for c in s if not unicodedata.combining(c)).lower().strip()


def family_pairs(people: dict[str, dict]) -> dict[str, int]:
    """Pairs of true people that look alike because they are family: ``twins`` (same birth
    surname, same birth date, other first names) and ``generations`` (same birth surname and
    postcode, birth years 15 or more apart: a parent and a child of one household).
    ``people``: true entity -> {"surname", "first", "birth" (YYYY-MM-DD), "postcode"}."""
    twins = generations = 0
    by_family: dict[tuple, list[dict]] = {}
    for p in people.values():
        by_family.setdefault((fold(p["surname"]), p.get("postcode")), []).append(p)
    by_twin: dict[tuple, list[dict]] = {}
    for p in people.values():
        if p.get("birth"):
            by_twin.setdefault((fold(p["surname"]), p["birth"]), []).append(p)
    for group in by_twin.values():
        for i, a in enumerate(group):
            twins += sum(fold(a["first"]) != fold(b["first"]) for b in group[i + 1:])
    for group in by_family.values():
        for i, a in enumerate(group):
            generations += sum(pair_kind(a, b) == "generations" for b in group[i + 1:])
    return {"twins": twins, "generations": generations}


def pair_kind(a: dict, b: dict) -> str:
    """A pair of distinct true people: ``twins`` (same surname, same birth date, other first
    names), ``generations`` (same surname, birth years 15 or more apart) or ``other``."""
    if fold(a["surname"]) != fold(b["surname"]):
        return "other"
    if a.get("birth") and a.get("birth") == b.get("birth") and fold(a["first"]) != fold(b["first"]):
        return "twins"
    if a.get("birth") and b.get("birth") and abs(int(a["birth"][:4]) - int(b["birth"][:4])) >= 15:
        return "generations"
    return "other"


def wrong_merges(truth: list[str], found: list[str], people: dict[str, dict]) -> dict[str, int]:
    """Pairs of distinct true people that a clustering put in one found person, by kind
    (:func:`pair_kind`): ``twins``, ``generations``, ``other`` and ``pairs`` (all)."""
    per_found: dict[str, set] = {}
    for t, f in zip(truth, found, strict=True):
        per_found.setdefault(f, set()).add(t)
    merged: set[tuple[str, str]] = set()
    for ts in per_found.values():
        if len(ts) > 1:
            s = sorted(ts)
            merged.update((a, b) for i, a in enumerate(s) for b in s[i + 1:])
    out = {"twins": 0, "generations": 0, "other": 0}
    for a, b in merged:
        out[pair_kind(people[a], people[b])] += 1
    out["pairs"] = len(merged)
    return out
