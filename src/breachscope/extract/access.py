"""Access databases (``.mdb`` Jet 3/4, ``.accdb`` ACE) → a table per database table, in
chunks, through Debian's ``mdbtools``.

- ``mdbtools`` (LGPL library, GPL tools; separate programs, so their licence does not reach
  breachscope) is the maintained open reader of the Jet/ACE format, packaged by Debian; the
  pure-Python ``access-parser`` is chosen against because it loads each table whole into
  memory and is little maintained. ``mdb-tables -1`` lists the user tables (system tables
  ``MSys*`` left out), then ``mdb-export`` writes each table as CSV (header line, fields
  quoted, quotes doubled, dates ``YYYY-MM-DD[ HH:MM:SS]``, booleans ``TRUE``/``FALSE``,
  binary fields (OLE objects, attachments) left out: ``-b strip``).
- Each program is C code reading hostile bytes: it is run with an argument list (no shell;
  ``--`` before the file and table names, so a table named ``-x`` is not an option), no
  standard input, a minimal environment (``LC_ALL=C.UTF-8``: UTF-8 output;
  ``MDB_JET3_CHARSET=cp1252``: the code page of Access 97 files written in France), the
  temporary folder (``TMPDIR``, the case's work area) as working directory, a time limit
  (:data:`TIMEOUT` per program run) and a cap on what is read of its output
  (:data:`MAX_OUTPUT` per table). Its standard error (which may quote data) goes to an
  anonymous temporary file and is only matched against known messages.
- The CSV is parsed as it streams (``csv`` module, so a memo field with line breaks stays
  one cell) into :class:`TableUnit` chunks named ``table <name>``; ``row_numbers`` are
  record positions from 1 (Access shows no row numbers; this is the order mdb-export reads).
- A table that cannot be exported (damaged pages, time or output limit) does not lose the
  others: they are read, then the database is recorded ``partial`` with the count of tables
  not read (:class:`~breachscope.extract.partial.PartialContent`).
- Not read: queries, forms, reports and macros (no data of their own; never run), binary
  fields.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

from breachscope.extract._program import Program
from breachscope.extract._table import table_chunks
from breachscope.extract.units import EncryptedContent, ExtractionError, TableUnit, TextUnit

#: Seconds one mdbtools program may run (listing the tables, exporting one table).
TIMEOUT = 300
#: Bytes of CSV read per table; beyond, the table is cut and the database is ``partial``.
MAX_OUTPUT = 2 * 1024**3
#: Bytes of the table list read (a damaged catalogue could list garbage without end).
MAX_LIST = 4 * 1024**2
#: Tables read per database at most (each is one run of mdb-export).
MAX_TABLES = 10_000
_EXPORT_OPTIONS = ["-D", "%Y-%m-%d", "-T", "%Y-%m-%d %H:%M:%S", "-B", "-b", "strip"]
# mdbtools' messages (stderr) → reasons, matched in lower case.
_REASONS = (
    ("encrypt", "access encrypted (password protected)"),
    ("password", "access encrypted (password protected)"),
    ("does not appear to be an access database", "corrupt access: not an Access database"),
    ("beyond eof", "corrupt access: truncated"),
    ("unrecognized format", "corrupt access: unrecognised format"),
    ("unable to read", "corrupt access: damaged pages"),
)


# Messages of mdbtools about a damaged file it still read (possibly exit 0).
_DAMAGE = ("beyond eof", "unrecognized format", "unable to read")


class _Stopped(Exception):
    """An mdbtools run ended before its output did: the reason."""


def mdbtools() -> tuple[str, str] | None:
    """Where ``mdb-tables`` and ``mdb-export`` are installed, or None."""
    tables, export = shutil.which("mdb-tables"), shutil.which("mdb-export")
    return (tables, export) if tables and export else None


def partition_access(path: Path) -> Iterator[TableUnit | TextUnit]:
    """Stream every user table of the Access database at ``path``."""
    from breachscope.extract.partial import PartialContent

    tools = mdbtools()
    if tools is None:
        raise ExtractionError("access not read: mdbtools is not installed")
    list_program, export_program = tools
    path = Path(path).absolute()
    names, listed_badly = _table_names(list_program, path)
    failed: list[str] = [listed_badly] if listed_badly else []
    read_any = False
    for name in names[:MAX_TABLES]:
        units = _table_units(export_program, path, name)
        try:
            for unit in units:
                read_any = True
                yield unit
        except _Stopped as stop:
            failed.append(str(stop))
    skipped = max(0, len(names) - MAX_TABLES)
    if not failed and not skipped:
        return
    if not read_any:
        raise _error(failed[0])  # nothing read: the database failed
    reasons = sorted(set(failed)) + ([f"over {MAX_TABLES} tables"] if skipped else [])
    count = len(failed) - bool(listed_badly) + skipped
    raise PartialContent(f"{count} of {len(names)} tables not read or cut "
                         f"({'; '.join(reasons)})")


def _table_names(program: str, path: Path) -> tuple[list[str], str | None]:
    """The user tables, and a reason when the catalogue was read from a damaged file (the
    list may then be incomplete)."""
    names: list[str] = []
    with _run([program, "-1", "--", str(path)]) as run:
        for line in run.lines(MAX_LIST):
            if line.strip():
                names.append(line.rstrip("\r\n"))
        code, stderr = run.finish()
    if run.stopped:
        raise ExtractionError(f"access not read: table list cut ({run.stopped})")
    if code != 0:
        raise _error(_reason(code, stderr))
    return names, ("table list from a damaged file: " + _reason(code, stderr)
                   if _damaged(stderr) else None)


def _table_units(program: str, path: Path, name: str) -> Iterator[TableUnit | TextUnit]:
    """Table ``name`` in chunks; :class:`_Stopped` when its export ends badly (after the
    rows it gave, which stay read)."""
    with _run([program, *_EXPORT_OPTIONS, "--", str(path), name]) as run:
        reader = csv.reader(run.lines(MAX_OUTPUT))
        try:
            header = next(reader, None)
            while header is not None and not any(cell.strip() for cell in header):
                header = next(reader, None)  # a damaged file makes blank lines first
            if header is None:
                code, stderr = run.finish()
                raise _Stopped(run.stopped or _reason(code, stderr))
            rows = ((number, cells) for number, raw in enumerate(reader, start=1)
                    if any(cells := [cell.strip() for cell in raw]))
            yield from table_chunks(f"table {name}", [h.strip() for h in header], rows)
        except csv.Error:
            raise _Stopped("a field over the CSV reader's limit") from None
        code, stderr = run.finish()
        if run.stopped or code != 0 or _damaged(stderr):
            # mdbtools may read a truncated file to its end and exit 0, saying so on stderr.
            raise _Stopped(run.stopped or _reason(code, stderr))


def _damaged(stderr: bytes) -> bool:
    message = stderr.decode("utf-8", "replace").lower()
    return any(needle in message for needle in _DAMAGE)


def _run(command: list[str]) -> Program:
    return Program(command, "mdbtools", "access not read", TIMEOUT,
                   env={"MDB_JET3_CHARSET": "cp1252"})


def _reason(code: int, stderr: bytes) -> str:
    message = stderr.decode("utf-8", "replace").lower()
    for needle, reason in _REASONS:
        if needle in message:
            return reason
    if code < 0:
        return f"access not read: mdbtools crashed (signal {-code})"
    return f"access not read: mdbtools failed (exit {code})"


def _error(reason: str) -> ExtractionError:
    if "encrypted" in reason:
        return EncryptedContent(reason)
    return ExtractionError(reason if reason.startswith(("access", "corrupt")) else
                           f"access not read: {reason}")

