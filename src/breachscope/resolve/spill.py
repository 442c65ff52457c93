"""A cap on what people resolution, relations and assessment spill to disk.

DuckDB writes what does not fit in its ``memory_limit`` to its ``temp_directory`` (the case's
``spill/`` for the case connection, ``spill/linkage`` for the linkage's own connection), and by
default lets that grow to 90 % of the free disk. A dump built to blow up the linkage (thousands
of people sharing a default value) could then fill the disk of the machine holding the case.

Resolution sets DuckDB's ``max_temp_directory_size`` on both connections to
:func:`spill_cap`: ``BREACHSCOPE_SPILL_LIMIT`` when set (``512MiB``, ``20GiB``, ``2GB`` or a
number of bytes), else the smaller of :data:`DEFAULT_CAP` (10 GiB: the linkage of a million
records spills about 1.5 GB; :data:`TABLES_CAP` on the case's connection, whose steps spill in
proportion to the case) and half the free space of the spill folder's disk. A cap already
set lower on the case connection is kept. When the cap is reached DuckDB stops the query, and
:class:`SpillCapReached` says so in one sentence: the linkage falls back to the exact keys
(``meta.linkage_error``), the exact keys stop the scan with that message (people stay to be
resolved, and the next scan tries again).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from breachscope.case import CaseError

SPILL_LIMIT_ENV = "BREACHSCOPE_SPILL_LIMIT"
#: The cap when the environment does not set one (and half the free disk is more).
DEFAULT_CAP = 10 * 2**30
#: The same for relating tables and assessing people, which join every table row (a 10 GB
#: dump's relations spilled 15.5 GB at their peak; issue 15, session 12), and for the steps
#: of resolution on the case's connection (exact keys, the people: 9.1 GB at 10 M distinct
#: records, session 14). The linkage's own connection keeps the smaller cap: past it the
#: linkage falls back to the exact keys, sooner the better.
TABLES_CAP = 48 * 2**30
#: Share of the spill disk's free space the cap may take.
FREE_SHARE = 0.5

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]I?B|B)?\s*", re.IGNORECASE)


class SpillCapReached(CaseError):
    """A resolution query needed more spill space than its cap."""


def parse_size(text: str) -> int | None:
    """Bytes from ``10GiB``, ``512 MB``, ``1.5 GiB`` or ``1000``; ``None`` if not a size
    (DuckDB's own "90% of available disk space" included)."""
    m = _SIZE.fullmatch(text)
    if not m:
        return None
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "").upper()])


def format_size(n: int) -> str:
    """``10.0 GiB``-style text, as DuckDB writes its settings."""
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} bytes"


def spill_cap(directory: Path | str | None, default: int = DEFAULT_CAP) -> int:
    """The cap in bytes for a spill folder: see the module's docstring (``default`` in place
    of :data:`DEFAULT_CAP`)."""
    configured = os.environ.get(SPILL_LIMIT_ENV, "").strip()
    if configured:
        size = parse_size(configured)
        if size is None or size <= 0:
            raise CaseError(f"{SPILL_LIMIT_ENV} must be a size such as 10GiB or 512MiB")
        return size
    cap = default
    if directory:
        path = Path(directory)
        while not path.exists() and path != path.parent:
            path = path.parent
        with contextlib.suppress(OSError):
            cap = min(cap, int(shutil.disk_usage(path).free * FREE_SHARE))
    return max(cap, 1)


def is_spill_cap_error(exc: BaseException | None) -> bool:
    """DuckDB's "failed to offload data block ... max_temp_directory_size" error, raised as
    it is or wrapped (Splink re-raises DuckDB's errors as its own, the cause attached)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, duckdb.Error) and "max_temp_directory_size" in str(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def reached(cap: int, where: str, stage: str = "people resolution") -> SpillCapReached:
    """The error for a cap reached in the spill folder ``where`` (a name, not a path) during
    ``stage`` (what the scan was doing, for the message)."""
    return SpillCapReached(
        f"{stage}: the spill folder {where} reached its cap of {format_size(cap)}; "
        f"free disk space or set {SPILL_LIMIT_ENV} higher (e.g. 20GiB), then run the scan "
        "again")


@contextlib.contextmanager
def capped(db: duckdb.DuckDBPyConnection, where: str = "spill",
           stage: str = "people resolution", default: int = DEFAULT_CAP) -> Iterator[int]:
    """Cap the spill of ``db`` for the duration of the block (the setting is restored after);
    a query that reaches the cap raises :class:`SpillCapReached` naming ``stage``. Yields the
    cap. (Resolution, relations and assessment run under it, the last two with ``default``
    :data:`TABLES_CAP`: see the pipeline.)"""
    temp_dir, previous = db.execute(
        "SELECT current_setting('temp_directory'), "
        "current_setting('max_temp_directory_size')").fetchone()
    cap = spill_cap(temp_dir, default)
    explicit = parse_size(str(previous))
    if explicit is not None and explicit < cap and not os.environ.get(SPILL_LIMIT_ENV):
        cap = explicit  # a lower cap set on the connection by the case stays
    db.execute(f"SET max_temp_directory_size = '{cap}B'")
    try:
        yield cap
    except Exception as exc:
        if is_spill_cap_error(exc):
            raise reached(cap, where, stage) from None
        raise
    finally:
        if explicit is None:
            db.execute("RESET max_temp_directory_size")
        else:
            db.execute(f"SET max_temp_directory_size = '{explicit}B'")


@contextlib.contextmanager
def unordered(db: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's ``preserve_insertion_order`` off for the block (restored after): a statement
    writing a table (``CREATE TABLE ... AS``) then need not keep its rows in the order they
    were produced, which holds them in memory. At 10 GB (77 M records, 137 M key cells) a
    relations statement ran out of the 1 GB memory limit with it on ("failed to pin block").
    A statement whose table's order matters must set it back itself (none does since the
    relations number records instead of ranking them by a sorted table, session 17)."""
    previous = db.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    db.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        db.execute(f"SET preserve_insertion_order = {str(previous).lower()}")
