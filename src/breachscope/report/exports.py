"""``breachscope export``: files, findings or people as CSV, JSON Lines or Parquet, written by
DuckDB straight from the case store."""

from __future__ import annotations

from pathlib import Path

from breachscope.case import Case
from breachscope.report.queries import QUERIES

FORMATS = {
    "csv": "FORMAT csv, HEADER true",
    "jsonl": "FORMAT json",  # DuckDB writes one object per line
    "parquet": "FORMAT parquet",
}


def export(case: Case, what: str, fmt: str, out: Path) -> int:
    """Write ``what`` to ``out`` in ``fmt``; returns the number of rows."""
    if what not in QUERIES:
        raise ValueError(f"cannot export {what!r}: choose one of {', '.join(QUERIES)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    query = QUERIES[what].strip()
    target = str(out).replace("'", "''")
    case.db.execute(f"COPY ({query}) TO '{target}' ({FORMATS[fmt]})")
    return case.db.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
