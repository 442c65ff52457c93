"""Run ``breachscope scan`` and measure it: wall time, peak memory of the whole process tree
(the CLI and every worker it starts, sampled with psutil every 0.2 s), the time at which each
line of its output first appeared (a rough view of its stages), and the per-format figures the
case store keeps for every content (``contents.type``, ``size``, ``seconds``, ``n_units``)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

SAMPLE_S = 0.2
#: Content types whose units are pages (pages/s is reported for them).
PAGE_TYPES = {"pdf", "png", "jpeg", "tiff", "pdf_text", "pdf_scanned", "image"}


def breachscope_exe() -> str:
    return str(Path(sys.executable).with_name("breachscope"))


def _tree_rss(proc: psutil.Process) -> tuple[int, int, int, dict[int, float]]:
    """(RSS of the main process, RSS of the tree, number of processes, CPU seconds of each
    descendant alive now)."""
    try:
        main = proc.memory_info().rss
        kids = proc.children(recursive=True)
    except psutil.Error:
        return 0, 0, 0, {}
    total, kids_cpu = main, {}
    for kid in kids:
        with contextlib.suppress(psutil.Error):  # a worker that just ended
            total += kid.memory_info().rss
            times = kid.cpu_times()
            kids_cpu[kid.pid] = times.user + times.system
    return main, total, 1 + len(kids), kids_cpu


def run_scan(paths: list[Path], case: Path, *, workers: int, log: Path,
             extra: list[str] | None = None, keep_failed: bool = False) -> dict:
    """Scan ``paths`` into ``case`` with the CLI; return wall time and memory figures. A scan
    that exits non-zero raises, unless ``keep_failed``: then its figures are returned with
    ``returncode`` and ``failure`` (the stages it recorded are in ``stages``)."""
    cmd = [breachscope_exe(), "scan", *map(str, paths), "--case", str(case),
           "--workers", str(workers), *(extra or [])]
    started = time.perf_counter()
    lines: list[tuple[float, str]] = []
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace")

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append((time.perf_counter() - started, line.rstrip()))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ps = psutil.Process(proc.pid)
    peak_main = peak_tree = max_procs = 0
    # Stages seen from outside: start-up (until the first worker process), the workers' phase
    # (until the workers' CPU time last grew: the pool outlives it), the tail after it (people,
    # relations, report) in the CLI process alone.
    first_child = last_child = None
    kids_cpu_seen: dict[int, float] = {}
    peak_tail = 0
    # The CLI is reaped with wait4 (not Popen.poll) for its resource usage, which includes
    # every descendant it waited for: CPU seconds of the whole tree, robust to a busy machine.
    usage = None
    while usage is None:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            usage = rusage
            break
        main, tree, n, kids_cpu = _tree_rss(ps)
        now = time.perf_counter() - started
        peak_main, peak_tree = max(peak_main, main), max(peak_tree, tree)
        max_procs = max(max_procs, n)
        if n > 1 and first_child is None:
            first_child = now
        if any(cpu > kids_cpu_seen.get(pid, 0.0) + 0.02 for pid, cpu in kids_cpu.items()):
            last_child, peak_tail = now, 0  # a worker is working
        else:
            peak_tail = max(peak_tail, tree)
        kids_cpu_seen = kids_cpu
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - started
    first_child = wall if first_child is None else first_child
    last_child = first_child if last_child is None else last_child
    stages = {"startup_s": first_child, "workers_s": last_child - first_child,
              "tail_s": wall - last_child, "peak_rss_tail_mb": peak_tail / 1e6}
    recorded = _recorded_stages(case)
    if recorded:  # the scan's own timings (meta.scan_stages): no guess from CPU samples
        files_s = recorded.pop("files_s")
        stages.update(workers_s=max(0.0, files_s - first_child), tail_s=wall - files_s,
                      source="meta.scan_stages", **recorded)
    reader.join(timeout=5)
    log.write_text("\n".join(f"{t:8.2f}s  {text}" for t, text in lines) + "\n", encoding="utf-8")
    if proc.returncode != 0 and not keep_failed:
        raise RuntimeError(f"breachscope scan exited {proc.returncode}; see {log}")
    return {"returncode": proc.returncode,
            # The scan's last words when it failed (its one-sentence reason: the CLI masks
            # identifiers in what it prints).
            "failure": ([text for _, text in lines if text.strip()] or [""])[-1][:300]
            if proc.returncode else None,
            "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "max_rss_one_process_mb": usage.ru_maxrss / 1e3,
            "peak_rss_main_mb": peak_main / 1e6,
            "peak_rss_tree_mb": peak_tree / 1e6, "max_processes": max_procs,
            "stages": stages,
            "output_timeline": [{"t_s": round(t, 2), "line": text[:120]} for t, text in lines
                                if text.strip()][-40:]}


def _recorded_stages(case: Path) -> dict[str, float]:
    """The durations the scan recorded (``files_s``: walk and workers, then each step after
    them), or ``{}`` for a version that did not record them."""
    import duckdb

    try:
        with duckdb.connect(str(case / "case.duckdb"), read_only=True) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'scan_stages'").fetchone()
    except duckdb.Error:
        return {}
    return json.loads(row[0]) if row else {}


def per_format(case: Path) -> tuple[list[dict], dict]:
    """Per content type: contents, bytes, worker seconds, units, MB/s, files/s (and pages/s for
    page types); and the totals. Archive members are contents too (their bytes are counted in
    their own type, and again in the archive's)."""
    import duckdb

    con = duckdb.connect(str(case / "case.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT type, count(*), sum(size), sum(seconds), sum(n_units), "
            "count(*) FILTER (WHERE status <> 'scanned') FROM contents GROUP BY type "
            "ORDER BY sum(size) DESC").fetchall()
        statuses = dict(con.execute(
            "SELECT status, count(*) FROM contents GROUP BY status").fetchall())
        n_files, top_bytes = con.execute(
            "SELECT count(*), sum(size) FILTER (WHERE parent IS NULL) FROM files").fetchone()
    finally:
        con.close()
    table = []
    for ctype, n, size, seconds, units, not_scanned in rows:
        seconds = float(seconds or 0.0)
        size = int(size or 0)
        row = {"type": ctype or "unknown", "contents": n, "mb": size / 1e6,
               "worker_s": seconds, "units": int(units or 0), "not_scanned": not_scanned,
               "mb_per_s": size / 1e6 / seconds if seconds else None,
               "files_per_s": n / seconds if seconds else None,
               "pages_per_s": None}
        if (ctype or "") in PAGE_TYPES and seconds:
            row["pages_per_s"] = (units or n) / seconds
        table.append(row)
    totals = {"files_in_case": n_files, "top_level_bytes": int(top_bytes or 0),
              "statuses": statuses}
    return table, totals
