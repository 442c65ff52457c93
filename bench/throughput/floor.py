"""What this machine can do at best with a dump's table exports: the floor under issue 15's
"tables >= 100 MB/s end to end".

    .venv/bin/python -m bench.throughput.floor DUMP [--json OUT] [--limit-mb N]

Every CSV under ``DUMP`` (or the first ``--limit-mb`` megabytes of them) goes through three
measurements in this process, CPU seconds from ``getrusage``:

1. **parse**: the bytes read and split into columns of strings by pyarrow's CSV reader in one
   thread, which decodes them itself (the encoding guessed and the delimiter sniffed on the
   file's head as breachscope does); rows pyarrow cannot split are dropped, a file it cannot
   read at all is left out of every figure. No detection, no validation: less than a scan
   does (breachscope decodes in Python, for exact line numbers and lone surrogates).
2. **store**: those Arrow tables written once each into a new DuckDB database (one thread,
   the storage format breachscope's case store uses), checkpoint included: one copy of each
   cell. A case stores more than one copy (the labelled columns' cells as findings, the
   records built from the same rows, the key columns' row keys).
3. **breachscope's worker**: ``worker.task.process_content`` on the same files (what a scan
   worker does for them: read, classify and validate the columns, build findings, records and
   row keys, write them to result files), in this process, without the store's writes.

The report gives each step's MB per CPU second and the most two cores could do if the work
split perfectly between them: ``2 / (1 / parse + 1 / store)`` MB/s for the bare load (parse
then store, no detection). When that bound is below a target, no design that keeps each
table row in the case store meets the target on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The case store's DuckDB storage format (``breachscope.case.STORAGE_VERSION``).
from breachscope.case import STORAGE_VERSION


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(step: Callable[[], Any]) -> tuple[Any, float]:
    start = _cpu()
    out = step()
    return out, _cpu() - start


def table_files(dump: Path, limit_mb: float | None = None) -> list[Path]:
    """The dump's CSV files in path order, up to ``limit_mb`` megabytes if given."""
    files, total = [], 0
    for path in sorted(dump.rglob("*.csv")):
        if limit_mb is not None and total >= limit_mb * 1e6:
            break
        files.append(path)
        total += path.stat().st_size
    return files


def parse_table(path: Path) -> Any | None:
    """The file's columns as an Arrow table of strings, or ``None`` when pyarrow cannot read it
    (no delimiter found, bytes its encoding refuses, a header pyarrow rejects). The least a
    reader can do: the encoding is guessed and the delimiter sniffed on the head only (as
    breachscope does), and Arrow decodes and splits the raw bytes itself."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from breachscope.extract.delimited import sniff_delimiter
    from breachscope.extract.encoding import guess_encoding

    data = path.read_bytes()
    encoding = guess_encoding(data[:_HEAD], partial=len(data) > _HEAD)
    head = data[:_HEAD].decode(encoding, "replace")
    sniffed = sniff_delimiter(head)
    if sniffed is None:
        return None
    delimiter = sniffed[0]
    skip = _title_lines(head, delimiter)
    lines = head.splitlines()
    width = lines[skip].count(delimiter) + 1 if skip < len(lines) else 1
    names = [f"c{i}" for i in range(width)]  # every column a string: nothing inferred
    try:
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=names,
                                           skip_rows=skip, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=delimiter,
                                             invalid_row_handler=lambda _row: "skip"),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                auto_dict_encode=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError, LookupError):
        return None


#: The head read for the encoding, the delimiter and the title lines.
_HEAD = 65536


def _title_lines(text: str, delimiter: str) -> int:
    """Lines before the first with the usual number of delimiters (an export's title)."""
    from collections import Counter

    counts = [line.count(delimiter) for line in text[:_HEAD].splitlines()[:50]]
    usual = Counter(c for c in counts if c).most_common(1)
    return counts.index(usual[0][0]) if usual else 0


def store_tables(tables: list[Any], db_path: Path) -> None:
    """Each table into a new DuckDB database, one thread, then a checkpoint."""
    import duckdb

    db = duckdb.connect(str(db_path), config={"storage_compatibility_version": STORAGE_VERSION,
                                               "threads": 1})
    try:
        for i, table in enumerate(tables):
            db.register("_floor_rows", table)
            db.execute(f"CREATE TABLE t{i} AS SELECT * FROM _floor_rows")
            db.unregister("_floor_rows")
        db.execute("CHECKPOINT")
    finally:
        db.close()


def scan_worker(paths: list[Path], work_dir: Path) -> list[str]:
    """``process_content`` on each file (the first one once more before, unmeasured by the
    caller's step: the imports and model loads a worker pays at start-up)."""
    from breachscope.settings import ScanSettings
    from breachscope.worker.task import process_content

    settings = ScanSettings()
    return [process_content(str(p), None, str(work_dir), settings).status for p in paths]


def _rate(mb: float, cpu_s: float) -> float | None:
    return round(mb / cpu_s, 2) if cpu_s > 0 else None


def measure(dump: Path, limit_mb: float | None = None, worker: bool = True) -> dict[str, Any]:
    """The floor's report for the CSV files of ``dump`` (see the module's docstring)."""
    files = table_files(dump, limit_mb)
    parsed, parse_s = _timed(lambda: [(p, parse_table(p)) for p in files])
    kept = [(p, t) for p, t in parsed if t is not None]
    mb = sum(p.stat().st_size for p, _ in kept) / 1e6
    cells = sum(t.num_rows * t.num_columns for _, t in kept)
    with tempfile.TemporaryDirectory(prefix="bs-floor-") as tmp:
        _, store_s = _timed(lambda: store_tables([t for _, t in kept], Path(tmp) / "floor.duckdb"))
        store_mb = os.path.getsize(Path(tmp) / "floor.duckdb") / 1e6
        report: dict[str, Any] = {
            "files": len(files), "files_parsed": len(kept), "mb": round(mb, 3),
            "cells": cells, "store_file_mb": round(store_mb, 1),
            "parse_cpu_s": round(parse_s, 2), "parse_mb_per_cpu_s": _rate(mb, parse_s),
            "store_cpu_s": round(store_s, 2), "store_mb_per_cpu_s": _rate(mb, store_s),
        }
        load = parse_s + store_s
        report["bare_load_mb_per_cpu_s"] = _rate(mb, load)
        report["bare_load_two_cores_mb_per_s"] = _rate(2 * mb, load)
        if worker and kept:
            paths = [p for p, _ in kept]
            scan_worker(paths[:1], Path(tmp))  # start-up costs, not measured
            statuses, worker_s = _timed(lambda: scan_worker(paths, Path(tmp)))
            report["worker_cpu_s"] = round(worker_s, 2)
            report["worker_mb_per_cpu_s"] = _rate(mb, worker_s)
            report["worker_statuses"] = {s: statuses.count(s) for s in sorted(set(statuses))}
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dump", type=Path)
    parser.add_argument("--json", type=Path, help="write the report here too")
    parser.add_argument("--limit-mb", type=float, help="only the first N MB of CSV files")
    parser.add_argument("--no-worker", action="store_true",
                        help="skip breachscope's worker step")
    args = parser.parse_args(argv)
    report = measure(args.dump, args.limit_mb, worker=not args.no_worker)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
