"""SQLite database files → one table per SQL table, with the stdlib ``sqlite3``.

Safety: the file is opened read-only and *immutable* through a URI
(``file:...?mode=ro&immutable=1``: SQLite neither writes, locks, nor reads a journal or WAL
next to it), ``PRAGMA trusted_schema = OFF`` (functions with side effects are refused inside
the schema's generated columns or views), ``PRAGMA query_only``, and extensions are never
loaded. Only plain ``SELECT`` of table columns is run: triggers never fire, views are not read
(the rows they show are in tables).

Each table (the ``sqlite_*`` internal tables left out) becomes :class:`TableUnit` chunks
named ``table <name>``, its columns as the header, ``row_numbers`` the ``rowid`` (the position
for a ``WITHOUT ROWID`` table), read with ``fetchmany``. A BLOB cell becomes its text when it is
valid, printable UTF-8 of at most :data:`MAX_BLOB` bytes, else an empty cell (blobs larger than
that are not even loaded). A table that cannot be read (a damaged page, an unknown virtual table
module) is skipped; a file whose schema cannot be read fails with ``not a readable SQLite
database``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from breachscope.extract._table import MAX_COLUMNS, table_chunks
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit

#: Rows fetched at a time.
FETCH_ROWS = 1000
#: BLOB cells up to this size are decoded as text when they are UTF-8.
MAX_BLOB = 1 << 20


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            return ""
        return "" if any(ord(c) < 32 and c not in "\t\r\n" for c in text) else text
    return str(value)


def _connect(path: Path) -> sqlite3.Connection:
    uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    conn.text_factory = lambda data: data.decode("utf-8", "replace")
    if hasattr(conn, "enable_load_extension"):
        conn.enable_load_extension(False)
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.execute("PRAGMA query_only = ON")
    return conn


def _rows(conn: sqlite3.Connection, table: str,
          columns: list[str]) -> Iterator[tuple[int, list[str]]]:
    """``(rowid or position, cells)`` of a table."""
    lowered = {c.lower() for c in columns}
    selected = ", ".join(
        f"CASE WHEN typeof({_quote(c)}) = 'blob' AND length({_quote(c)}) > {MAX_BLOB} "
        f"THEN NULL ELSE {_quote(c)} END" for c in columns)
    rowid = next((r for r in ("rowid", "_rowid_", "oid") if r not in lowered), None)
    cursor = None
    if rowid:
        try:
            cursor = conn.execute(f"SELECT {rowid}, {selected} FROM {_quote(table)}")
        except sqlite3.OperationalError:  # WITHOUT ROWID, or a virtual table without one
            cursor = None
    if cursor is None:
        cursor = conn.execute(f"SELECT 0, {selected} FROM {_quote(table)}")
        rowid = None
    position = 0
    while batch := cursor.fetchmany(FETCH_ROWS):
        for row in batch:
            position += 1
            number = row[0] if rowid and isinstance(row[0], int) else position
            yield number, [_cell(v) for v in row[1:]]


def partition_sqlite(path: Path) -> Iterator[TableUnit | TextUnit]:
    """Stream the tables of an SQLite database (see the module docstring)."""
    try:
        conn = _connect(Path(path))
        tables = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid").fetchall()
    except sqlite3.Error:
        raise ExtractionError("not a readable SQLite database") from None
    try:
        read = failed = 0
        for (table,) in tables:
            if not isinstance(table, str):
                continue
            try:
                info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
                columns = [str(c[1]) for c in info][:MAX_COLUMNS]
                if not columns:
                    failed += 1
                    continue
                yield from table_chunks(f"table {table[:200]}", columns,
                                        _rows(conn, table, columns))
                read += 1
            except sqlite3.Error:
                failed += 1
        if failed and not read:
            raise ExtractionError("not a readable SQLite database")
    finally:
        conn.close()
