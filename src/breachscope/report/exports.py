"""``breachscope export``: files, findings or people as CSV, JSON Lines or Parquet, written by
DuckDB straight from the case store.

Every export is created owner-only (``0600``). From an encrypted case an export is the case
in clear (names, NIRs, the paths of the leak's files, which hold names too): it is written as
``FILE.7z``, an AES-256 7z with encrypted headers whose password is the case key
(:func:`breachscope.outputs.protected_file`), unless the caller asks for clear text
(``--plaintext-output``). DuckDB then writes into an anonymous in-memory file (``memfd``),
so the plain export never touches the disk.
"""

from __future__ import annotations

import os
from pathlib import Path

from breachscope.case import Case
from breachscope.outputs import make_private, protected_file, write_private_bytes
from breachscope.report.queries import QUERIES

FORMATS = {
    "csv": "FORMAT csv, HEADER true",
    "jsonl": "FORMAT json",  # DuckDB writes one object per line
    "parquet": "FORMAT parquet",
}


def export(case: Case, what: str, fmt: str, out: Path, *, password: str | None = None) -> int:
    """Write ``what`` to ``out`` in ``fmt`` (with ``password``: to ``out.7z``, encrypted);
    returns the number of rows."""
    if what not in QUERIES:
        raise ValueError(f"cannot export {what!r}: choose one of {', '.join(QUERIES)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    query = QUERIES[what].strip()
    if password is None:
        write_private_bytes(out, b"")  # created 0600 before DuckDB writes into it
        _copy(case, query, fmt, out)
        make_private(out)
    else:
        protected_file(out, _copy_to_memory(case, query, fmt), password=password)
    return case.db.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]


def _copy(case: Case, query: str, fmt: str, target: Path | str) -> None:
    # USE_TMP_FILE false: DuckDB writes into the path itself (no temporary sibling, which an
    # in-memory file cannot have)
    quoted = str(target).replace("'", "''")
    case.db.execute(f"COPY ({query}) TO '{quoted}' ({FORMATS[fmt]}, USE_TMP_FILE false)")


def _copy_to_memory(case: Case, query: str, fmt: str) -> bytes:
    """The export's bytes, written by DuckDB into a ``memfd`` (RAM, no path on any disk)."""
    fd = os.memfd_create("breachscope-export")
    try:
        _copy(case, query, fmt, f"/proc/self/fd/{fd}")
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read()
    finally:
        os.close(fd)
