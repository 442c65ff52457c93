"""The case store: one DuckDB database per investigation, plus a work area.

Every stage reads and writes here and nowhere else, so any stage can be re-run alone and a scan
can resume after a crash. Scan results are keyed by *content* (sha256): a file copied in three
places of a dump is scanned once and counted in every place it appears, because ``files`` maps
each path to its content.

Tables
- ``meta``: ``schema_version`` and case-level settings.
- ``runs``: one row per command run (what, when, which version, outcome).
- ``files``: one row per path in the dump (``ARCHIVE!/MEMBER`` for archive members).
- ``contents``: one row per distinct content: sniffed type, status, reason, document class.
  A content row with status other than ``pending`` means "done, do not scan again".
- ``columns``: how each table column was classified (for review and tuning).
- ``findings``: detected values, per content, with location. A view over
  ``plain_findings`` (one row per finding) and, for the cells of labelled table columns,
  ``finding_columns`` (one row per column of a content: location prefix and suffix, entity,
  detector) with ``finding_cells`` (row number, value, confidence per cell): a cell's
  location is rebuilt as prefix || row || suffix (issue 15, session 10: a location string
  per cell was a third of the cost of storing a finding). Write to the tables
  (:mod:`breachscope.findings_store`), read the view.
- ``records``: per-person groups of findings in one place (a table row...).
- ``people``, ``person_records``: the resolved people, rebuilt by the resolve stage.
- ``facts``: what is known of each record beyond its own fields, rebuilt by the relate stage.
  A view over ``plain_facts`` (one row per fact) and ``fact_cells`` (a labelled column's cell
  attached to a record: column id, row number, value), whose location and entity come from
  ``finding_columns`` (schema v9, issue 15: writing each of the 124 M facts of a 10 GB dump
  with its sha256, location and entity strings was most of the relate stage).
- ``decisions``, ``suppressed_*``, ``qc_samples``: reviewers' corrections and quality control
  (``breachscope.review``), re-applied after every resolution.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from breachscope import __version__

# entities_text and entity_list are the store's too (records.entities): re-exported here.
from breachscope.detect.model import ENTITY_SEPARATOR
from breachscope.detect.model import entities_text as entities_text
from breachscope.detect.model import entity_list as entity_list
from breachscope.findings_store import COUNTS

SCHEMA_VERSION = 10
DB_NAME = "case.duckdb"
#: DuckDB storage format of a new store (see :func:`_connect`).
STORAGE_VERSION = "v1.5.0"
WORK_DIR = "work"
#: The store's DuckDB memory_limit unless given (``scan --db-memory-limit``) or set in the
#: environment: beyond it DuckDB spills to ``CASE/spill``.
DEFAULT_DB_MEMORY_LIMIT = "1GB"
DB_MEMORY_LIMIT_ENV = "BREACHSCOPE_DB_MEMORY_LIMIT"
_MEMORY_SIZE = re.compile(r"\s*\d+(\.\d+)?\s*([KMGT]i?B|B)\s*", re.IGNORECASE)


# The hospital's patient index (MPI) as `breachscope link` read it, and the person → index
# links it found; both rebuilt by every `link` run.
_MPI_TABLES = """
CREATE TABLE IF NOT EXISTS mpi_people (
    mpi_id VARCHAR PRIMARY KEY, last_name VARCHAR, birth_name VARCHAR, first_name VARCHAR,
    birth_date VARCHAR, sex VARCHAR, nir VARCHAR, address VARCHAR, postal_code VARCHAR,
    city VARCHAR, phone VARCHAR, email VARCHAR
);
CREATE TABLE IF NOT EXISTS mpi_links (
    person_id VARCHAR, mpi_id VARCHAR, method VARCHAR, score DOUBLE
);
"""

# What leaked about each person (schema v4): the leaked databases rebuilt (key columns of every
# table row, declared keys, the key graph), facts attached to the record of their person, the
# hospital's care units, and the evidence behind each sensitive flag.
# ``facts`` as schema v4 created it: a table, ``plain_facts`` since v9 (_FACTS_SPLIT).
_FACTS_TABLE = """
CREATE TABLE IF NOT EXISTS facts (
    record_id VARCHAR, sha256 VARCHAR, location VARCHAR, entity VARCHAR, value VARCHAR,
    via VARCHAR, hops INTEGER
);
"""
_RELATIONAL_TABLES = """
CREATE TABLE IF NOT EXISTS row_keys (
    sha256 VARCHAR, unit VARCHAR, row_location VARCHAR, column_name VARCHAR, value VARCHAR
);
CREATE TABLE IF NOT EXISTS declared_keys (
    sha256 VARCHAR, unit VARCHAR, kind VARCHAR, columns VARCHAR[], ref_table VARCHAR,
    ref_columns VARCHAR[]
);
CREATE TABLE IF NOT EXISTS key_links (
    child_sha256 VARCHAR, child_unit VARCHAR, child_column VARCHAR,
    parent_sha256 VARCHAR, parent_unit VARCHAR, parent_column VARCHAR,
    method VARCHAR, inclusion DOUBLE, child_values BIGINT, matched_values BIGINT,
    child_rows BIGINT, orphan_rows BIGINT, accepted BOOLEAN, reason VARCHAR
);
""" + _FACTS_TABLE + """
CREATE TABLE IF NOT EXISTS attached_rows (
    sha256 VARCHAR, row_location VARCHAR, record_id VARCHAR, hops INTEGER
);
CREATE TABLE IF NOT EXISTS orphan_rows (
    sha256 VARCHAR, unit VARCHAR, row_location VARCHAR, column_name VARCHAR, value VARCHAR
);
CREATE TABLE IF NOT EXISTS care_units (
    code VARCHAR, label VARCHAR, sensitive_category VARCHAR, source VARCHAR, inferred BOOLEAN
);
CREATE TABLE IF NOT EXISTS unit_values (
    value VARCHAR, code VARCHAR, label VARCHAR, sensitive_category VARCHAR, status VARCHAR,
    source VARCHAR
);
CREATE TABLE IF NOT EXISTS sensitive_evidence (
    person_id VARCHAR, record_id VARCHAR, sha256 VARCHAR, location VARCHAR, category VARCHAR,
    reason VARCHAR, decided BOOLEAN
);
"""

# The reviewers' corrections (schema v5, breachscope.review): each decision (who, when, what,
# why; ``target`` is JSON naming stable things: findings by content and location, records by
# id, never a person id), what the live false-positive decisions took out of ``findings`` and
# ``records`` (put back when a decision is undone, dropped when the content was scanned
# anew), what reviewers looked at (``review_events``: identifiers revealed), and the
# quality-control samples with the reviewers' verdicts.
_REVIEW_TABLES = """
CREATE TABLE IF NOT EXISTS decisions (
    decision_id INTEGER PRIMARY KEY, kind VARCHAR, target VARCHAR, value VARCHAR,
    reviewer VARCHAR, reason VARCHAR, created_at TIMESTAMP, undone_at TIMESTAMP,
    undone_by VARCHAR
);
CREATE TABLE IF NOT EXISTS suppressed_findings (
    decision_id INTEGER, content_run_id INTEGER, sha256 VARCHAR, location VARCHAR,
    entity VARCHAR, value VARCHAR, confidence DOUBLE, detector VARCHAR
);
CREATE TABLE IF NOT EXISTS suppressed_records (
    record_id VARCHAR PRIMARY KEY, content_run_id INTEGER, original VARCHAR
);
CREATE TABLE IF NOT EXISTS review_events (
    event_id INTEGER PRIMARY KEY, kind VARCHAR, target VARCHAR, reviewer VARCHAR,
    created_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS linkage_pairs (
    record_id_a VARCHAR, record_id_b VARCHAR, match_probability DOUBLE
);
CREATE TABLE IF NOT EXISTS qc_samples (
    item_id INTEGER PRIMARY KEY, draw_id INTEGER, stratum VARCHAR, kind VARCHAR,
    sha256 VARCHAR, path VARCHAR, location VARCHAR, entity VARCHAR, value VARCHAR,
    seed BIGINT, drawn_at TIMESTAMP, verdict VARCHAR, reviewer VARCHAR, marked_at TIMESTAMP
);
"""

# The findings of labelled table columns, one row per cell, and the ``findings`` view (see
# the module's docstring).
_FINDING_CELLS = """
CREATE TABLE IF NOT EXISTS finding_columns (
    column_id BIGINT, sha256 VARCHAR, loc_prefix VARCHAR, loc_suffix VARCHAR,
    entity VARCHAR, detector VARCHAR
);
CREATE TABLE IF NOT EXISTS finding_cells (
    column_id BIGINT, n BIGINT, value VARCHAR, confidence DOUBLE
);
CREATE OR REPLACE VIEW findings AS
    SELECT sha256, location, entity, value, confidence, detector FROM plain_findings
    UNION ALL
    SELECT c.sha256, concat(c.loc_prefix, f.n, c.loc_suffix) AS location, c.entity,
        f.value, f.confidence, c.detector
    FROM finding_cells f JOIN finding_columns c USING (column_id);
"""

# The pages of a document OCR'd by tasks of their own (pipeline, issue 15) whose results are
# stored, while the document is not finished (schema v8): a scan killed meanwhile leaves the
# document ``pending``, and the next scan keeps these pages' rows (their findings located
# ``page N, line L`` past the page's ``first_line`` text-layer lines, their records numbered
# from N x PAGE_RECORDS) instead of OCR'ing them again. Emptied of a document once it is done.
_OCR_PAGES_DONE = """
CREATE TABLE IF NOT EXISTS ocr_pages_done (
    sha256 VARCHAR, page INTEGER, first_line INTEGER, n_units INTEGER, seconds DOUBLE
);
"""

# The facts of labelled columns' cells, stored as references to their column (schema v9): the
# relate stage wrote 11.8 M such facts of a 1 GB dump as strings in 13.7 s (139 MB); as a
# record, a column, a row number and the value in 5.3 s (52 MB). Read the ``facts`` view.
_FACT_CELLS = """
CREATE TABLE IF NOT EXISTS fact_cells (
    record_id VARCHAR, column_id BIGINT, n BIGINT, value VARCHAR, hops INTEGER
);
CREATE OR REPLACE VIEW facts AS
    SELECT record_id, sha256, location, entity, value, via, hops FROM plain_facts
    UNION ALL
    SELECT f.record_id, c.sha256, concat(c.loc_prefix, f.n, c.loc_suffix) AS location,
        c.entity, f.value, 'row_link' AS via, f.hops
    FROM fact_cells f JOIN finding_columns c USING (column_id);
"""
_FACTS_SPLIT = _FACTS_TABLE + """
ALTER TABLE facts RENAME TO plain_facts;
""" + _FACT_CELLS

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS run_ids START 1;
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, command VARCHAR, version VARCHAR,
    started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR,
    n_files INTEGER, n_scanned INTEGER, n_failed INTEGER
);
CREATE TABLE IF NOT EXISTS files (
    path VARCHAR PRIMARY KEY, sha256 VARCHAR NOT NULL, size BIGINT, mtime DOUBLE,
    parent VARCHAR, depth INTEGER, run_id INTEGER
);
CREATE TABLE IF NOT EXISTS contents (
    sha256 VARCHAR PRIMARY KEY, size BIGINT, type VARCHAR, doc_class VARCHAR,
    status VARCHAR, reason VARCHAR, n_units INTEGER, seconds DOUBLE, run_id INTEGER
);
CREATE TABLE IF NOT EXISTS columns (
    sha256 VARCHAR, unit VARCHAR, col_index INTEGER, header VARCHAR, label VARCHAR,
    confidence DOUBLE, reason VARCHAR
);
CREATE TABLE IF NOT EXISTS plain_findings (
    sha256 VARCHAR, location VARCHAR, entity VARCHAR, value VARCHAR,
    confidence DOUBLE, detector VARCHAR
);
""" + _FINDING_CELLS + """
CREATE TABLE IF NOT EXISTS records (
    record_id VARCHAR, sha256 VARCHAR, location VARCHAR,
    last_name VARCHAR, first_name VARCHAR, full_name VARCHAR, birth_date VARCHAR, sex VARCHAR,
    nir VARCHAR, phones VARCHAR[], emails VARCHAR[], address VARCHAR, postal_code VARCHAR,
    city VARCHAR, ibans VARCHAR[], patient_id VARCHAR, care_unit VARCHAR, visit_date VARCHAR,
    role_hint VARCHAR, entities VARCHAR, icd10_codes VARCHAR[]
);
CREATE TABLE IF NOT EXISTS people (
    person_id VARCHAR PRIMARY KEY, role VARCHAR, last_name VARCHAR, first_name VARCHAR,
    birth_date VARCHAR, nir VARCHAR, phones VARCHAR[], emails VARCHAR[], postal_code VARCHAR,
    city VARCHAR, categories VARCHAR[], sensitive BOOLEAN, severity VARCHAR,
    severity_score DOUBLE
);
CREATE TABLE IF NOT EXISTS person_records (person_id VARCHAR, record_id VARCHAR);
""" + _MPI_TABLES + _RELATIONAL_TABLES + _REVIEW_TABLES + _OCR_PAGES_DONE + _FACTS_SPLIT

#: ``records.record_id`` was a PRIMARY KEY until schema 7. DuckDB maintains a key's ART index
#: on every insert, in memory: the scan's store writes paid ~8 µs per record for it (7.6 M
#: records at 1 GB; issue 15, session 11), and the index of a 10 GB dump's records grows with
#: them, against the 4 GB memory target. Nothing reads through the index (joins are hash
#: joins; the review's point lookups by record id scan one column), and ids are unique by
#: construction: a content's sha256 prefix and the record's number in it, a re-scanned
#: content's rows deleted first (tests check it). DuckDB cannot drop a key in place: the table
#: is copied (``CREATE TABLE AS`` keeps the columns, their order and types).
_RECORDS_WITHOUT_KEY = """
CREATE TABLE _bs_records_v7 AS SELECT * FROM records;
DROP TABLE records;
ALTER TABLE _bs_records_v7 RENAME TO records;
"""

#: ``records.entities`` (schema v10): the names of the entities a record holds, sorted and
#: joined by this (no entity name holds it; an empty string for none). Until v9 a list: its
#: storage was ~40 % of a stored record's CPU (2 M table-row records replayed into a store in
#: batches of 200 000: 6.94 s with the list, 4.11 s with the joined string, 4.06 s without
#: the column; ~15 % of the records' inserts in a scan's flushes of table exports; a record's
#: list is one of a few per table, which DuckDB's dictionary compression of a string stores
#: once; issue 15, sessions 19–20, docs/performance.md). :func:`entity_list` and
#: :func:`entity_list_sql` read it back; :func:`entities_text` and :func:`entities_text_sql`
#: write it. The separator and the Python pair live in :mod:`breachscope.detect.model`: the
#: workers write the joined string in their result files (issue 15, session 24).
def entities_text_sql(names: str) -> str:
    """SQL: ``records.entities`` of the SQL list of entity names ``names`` (sorted)."""
    return f"array_to_string(list_sort({names}), '{ENTITY_SEPARATOR}')"


def entity_list_sql(stored: str) -> str:
    """SQL: the list of entity names of the SQL ``records.entities`` value ``stored``."""
    return (f"CASE WHEN {stored} = '' THEN []::VARCHAR[] "
            f"ELSE string_split({stored}, '{ENTITY_SEPARATOR}') END")


def _entities_as_text(db: duckdb.DuckDBPyConnection) -> None:
    """v10: records' entities as one string (see ENTITY_SEPARATOR), where they are a list."""
    listed = db.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'records' "
        "AND column_name = 'entities' AND data_type = 'VARCHAR[]'").fetchone()[0]
    if listed:
        db.execute("ALTER TABLE records ALTER entities SET DATA TYPE VARCHAR "
                   f"USING {entities_text_sql('entities')}")

