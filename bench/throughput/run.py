"""bench/throughput: a dump shaped like a hospital leak, scanned, measured, against Presidio.

    .venv/bin/python -m bench.throughput --size 50MB --out /tmp/tp [--workers 2]
        [--presidio-sample 1] [--no-presidio] [--seed 7]

Writes ``OUT/dump`` (reused when ``OUT/manifest.json`` says the same size and seed),
``OUT/case``, ``OUT/throughput.json`` and ``OUT/throughput.md``. Figures:

* end to end: dump bytes / wall time of ``breachscope scan`` (MB/s, files/s), peak resident
  memory of the CLI process and of its whole process tree;
* per format (``contents.type`` in the case store): bytes / the worker seconds spent on those
  contents, contents per second, pages per second for page formats. Worker seconds are per
  process; with N workers the wall-clock rate can be up to N times higher;
* Presidio (spaCy French) and breachscope on a stratified sample of the dump's text files, and
  the ratio of their MB/s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from . import measure, presidio_bench
from .generate import generate_dump, parse_size

#: The targets of issue 15 (2-core machine).
TARGETS = {"tables_mb_per_s": 100, "text_pdf_pages_per_s": 50, "prose_mb_per_s": 20,
           "peak_memory_gb": 4, "presidio_ratio": 100, "10GB_minutes": 15}
FIELDS = ("size", "dump", "scan", "end_to_end", "per_format", "presidio", "targets",
          "manifest")


def _dump(out: Path, size: int, seed: int) -> tuple[Path, dict, float]:
    dump = out / "dump"
    manifest_path = out / "manifest.json"
    if manifest_path.exists() and dump.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest["size"] == size and manifest["seed"] == seed:
            return dump, manifest, 0.0
    shutil.rmtree(dump, ignore_errors=True)
    t0 = time.perf_counter()
    manifest = generate_dump(dump, size, seed=seed, work=out / "bases").to_json()
    return dump, manifest, time.perf_counter() - t0


def run(args: argparse.Namespace) -> dict:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    size = parse_size(args.size)
    dump, manifest, gen_s = _dump(out, size, args.seed)
    case = out / "case"
    shutil.rmtree(case, ignore_errors=True)
    # A scan that stops (a spill cap, the disk) still reports the stages it finished
    # (meta.scan_stages) and the files phase's figures per format.
    scan = measure.run_scan([dump], case, workers=args.workers, log=out / "scan.log",
                            extra=["--linkage", args.linkage], keep_failed=True)
    table, totals = measure.per_format(case)
    mb = manifest["total_bytes"] / 1e6
    pages = manifest["png_pages"] + manifest["pdf_pages"]
    end_to_end = {"mb": mb, "files": manifest["n_files"], "wall_s": scan["wall_s"],
                  "mb_per_s": mb / scan["wall_s"],
                  "cpu_s": scan["cpu_s"], "mb_per_cpu_s": mb / scan["cpu_s"],
                  "files_per_s": manifest["n_files"] / scan["wall_s"],
                  "contents_per_s": totals["files_in_case"] / scan["wall_s"],
                  "pages": pages, "workers": args.workers,
                  "peak_rss_main_mb": scan["peak_rss_main_mb"],
                  "peak_rss_tree_mb": scan["peak_rss_tree_mb"],
                  "worker_s_total": sum(r["worker_s"] for r in table)}
    presidio = None
    if not args.no_presidio:
        presidio = presidio_bench.run(dump, out, sample_mb=args.presidio_sample,
                                      workers=args.workers)
    report = {"size": args.size, "linkage": args.linkage,
              "dump": {"path": str(dump), "generate_s": gen_s},
              "scan": scan, "end_to_end": end_to_end, "per_format": table,
              "case_totals": totals, "presidio": presidio, "targets": TARGETS,
              "manifest": manifest}
    (out / "throughput.json").write_text(json.dumps(report, indent=2, default=str))
    (out / "throughput.md").write_text(markdown(report))
    return report


def _f(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}".replace(",", " ")


def markdown(report: dict) -> str:
    e = report["end_to_end"]
    st = report["scan"]["stages"]
    lines = [f"# Throughput, {report['size']} dump ({_f(e['mb'], 1)} MB, {e['files']} files, "
             f"{e['workers']} workers, linkage {report['linkage']})", ""]
    if report["scan"].get("returncode"):
        lines += [f"**The scan did not finish** (exit {report['scan']['returncode']}): "
                  f"{report['scan']['failure']}. The figures below are those of the stages "
                  "it finished; wall time and MB/s include its time until it stopped.", ""]
    lines += [
             "| measure | value |", "|---|---|",
             f"| wall time | {_f(e['wall_s'], 1)} s |",
             f"| end to end | {_f(e['mb_per_s'])} MB/s, {_f(e['files_per_s'])} files/s, "
             f"{_f(e['contents_per_s'])} contents/s (archive members included) |",
             f"| stages | start-up {_f(st['startup_s'], 1)} s, workers {_f(st['workers_s'], 1)} s, "
             f"after the workers {_f(st['tail_s'], 1)} s (peak RSS {_f(st['peak_rss_tail_mb'], 0)}"
             " MB)" + "".join(f"; {k.removesuffix('_s')} {_f(st[k], 1)} s" for k in
                              ("people_s", "relate_s", "assess_s") if k in st) + " |",
             f"| CPU time, process tree | {_f(e['cpu_s'], 1)} s ({_f(e['mb_per_cpu_s'], 3)} MB "
             "per CPU second) |",
             f"| pages in dump | {e['pages']} |",
             f"| peak RSS, CLI process | {_f(e['peak_rss_main_mb'], 0)} MB |",
             f"| peak RSS, process tree | {_f(e['peak_rss_tree_mb'], 0)} MB |",
             f"| worker seconds (sum) | {_f(e['worker_s_total'], 1)} s |", "",
             "## Per format (worker seconds: per process)", "",
             "| type | contents | MB | worker s | MB/s | contents/s | pages/s | not scanned |",
             "|---|---|---|---|---|---|---|---|"]
    for r in report["per_format"]:
        lines.append(f"| {r['type']} | {r['contents']} | {_f(r['mb'])} | {_f(r['worker_s'])} | "
                     f"{_f(r['mb_per_s'])} | {_f(r['files_per_s'])} | {_f(r['pages_per_s'])} | "
                     f"{r['not_scanned']} |")
    p = report["presidio"]
    if p:
        apart = p.get("breachscope_fixed_apart") or {}
        lines += ["", f"## Presidio on a stratified sample ({p['files']} files, "
                  f"{_f(p['mb'])} MB, sample {p.get('sample_sha256', '?')[:12]})", "",
                  "| tool | MB/s | seconds |", "|---|---|---|",
                  f"| breachscope ({p['breachscope']['workers']} workers, wall) | "
                  f"{_f(p['breachscope']['mb_per_s'], 3)} | {_f(p['breachscope']['wall_s'], 1)} |",
                  f"| breachscope (worker seconds only) | "
                  f"{_f(p['breachscope']['mb_per_worker_s'], 3)} | "
                  f"{_f(p['breachscope']['worker_s'], 1)} |",
                  f"| breachscope ({p['breachscope']['workers']} workers, wall less a one-letter "
                  f"scan's {_f(p.get('fixed_s'), 1)} s: start-up, models, a case's stages) | "
                  f"{_f(apart.get('mb_per_s'), 3)} | {_f(apart.get('seconds'), 1)} |",
                  f"| Presidio + spaCy fr (1 process, model load apart) | "
                  f"{_f(p['presidio']['mb_per_s'], 3)} | {_f(p['presidio']['analyze_s'], 1)} |",
                  "", f"Ratio: **{_f(p['ratio'])}×** ({_f(p['ratio_per_process'])}× per "
                  f"process, {_f(p['ratio_worker_time'])}× on worker time, "
                  f"{_f(p.get('ratio_fixed_apart'))}× with both tools' fixed costs apart); "
                  f"target ≥ {report['targets']['presidio_ratio']}×."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="50MB", help="50MB, 1GB, 10GB or bytes")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--presidio-sample", type=float, default=1.0, help="MB of text files")
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--linkage", choices=("splink", "exact"), default="splink",
                    help="people resolution of the scan (exact: the workers' throughput "
                    "without Splink, whose cost grows with records per person)")
    report = run(ap.parse_args(argv))
    print(markdown(report))
    return 1 if report["scan"].get("returncode") else 0


if __name__ == "__main__":
    raise SystemExit(main())
