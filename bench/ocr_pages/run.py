"""OCR one page per task (issue 15): scan an N-page scanned PDF and report wall time, CPU
(the process tree, tesseract included), the load average, a digest of the sorted findings,
and how the worker tasks were spread (each task's start, end and CPU, per worker).

    .venv/bin/python bench/ocr_pages/run.py --pages 8 --workers 2
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/ocr_pages/run.py ...   # older code

The PDF is made with ``tests/samples/scans.page_image`` (a different patient on each page,
no text layer). Results: docs/performance.md, "OCR one page per task".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

import timed_tasks  # module-level task wrappers the spawned workers import


def make_pdf(path: Path, pages: int) -> None:
    from samples import scans

    images = []
    for i in range(pages):
        lines = [f"Patient : MARTIN{chr(65 + i % 26)} Paul, né le {10 + i % 18}/03/1954",
                 f"NIR 1 54 03 75 123 {400 + i:03d} 55", f"Tél 06 12 34 56 {10 + i % 90:02d}",
                 f"Page {i + 1}: compte rendu de consultation"]
        images.append(scans.page_image(lines).convert("RGB"))
    images[0].save(path, "PDF", resolution=200.0, save_all=True, append_images=images[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import breachscope.pipeline as pipeline
    from breachscope.case import Case

    work = Path(tempfile.mkdtemp(prefix="ocr_pages-"))
    try:
        (work / "dump").mkdir()
        make_pdf(work / "dump" / "scan.pdf", args.pages)
        log = work / "tasks.jsonl"
        os.environ["BENCH_TASK_LOG"] = str(log)
        if hasattr(pipeline, "process_ocr_page"):
            pipeline.process_ocr_page = timed_tasks.page  # type: ignore[attr-defined]
        load = os.getloadavg()
        started = time.perf_counter()
        with Case(work / "case") as case:
            pipeline.scan([work / "dump"], case, workers=args.workers,
                          task=timed_tasks.content)
            rows = sorted(case.db.execute(
                "SELECT entity, value, location, confidence FROM findings").fetchall())
        wall = time.perf_counter() - started
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        tasks = [json.loads(line) for line in log.read_text().splitlines()]
        workers: dict[int, list[float]] = {}
        for task in tasks:
            cpu_wall = workers.setdefault(task["pid"], [0.0, 0.0])
            cpu_wall[0] += task["cpu"]
            cpu_wall[1] += task["end"] - task["start"]
        print(json.dumps({
            "pages": args.pages, "workers": args.workers, "wall_s": round(wall, 1),
            "cpu_s": round(own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime, 1),
            "load_before": load, "load_after": os.getloadavg(), "findings": len(rows),
            "findings_sha256": hashlib.sha256(repr(rows).encode()).hexdigest()[:16],
            "tasks": len(tasks),
            "tasks_span_s": round(max(t["end"] for t in tasks) - min(t["start"] for t in tasks),
                                  1),
            "per_worker_cpu_wall_s": [[round(c, 2), round(w, 2)] for c, w in workers.values()],
        }))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