# Migrations from version N to N+1, applied in order to an existing case.
_MIGRATIONS: dict[int, str | Callable[[duckdb.DuckDBPyConnection], None]] = {
    # v10: records' entities as one string (see ENTITY_SEPARATOR).
    9: _entities_as_text,
    # v9: the facts of labelled columns' cells stored apart; ``facts`` becomes a view.
    8: _FACTS_SPLIT,
    # v8: the OCR'd pages of unfinished documents (see _OCR_PAGES_DONE).
    7: _OCR_PAGES_DONE,
    # v7: ``records`` without its PRIMARY KEY (see _RECORDS_WITHOUT_KEY).
    6: _RECORDS_WITHOUT_KEY,
    # v6: labelled columns' cells stored apart; ``findings`` becomes a view.
    5: "ALTER TABLE findings RENAME TO plain_findings;" + _FINDING_CELLS,
    # v2: the ICD-10 codes and CCAM acts of a record, for the sensitive flag of people.
    1: "ALTER TABLE records ADD COLUMN IF NOT EXISTS icd10_codes VARCHAR[]",
    # v3: the hospital's patient index and the links to it (`breachscope link`).
    2: _MPI_TABLES,
    # v4: relational reconstruction, facts per record, care units, sensitive evidence.
    3: _RELATIONAL_TABLES,
    # v5: reviewers' decisions and quality-control samples (breachscope.review).
    4: _REVIEW_TABLES,
}


