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

After its rows, a table with a declared key gives a :class:`KeysUnit` (``unit_name`` the
rows' ``table <name>``): the primary key's columns in key order (``PRAGMA table_info``) and
its foreign keys (``PRAGMA foreign_key_list``; a reference without columns gets the referenced
table's primary key, and the referenced table's name is spelled as in the schema when it is
there). A ``rowid`` alone is no declared key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from breachscope.extract._table import MAX_COLUMNS, column_names, table_chunks
from breachscope.extract.units import ExtractionError, ForeignKey, KeysUnit, TableUnit, TextUnit

#: Rows fetched at a time.
FETCH_ROWS = 1000
#: BLOB cells up to this size are decoded as text when they are UTF-8.
MAX_BLOB = 1 << 20
#: Foreign keys read per table.
MAX_FOREIGN_KEYS = 256


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
    if str(path).startswith("/proc/self/fd/"):
        # An in-memory file (a sealed member of an encrypted case): SQLite resolves the
        # paths it opens, and that of an in-memory file does not exist; the database is
        # loaded into memory instead (read-only below).
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.deserialize(Path(path).read_bytes())
    else:
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


def _primary_key(info: list[tuple]) -> list[str]:
    """The primary key's columns, in key order, from ``PRAGMA table_info`` rows."""
    keyed = [(row[5], str(row[1])) for row in info
             if len(row) > 5 and isinstance(row[5], int) and row[5] > 0]
    return [name for _, name in sorted(keyed)]


class _Names:
    """Column names of a table as its units' header spells them."""

    def __init__(self, columns: list[str]) -> None:
        self.header = column_names(columns, len(columns) or 1)
        self.index = {c.lower(): i for i, c in reversed(list(enumerate(columns)))}

    def __call__(self, name: str) -> str:
        i = self.index.get(name.lower())
        return self.header[i] if i is not None and i < len(self.header) else name


def _keys(conn: sqlite3.Connection, table: str, info: list[tuple],
          tables: dict[str, str]) -> KeysUnit | None:
    """The keys ``table`` declares (``info``: its ``PRAGMA table_info``), columns named as in
    the units' header; None when it declares none or they cannot be read. ``tables``: the
    database's table names by lower-case name."""
    column = _Names([str(c[1]) for c in info][:MAX_COLUMNS])
    primary = _primary_key(info)
    try:
        rows = conn.execute(f"PRAGMA foreign_key_list({_quote(table)})").fetchmany(
            16 * MAX_FOREIGN_KEYS)
    except sqlite3.Error:
        rows = []
    grouped: dict[int, list[tuple]] = {}
    for row in rows:  # (id, seq, table, from, to, on_update, on_delete, match)
        if len(row) >= 5 and isinstance(row[0], int) and isinstance(row[2], str):
            grouped.setdefault(row[0], []).append(row)
    foreign: list[ForeignKey] = []
    # SQLite numbers a table's foreign keys from the last declared one: declaration order
    for _, parts in sorted(grouped.items(), reverse=True)[:MAX_FOREIGN_KEYS]:
        parts.sort(key=lambda r: r[1] if isinstance(r[1], int) else 0)
        ref_table = tables.get(parts[0][2].lower(), parts[0][2])
        from_columns = [str(r[3]) for r in parts]
        to_columns = [str(r[4]) for r in parts if r[4] is not None]
        ref_info: list[tuple] = []
        if ref_table.lower() in tables:
            try:
                ref_info = conn.execute(f"PRAGMA table_info({_quote(ref_table)})").fetchall()
            except sqlite3.Error:
                ref_info = []
        if not to_columns:  # REFERENCES t: t's primary key
            to_columns = _primary_key(ref_info)
            if len(to_columns) != len(from_columns):
                to_columns = []
        elif len(to_columns) != len(from_columns):
            continue
        ref_column = _Names([str(c[1]) for c in ref_info][:MAX_COLUMNS])
        fk = ForeignKey([column(c) for c in from_columns], ref_table[:200],
                        [ref_column(c) for c in to_columns])
        if fk not in foreign:
            foreign.append(fk)
    if not primary and not foreign:
        return None
    return KeysUnit(table=table[:200], unit_name=f"table {table[:200]}",
                    primary_key=[column(c) for c in primary], foreign_keys=foreign)


def partition_sqlite(path: Path) -> Iterator[TableUnit | TextUnit | KeysUnit]:
    """Stream the tables of an SQLite database (see the module docstring)."""
    try:
        conn = _connect(Path(path))
        tables = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid").fetchall()
    except sqlite3.Error:
        raise ExtractionError("not a readable SQLite database") from None
    names = {t.lower(): t for (t,) in tables if isinstance(t, str)}
    try:
        read = failed = 0
        for (table,) in tables:
            if not isinstance(table, str):
                continue
            keys = None
            try:
                info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
                columns = [str(c[1]) for c in info][:MAX_COLUMNS]
                if not columns:
                    failed += 1
                    continue
                keys = _keys(conn, table, info, names)
                yield from table_chunks(f"table {table[:200]}", columns,
                                        _rows(conn, table, columns))
                read += 1
            except sqlite3.Error:
                failed += 1
            if keys is not None:
                yield keys
        if failed and not read:
            raise ExtractionError("not a readable SQLite database")
    finally:
        conn.close()
