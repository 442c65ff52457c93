"""Accuracy benchmark: breachscope and Presidio side by side on a generated corpus.

    .venv/bin/python bench/accuracy/run.py --docs 1000 [--seed 7] [--no-presidio]
        [--keep DIR] [--json results.json] [--errors errors.json] [--markdown table.md]

Generates the corpus (``generate.py``) into a temporary directory, runs ``breachscope scan``
and ``breachscope export --what findings`` (and ``--what people``) through the CLI, runs
Presidio (``presidio_runner.py``) on the text of the same files, and prints precision, recall
and F1 per entity for both tools in one table, then the timings. See README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate, write_truth  # noqa: E402
from scoring import EXACT_ENTITIES, Counts, Report, score  # noqa: E402

TARGETS = {
    "NIR": 0.995, "IBAN": 0.995, "PHONE": 0.995, "EMAIL": 0.995, "PAYMENT_CARD": 0.995,
    "RPPS": 0.995, "FINESS": 0.995, "BIRTH_DATE": 0.98, "ICD10_CODE": 0.99,
}
PERSON_F1_TARGET = 0.93


def breachscope_bin() -> str:
    return str(Path(sys.executable).with_name("breachscope"))


def run_breachscope(corpus: Path, work: Path, workers: int) -> tuple[list, list, dict]:
    case = work / "case"
    t0 = time.perf_counter()
    subprocess.run([breachscope_bin(), "scan", str(corpus), "--case", str(case),
                    "--workers", str(workers)], check=True, stdout=subprocess.DEVNULL)
    scan_s = time.perf_counter() - t0
    findings_csv, people_csv = work / "findings.csv", work / "people.csv"
    t1 = time.perf_counter()
    for what, out in (("findings", findings_csv), ("people", people_csv)):
        subprocess.run([breachscope_bin(), "export", "--case", str(case), "--what", what,
                        "--format", "csv", "-o", str(out)], check=True,
                       stdout=subprocess.DEVNULL)
    export_s = time.perf_counter() - t1
    with findings_csv.open(encoding="utf-8", newline="") as f:
        findings = [(r["file"], r["entity"], r["value"]) for r in csv.DictReader(f)]
    with people_csv.open(encoding="utf-8", newline="") as f:
        people = list(csv.DictReader(f))
    return findings, people, {"scan_s": scan_s, "export_s": export_s}


def fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def table(reports: dict[str, Report], truth_counts: dict[str, int]) -> list[str]:
    tools = list(reports)
    head = "| entity | truth | target | " + " | ".join(
        f"{t} P | {t} R | {t} F1" for t in tools) + " |"
    lines = [head, "|" + "---|" * (3 + 3 * len(tools))]

    def row(label: str, n: int | str, target: str, cells: list[tuple]) -> None:
        lines.append(f"| {label} | {n} | {target} | " + " | ".join(
            f"{fmt(p)} | {fmt(r)} | {fmt(f)}" for p, r, f in cells) + " |")

    for entity in EXACT_ENTITIES:
        cells = []
        for t in tools:
            c = reports[t].counts.get(entity)
            if c is None or (c.tp + c.fp == 0 and t != "breachscope" and entity != "BIRTH_DATE"):
                cells.append((None, None, None))
            elif entity == "BIRTH_DATE" and "date_detector" in reports[t].extra:
                cells.append((None, c.recall, None))  # recall only: it has no birth dates
            else:
                cells.append((c.precision, c.recall, c.f1))
        target = f"P,R ≥ {TARGETS[entity]}" if entity in TARGETS else ""
        row(entity, truth_counts.get(entity, 0), target, cells)
    row("PERSON strict (headline)", truth_counts.get("PERSON", 0), f"F1 ≥ {PERSON_F1_TARGET}",
        [(reports[t].counts["PERSON"].precision, reports[t].counts["PERSON"].recall,
          reports[t].counts["PERSON"].f1) for t in tools])
    row("PERSON relaxed", truth_counts.get("PERSON", 0), "",
        [reports[t].extra["PERSON_relaxed"] for t in tools])
    for t in tools:
        dd = reports[t].extra.get("date_detector")
        if isinstance(dd, Counts):
            cells = [(dd.precision, dd.recall, dd.f1) if u == t else (None, None, None)
                     for u in tools]
            row(f"any date ({t} DATE_TIME as a date detector)", dd.tp + dd.fn, "", cells)
    return lines


def by_kind(truths: list, found: list[tuple[str, str, str]]) -> list[str]:
    """breachscope's recall / precision per entity for each kind of document."""
    kinds = sorted({t.kind for t in truths})
    entities = [*EXACT_ENTITIES, "PERSON"]
    lines = ["| kind | " + " | ".join(entities) + " |", "|" + "---|" * (1 + len(entities))]
    for kind in kinds:
        sub = [t for t in truths if t.kind == kind]
        rep = score(sub, found)
        cells = []
        for e in entities:
            c = rep.counts[e]
            cells.append("" if c.tp + c.fp + c.fn == 0 else
                         f"{fmt(c.recall)} / {fmt(c.precision)}")
        lines.append(f"| {kind} ({len(sub)}) | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description="breachscope vs Presidio accuracy benchmark")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-presidio", action="store_true", help="breachscope only")
    ap.add_argument("--keep", type=Path, help="write the corpus, truth and exports here")
    ap.add_argument("--json", type=Path, help="write the numbers as JSON")
    ap.add_argument("--errors", type=Path, help="write false positive/negative samples")
    ap.add_argument("--markdown", type=Path, help="write the table as Markdown")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bs-accuracy-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        corpus = work / "corpus"
        t0 = time.perf_counter()
        truths = generate(corpus, args.docs, args.seed)
        write_truth(truths, work / "truth.json")
        gen_s = time.perf_counter() - t0
        files = [t.file for t in truths]
        size_mb = sum((corpus / f).stat().st_size for f in files) / 1e6

        reports: dict[str, Report] = {}
        timings: dict[str, dict] = {"generate": {"s": gen_s}}
        found, people, timings["breachscope"] = run_breachscope(corpus, work, args.workers)
        reports["breachscope"] = score(truths, found)
        template_files = {t.file for t in truths if t.template}
        template_people = sum(
            1 for p in people
            if p.get("files") and all(f.split("!/")[0] in template_files
                                      for f in p["files"].split(";")))
        reports["breachscope"].extra["template_people"] = template_people
        versions: dict[str, str] = {}
        if not args.no_presidio:
            import presidio_runner

            versions = presidio_runner.versions()
            pfound, timings["presidio"] = presidio_runner.run_presidio(corpus, files)
            reports["presidio"] = score(truths, pfound, date_entity="DATE")

    # Truth sizes as scored (distinct normalized values per file).
    truth_counts = {e: c.tp + c.fn for e, c in reports["breachscope"].counts.items()}

    lines = table(reports, truth_counts)
    kind_lines = by_kind(truths, found)
    kinds: dict[str, int] = {}
    for t in truths:
        kinds[t.kind] = kinds.get(t.kind, 0) + 1
    n_templates = len(template_files)
    b = reports["breachscope"].extra
    summary = [
        f"corpus: {len(truths)} documents, {size_mb:.2f} MB, seed {args.seed}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
        f"templates: {n_templates} files, 0 true people; breachscope reported "
        f"{b['template_person_mentions']} name mentions in {b['template_files_with_person']} "
        f"template files and {b['template_people']} people found only in templates",
        "garbled (OCR) identifiers reported anyway by breachscope: " + (", ".join(
            f"{e} {b[f'{e}_fp_on_garbled']}" for e in EXACT_ENTITIES if b[f"{e}_fp_on_garbled"])
            or "none"),
    ]
    if "presidio" in reports:
        pe = reports["presidio"].extra
        summary.append(f"templates, Presidio: {pe['template_person_mentions']} PERSON mentions "
                       f"in {pe['template_files_with_person']} template files")
    tb = timings["breachscope"]
    summary.append(f"breachscope: scan {tb['scan_s']:.1f} s ({size_mb / tb['scan_s']:.2f} MB/s, "
                   f"{args.workers} workers, process start included), "
                   f"export {tb['export_s']:.1f} s")
    if "presidio" in timings:
        tp = timings["presidio"]
        summary.append(f"presidio: model load {tp['load_s']:.1f} s, analyze {tp['analyze_s']:.1f}"
                       f" s ({size_mb / tp['analyze_s']:.2f} MB/s, 1 process) — "
                       + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print("\n".join(lines))
    print()
    print("\n".join(summary))
    print("\nbreachscope, recall / precision by kind of document:\n")
    print("\n".join(kind_lines))

    result = {
        "docs": args.docs, "seed": args.seed, "size_mb": size_mb, "kinds": kinds,
        "versions": versions, "timings": timings,
        "scores": {t: {e: {"tp": c.tp, "fp": c.fp, "fn": c.fn, "precision": c.precision,
                           "recall": c.recall, "f1": c.f1} for e, c in r.counts.items()}
                   for t, r in reports.items()},
        "extra": {t: {k: (v.__dict__ if isinstance(v, Counts) else v)
                      for k, v in r.extra.items()} for t, r in reports.items()},
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n\n" + "\n".join(
            f"- {s}" for s in summary) + "\n\nbreachscope, recall / precision by kind of "
            "document:\n\n" + "\n".join(kind_lines) + "\n", encoding="utf-8")
    if args.errors:
        args.errors.write_text(json.dumps({t: r.errors for t, r in reports.items()},
                                          ensure_ascii=False, indent=1), encoding="utf-8")
    result["table"] = lines
    result["by_kind"] = kind_lines
    return result


if __name__ == "__main__":
    main()