class CaseError(Exception):
    """The case store cannot be used (not a case, newer schema, locked...)."""


def db_memory_limit(given: str | None = None) -> str:
    """The store's DuckDB ``memory_limit``: ``given``, else the ``BREACHSCOPE_DB_MEMORY_LIMIT``
    environment variable (empty: unset), else 1GB. A size with its unit (``4GB``, ``512MiB``);
    anything else raises :class:`CaseError`."""
    value = given if given is not None else os.environ.get(DB_MEMORY_LIMIT_ENV) or None
    if value is None:
        return DEFAULT_DB_MEMORY_LIMIT
    if not _MEMORY_SIZE.fullmatch(value):
        source = "the store's memory limit" if given is not None else DB_MEMORY_LIMIT_ENV
        raise CaseError(f"{source} must be a size with its unit, such as 4GB or 512MiB")
    return value.strip()


class Case:
    """An open case directory. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self, directory: Path, *, create: bool = True, key: str | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self.dir = Path(directory)
        db_path = self.dir / DB_NAME
        if not db_path.exists() and not create:
            raise CaseError(f"no case at {self.dir} (expected {DB_NAME}); run `breachscope scan`")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.encrypted = key is not None
        # Contents recorded done that this run redoes (``retry_on_rescan``).
        self.retry: set[str] = set()
        # memory_limit: see db_memory_limit (given, else the environment, else 1GB).
        self.db = _connect(db_path, key, db_memory_limit(memory_limit), self.dir / "spill")
        _clear_stale_spill(self.dir / "spill")
        self._migrate()

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @property
    def work_dir(self) -> Path:
        """Scratch space for archive members; nothing is ever written outside it."""
        path = self.dir / WORK_DIR
        path.mkdir(parents=True, exist_ok=True)
        return path

    def clear_work_dir(self) -> None:
        shutil.rmtree(self.dir / WORK_DIR, ignore_errors=True)

    def _migrate(self) -> None:
        has_meta = self.db.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        ).fetchone()[0]
        version = 0
        if has_meta:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise CaseError(
                f"case schema {version} is newer than this breachscope ({SCHEMA_VERSION}): upgrade"
            )
        if version == 0:
            self.db.execute(_SCHEMA)  # the current schema: no migration to apply
            version = SCHEMA_VERSION
        while version < SCHEMA_VERSION:
            step = _MIGRATIONS[version]
            if callable(step):
                step(self.db)
            else:
                self.db.execute(step)
            version += 1
        # The review tables grew during version 5's development (review_events,
        # linkage_pairs): a case made then gets them here (all CREATE ... IF NOT EXISTS).
        self.db.execute(_REVIEW_TABLES)
        self.db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )

    @property
    def schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0])

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.db.execute("BEGIN TRANSACTION")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- runs --------------------------------------------------------------------------------

    def start_run(self, command: str) -> int:
        # Not a sequence: after a kill -9, DuckDB may replay the runs row from its WAL but not
        # the sequence's state, and the next run would reuse an id.
        run_id = self.db.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchone()[0]
        self.db.execute(
            "INSERT INTO runs (run_id, command, version, started_at, status) "
            "VALUES (?, ?, ?, ?, 'running')",
            [run_id, command, __version__, _now()],
        )
        return int(run_id)

    def finish_run(
        self, run_id: int, status: str, *, n_files: int = 0, n_scanned: int = 0, n_failed: int = 0
    ) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, n_files = ?, n_scanned = ?, "
            "n_failed = ? WHERE run_id = ?",
            [_now(), status, n_files, n_scanned, n_failed, run_id],
        )

    # -- files and contents ------------------------------------------------------------------

    def content_status(self, sha256: str) -> str | None:
        """The content's recorded status; ``None`` (to do) for one this run retries."""
        if sha256 in self.retry:
            return None
        row = self.db.execute("SELECT status FROM contents WHERE sha256 = ?", [sha256]).fetchone()
        return row[0] if row else None

    def retry_on_rescan(self, *, encrypted: bool) -> set[str]:
        """Choose the contents this scan redoes although they are recorded: those that failed
        for a reason marked ``(retryable)`` (no space left on device), and with ``encrypted``
        (the scan has passwords) those recorded ``encrypted``. An archive (or message) is
        redone when one of its members is, since members are only reached through it."""
        rows = self.db.execute(
            "SELECT f.path, c.sha256 FROM contents c JOIN files f USING (sha256) "
            "WHERE (c.status = 'failed' AND ends_with(c.reason, '(retryable)')) "
            "OR (? AND c.status = 'encrypted')", [encrypted]).fetchall()
        retry = {sha for _path, sha in rows}
        containers: set[str] = set()
        for path, _sha in rows:
            parts = path.split("!/")
            containers.update("!/".join(parts[:i]) for i in range(1, len(parts)))
        if containers:
            retry.update(sha for (sha,) in self.db.execute(
                "SELECT sha256 FROM files WHERE list_contains(?, path)",
                [sorted(containers)]).fetchall())
        self.retry = retry
        return retry

    def known_file(self, path: str) -> tuple[str, int, float | None] | None:
        """(sha256, size, mtime) recorded for a path, to skip re-hashing unchanged files."""
        row = self.db.execute(
            "SELECT sha256, size, mtime FROM files WHERE path = ?", [path]
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def add_file(
        self, path: str, sha256: str, size: int, *, mtime: float | None, parent: str | None,
        depth: int, run_id: int,
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
            [path, sha256, size, mtime, parent, depth, run_id],
        )

    def copy_members(self, old_prefix: str, new_prefix: str, run_id: int) -> int:
        """Record the members of an archive already expanded at ``old_prefix`` under
        ``new_prefix`` too (same archive content found at another path)."""
        old = old_prefix + "!/"
        before = self.db.execute("SELECT count(*) FROM files").fetchone()[0]
        self.db.execute(
            """
            INSERT OR REPLACE INTO files
            SELECT ? || substr(path, ?), sha256, size, mtime,
                   CASE WHEN parent IS NULL THEN NULL ELSE ? || substr(parent, ?) END,
                   depth, ?
            FROM files WHERE starts_with(path, ?)
            """,
            [new_prefix, len(old_prefix) + 1, new_prefix, len(old_prefix) + 1, run_id, old],
        )
        return self.db.execute("SELECT count(*) FROM files").fetchone()[0] - before

    def path_for_content(self, sha256: str, exclude: str | None = None) -> str | None:
        row = self.db.execute(
            "SELECT path FROM files WHERE sha256 = ? AND path IS DISTINCT FROM ? "
            "ORDER BY length(path), path LIMIT 1",
            [sha256, exclude],
        ).fetchone()
        return row[0] if row else None

    def set_content(
        self, sha256: str, *, size: int, file_type: str, status: str, reason: str | None,
        n_units: int = 0, seconds: float = 0.0, run_id: int,
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO contents "
            "(sha256, size, type, doc_class, status, reason, n_units, seconds, run_id) "
            "VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)",
            [sha256, size, file_type, status, reason, n_units, seconds, run_id],
        )

    def finish_container(
        self, sha256: str, *, size: int, file_type: str, status: str, reason: str | None,
        run_id: int,
    ) -> None:
        """Mark an archive (or a message with attachments) done, now that all its members are
        stored; a message's own row, stored `pending` with its findings, keeps its counts."""
        exists = self.db.execute(
            "SELECT count(*) FROM contents WHERE sha256 = ?", [sha256]).fetchone()[0]
        if exists:
            self.db.execute("UPDATE contents SET status = ?, reason = ? WHERE sha256 = ?",
                            [status, reason, sha256])
        else:
            self.set_content(sha256, size=size, file_type=file_type, status=status,
                             reason=reason, run_id=run_id)

    def set_linkage(self, method: str) -> None:
        """Choose how this case's records become people (``exact`` or ``splink``); people are
        re-resolved at the next scan when the method changes."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'linkage'").fetchone()
        if row is None or row[0] != method:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('linkage', ?)", [method])
            self.set_people_stale(True)

    def people_stale(self) -> bool:
        """True when records changed since people were last resolved (or never were)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'people_stale'").fetchone()
        return row is None or row[0] == "1"

    def set_people_stale(self, stale: bool) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('people_stale', ?)", ["1" if stale else "0"]
        )

    def counts(self) -> dict[str, int]:
        """Row counts; ``findings`` counts each finding in every place its content appears
        (as exports and reports do), ``findings_distinct`` once per content."""
        out = {}
        for table in ("files", "contents", "records", "people"):
            out[table] = self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        out["findings_distinct"] = self.db.execute(
            f"SELECT coalesce(sum(n), 0) FROM {COUNTS}").fetchone()[0]
        out["findings"] = self.db.execute(
            f"SELECT coalesce(sum(n), 0) FROM {COUNTS} JOIN files USING (sha256)").fetchone()[0]
        return out


