"""Helpers shared by tests (a uniquely named module, importable from every test folder)."""

from __future__ import annotations

import io
import zipfile


def make_zip(entries: dict[str, bytes], *, encrypted: set[str] = frozenset()) -> bytes:
    """A zip of ``entries``; members in ``encrypted`` get the encryption flag bit, as a
    password zip has it (their bytes stay readable: the flag alone must stop the reader)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    data = bytearray(buf.getvalue())
    for name in encrypted:
        _set_encrypted_flag(data, name)
    return bytes(data)


def _set_encrypted_flag(data: bytearray, name: str) -> None:
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        local = zf.getinfo(name).header_offset
    data[local + 6] |= 1
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        n = int.from_bytes(data[pos + 28 : pos + 30], "little")
        if data[pos + 46 : pos + 46 + n] == name.encode():
            data[pos + 8] |= 1
        pos = data.find(b"PK\x01\x02", pos + 4)


FILES_ONLY_ENV = "BREACHSCOPE_TEST_RESULTS_IN_FILES"


def files_or_inline_task(path, file_type, work_dir, settings, depth=0):
    """The real task, in a worker that writes every result to files when the environment
    says so (a worker process does not see the test's monkeypatching)."""
    import os

    from breachscope.worker import process_content, sink

    if os.environ.get(FILES_ONLY_ENV):
        sink.INLINE_ROWS = 0
    return process_content(path, file_type, work_dir, settings, depth)


def niceness_task(path, file_type, work_dir, settings, depth=0):
    """A task that scans nothing and reports, as its reason, its worker's niceness."""
    import os

    from breachscope.worker import ContentResult

    return ContentResult("scanned", f"nice {os.nice(0)}", file_type or "text")


def old_case(path, version: int):
    """An open DuckDB store at ``path/case.duckdb`` as a case of schema ``version`` (before 6)
    had it: ``meta``, the ``findings`` table (every schema before 6 kept findings in one
    table) and ``records`` keyed by its id (until schema 7), with its first columns. The
    caller adds what else it needs and closes it."""
    import duckdb

    path.mkdir()
    db = duckdb.connect(str(path / "case.duckdb"))
    db.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(version)])
    db.execute("CREATE TABLE findings (sha256 VARCHAR, location VARCHAR, entity VARCHAR, "
               "value VARCHAR, confidence DOUBLE, detector VARCHAR)")
    db.execute("CREATE TABLE records (record_id VARCHAR PRIMARY KEY, sha256 VARCHAR)")
    return db