def empty_table(db: duckdb.DuckDBPyConnection, table: str) -> None:
    """Empty ``table`` of the store by dropping it and creating it again from its own DDL,
    inside the caller's transaction. ``DELETE FROM`` every row keeps each row's undo record
    in memory until the commit, outside DuckDB's ``memory_limit``: re-resolving a 10 GB
    dump (77 M ``person_records``, 124 M ``facts``) took the main process past 4 GB."""
    ddl = db.execute(
        "SELECT sql FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = current_schema() AND table_name = ?", [table]).fetchone()[0]
    db.execute(f"DROP TABLE {table}")
    db.execute(ddl)


def _clear_stale_spill(spill_dir: Path) -> None:
    """Delete what DuckDB spilled for an earlier process that did not close (``kill -9``,
    a crash, a stopped scan): DuckDB removes its temporary files when it closes, not when the
    next connection opens, and a killed people resolution of a 10 GB dump left 38 GB in
    ``CASE/spill`` (issue 15, session 11). Called once the store is open: DuckDB's lock on
    the store file means no other process is using the case, and this connection has
    spilled nothing yet. ``spill/linkage`` (the linkage's own connection) too."""
    if not spill_dir.is_dir():
        return
    for path in spill_dir.rglob("duckdb_temp_*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                path.unlink()


def _connect(
    db_path: Path, key: str | None, memory_limit: str, spill_dir: Path
) -> duckdb.DuckDBPyConnection:
    """Open the store. DuckDB never installs or loads extensions by itself here (that would
    mean the network); with a key, the store is an encrypted DuckDB database (AES-GCM), which
    needs the httpfs extension that the ``duckdb-extension-httpfs`` package ships for offline
    use (DuckDB's own signed build: ``LOAD`` checks its signature)."""
    config = {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "memory_limit": memory_limit,
        "temp_directory": str(spill_dir),
        # A new store is written in DuckDB 1.5's storage format, not 0.10's (the default, for
        # older readers): its compression costs the scan's main process a third less CPU per
        # stored row (issue 15). A store made by an older breachscope keeps its format.
        "storage_compatibility_version": STORAGE_VERSION,
    }
    try:
        if key is None:
            db = duckdb.connect(str(db_path), config=config)
        else:
            db = duckdb.connect(":memory:", config=config)
            encrypt_temp_files(db)
            db.execute(f"ATTACH {_sql_string(str(db_path))} AS case_store "
                       f"(ENCRYPTION_KEY {_sql_string(key)})")
            db.execute("USE case_store")
    except duckdb.Error as exc:
        message = str(exc)
        if key:
            message = message.replace(_sql_string(key), "'***'").replace(key, "***")
        if "without a key" in message:
            raise CaseError(
                f"the case store {db_path} is encrypted: give its key with --key-file "
                "or the BREACHSCOPE_CASE_KEY environment variable") from None
        if "Wrong encryption key" in message:
            raise CaseError(f"wrong key for the encrypted case store {db_path}") from None
        raise CaseError(f"cannot open case store {db_path}: {message}") from None
    return db


def encrypt_temp_files(db: duckdb.DuckDBPyConnection) -> None:
    """Encrypt what this connection spills to disk (DuckDB's crypto needs the httpfs
    extension, loaded from the ``duckdb-extension-httpfs`` package, never from the network)."""
    db.execute(f"LOAD '{_httpfs_extension()}'")
    db.execute("SET temp_file_encryption = true")


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _httpfs_extension() -> str:
    """Path of the httpfs extension shipped by the ``duckdb-extension-httpfs`` package for
    this DuckDB version (the wheel is per platform)."""
    try:
        import duckdb_extension_httpfs
    except ImportError:
        raise CaseError("an encrypted case needs the duckdb-extension-httpfs package "
                        "(pip install breachscope)") from None
    version = "v" + duckdb.__version__
    for base in duckdb_extension_httpfs.__path__:
        for candidate in Path(base).glob(f"extensions/{version}/**/httpfs.duckdb_extension"):
            return str(candidate).replace("'", "''")
    raise CaseError(f"no httpfs extension for DuckDB {version} in duckdb-extension-httpfs")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
