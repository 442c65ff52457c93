"""Facts attached to their person: a stay, a diagnosis or a drug that names no one is about
the patient its row references, or the patient its document is about.

Two ways, both SQL over the store (``facts`` is rebuilt whole, after people are resolved):

**Table rows** (``via = 'row_link'``). Rows that are records (a patient row) are reached by
their own person. Then, hop after hop (at most :data:`MAX_HOPS`: ``diagnostic`` → ``sejour`` →
``patient``), a row that is not a record reaches a person through an accepted key link
(:mod:`breachscope.relate.keys`) when its key value, in the parent column, belongs to rows of
**one** person only. Only columns whose values each belong to one person carry people
(:data:`MIN_PERSON_KEY_SHARE`; care-unit columns never do). A row reaching several people keeps
the one who is not staff (a stay row names its patient and its physician); still several: it is
ambiguous and attached to no one. A record's own row never reaches anyone else: a customer row
does not become its sales representative's fact. Every finding in a reached row (but names and
professional identifiers, which are someone else's) becomes a fact of the record reached. The
rows reached are kept in ``attached_rows`` (row → record, number of hops). Rows of linked tables
that reach no one are **orphans** (``orphan_rows``), counted, never dropped silently.

**Documents** (``via = 'document'``). In a letter, report, prescription or scanned page, the
health findings (diagnoses, ICD-10 codes, acts, drugs, units, stay dates) belong to the
document's patient record — never to a professional (``STAFF`` records are not candidates):
the record whose location contains the finding's (an HL7 message's PID and its DG1), else
the nearest patient record above it on the same page, else the document's only person.
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb

from breachscope.case import Case, empty_table

MAX_HOPS = 4
# Share of a parent column's values (among rows already reached) that must belong to one
# person each for the column to carry people to its child rows: an IPP or a stay number
# does, a care unit or a physician's id (shared by many patients) does not.
MIN_PERSON_KEY_SHARE = 0.9
# Care-unit columns (``uf``, ``code_uf``, ``UM``, ``service``): they join a unit table, never
# a person, even when only one patient of the dump was in that unit.
_UNIT_COLUMN = r"(^|[^a-z])(uf|um|unite|unit|service|pole|secteur|ward)([^a-z]|$)"
# Entities of a row that are about someone else: the physician's name or RPPS in a stay row.
NOT_A_FACT = ("PERSON", "LAST_NAME", "FIRST_NAME", "RPPS", "FINESS")
# What a document tells about its patient.
DOCUMENT_FACTS = ("DIAGNOSIS", "ICD10_CODE", "PROCEDURE", "MEDICATION", "CARE_UNIT",
                  "VISIT_DATE")
# A finding or record located in a table row: ``[table x, ]row 12[, column C...]``.
_TABLE_ROW = r"(^|, )row [^,]+(, column |$)"
# A record that is a table row (``[table x, ]row 12``), and its table's unit (``table x``, or
# ``''`` for a file that is one table): what ``row_keys`` gives the row's table.
TABLE_ROW_RECORD = r"(^|, )row [^,]+$"
_TABLE_OF_RECORD = ("CASE WHEN starts_with(location, 'row ') THEN '' "
                    "ELSE regexp_extract(location, '(?s)^(.*), row [^,]+$', 1) END")


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def row_location_sql(location: str) -> str:
    """SQL: the row part of a table cell's location (``row 12`` of ``row 12, column nir``):
    a string search, the regular expression only for a location with a line break (which
    ``.`` does not cross), 40 % less time on the 12 M findings of a 1 GB dump's rows."""
    return (f"CASE WHEN contains({location}, chr(10)) "
            f"THEN regexp_replace({location}, ', column .*$', '') "
            f"WHEN contains({location}, ', column ') "
            f"THEN left({location}, strpos({location}, ', column ') - 1) "
            f"ELSE {location} END")


# A record id is ``left(sha256, 20) || ':' || index`` (``pipeline``'s records insert; see
# ``review.decisions``). In the walk a record is a 64-bit number: its content's rank among the
# contents with table rows (``_bs_contents``, sorted by sha256), then its index (40 bits: a
# trillion records per content).
_INDEX_BITS = 40
_INDEX_MASK = (1 << _INDEX_BITS) - 1


_MAX_CONTENTS = (1 << (64 - _INDEX_BITS)) - 1


class RelateError(RuntimeError):
    """A case past what the relations' record numbers can hold (:func:`record_number_sql`)."""


#: Row keys per batch of contents. The statements joining every table row with the walk (a
#: cell with its row's record, a row with the rows reached, a row's candidates) run on
#: contents in batches of about this many row keys, each batch's rows on each side of the
#: join: at 10 GB (137.5 M row keys, 108 M rows in the walk) the join of the 121.8 M cell
#: facts with the 31.5 M rows reached took 81.8 s as one statement, 46.9 s in five batches
#: (smaller hash tables, none past the memory limit; issue 15, session 23). A 1 GB dump
#: (13.7 M row keys) is one batch.
BATCH_ROW_KEYS = 30_000_000
# Placeholders of a batch's first and last content rank and sha256 in the statements run
# per batch.
_LO, _HI, _LO_SHA, _HI_SHA = "__batch_lo__", "__batch_hi__", "__batch_lo_sha__", "__batch_hi_sha__"


class Batch(NamedTuple):
    """Contents ranked ``lo`` to ``hi`` (``_bs_contents``), sha256 ``lo_sha`` to ``hi_sha``."""

    lo: int
    hi: int
    lo_sha: str
    hi_sha: str


def _in_batch(rank: str) -> str:
    """SQL: the content rank ``rank`` is in the batch being run (:func:`_run_in_batches`)."""
    return f"{rank} BETWEEN {_LO} AND {_HI}"


def _batch_contents(alias: str) -> str:
    """SQL: the sha256 ``alias`` is of a content in the batch being run: a range of strings,
    not a join (contents are ranked by sha256), that a scan of every row key tests cheaply
    (as a join, each batch's pass over the 137.5 M row keys of a 10 GB case took 34 s)."""
    return f"{alias} BETWEEN '{_LO_SHA}' AND '{_HI_SHA}'"


def _batches(db: duckdb.DuckDBPyConnection) -> list[Batch]:
    """Ranges of content ranks (``_bs_contents``) of about :data:`BATCH_ROW_KEYS` row keys
    each (a content with more is a batch of its own); at least one range."""
    ranges: list[Batch] = []
    first: tuple[int, str] | None = None
    total = 0
    last = (0, "")
    for rank, sha256, n in db.execute(
            "SELECT rank, sha256, n FROM _bs_contents ORDER BY rank").fetchall():
        if first is not None and total + n > BATCH_ROW_KEYS:
            ranges.append(Batch(first[0], last[0], first[1], last[1]))
            first, total = None, 0
        if first is None:
            first = (rank, sha256)
        total += n
        last = (rank, sha256)
    if first is not None:
        ranges.append(Batch(first[0], last[0], first[1], last[1]))
    return ranges or [Batch(0, 0, "", "")]


def _run_in_batches(db: duckdb.DuckDBPyConnection, batches: list[Batch],
                    sql: str, *, create: str | None = None) -> None:
    """Run ``sql`` (a query with :func:`_in_batch` filters) once per batch: inserted into its
    table if ``sql`` is an ``INSERT``, else made the table ``create`` by the first batch and
    added to it by the others."""
    for i, batch in enumerate(batches):
        if not all(c in "0123456789abcdef" for c in batch.lo_sha + batch.hi_sha):
            raise RelateError("relations: a content's sha256 is not hexadecimal")
        statement = (sql.replace(_LO_SHA, batch.lo_sha).replace(_HI_SHA, batch.hi_sha)
                     .replace(_LO, str(batch.lo)).replace(_HI, str(batch.hi)))
        if create is not None:
            verb = f"CREATE OR REPLACE TABLE {create} AS" if i == 0 else f"INSERT INTO {create}"
            statement = f"{verb} {statement}"
        db.execute(statement)


def record_number_sql(rank: str, record_id: str) -> str:
    """SQL: the number of a record given its content's ``rank`` (``_bs_contents.rank``) and its
    ``record_id``. Ordered as (content, index): a person's lowest is their first record of
    their first content, the index compared as a number (``:2`` before ``:10``). An index
    past 40 bits (an OCR'd document of over a million pages: a page's records are numbered
    from page x 1 000 000) stops the statement rather than mix two records' numbers."""
    index = f"split_part({record_id}, ':', 2)::UBIGINT"
    return (f"CASE WHEN {index} <= {_INDEX_MASK} "
            f"THEN (({rank})::UBIGINT << {_INDEX_BITS}) | {index} "
            f"ELSE error('relations: a record index past 2^{_INDEX_BITS}') END")


def record_id_sql(number: str, prefix: str) -> str:
    """SQL: the record id of :func:`record_number_sql`'s ``number``, given its content's
    ``prefix`` (``_bs_contents.prefix`` of the rank ``number >> 40``)."""
    return f"{prefix} || ':' || ({number} & {_INDEX_MASK}::UBIGINT)"


def _content_of(number: str) -> str:
    """SQL join clause: the content (``rc``) of a record number."""
    return f"JOIN _bs_contents rc ON rc.rank = {number} >> {_INDEX_BITS}"


def _cell_row_location_sql() -> str:
    """SQL: :func:`row_location_sql` of a cell's location (``f``: ``finding_cells``, ``c``:
    its ``finding_columns`` row) without building the location when the column's text makes
    the answer plain: no ``, column `` or line break before the row number and a suffix that
    starts with ``, column `` — then the row part is the prefix and the row number (the digits
    between cannot hold either). Otherwise the location is built and cut as for any finding."""
    location = "concat(c.loc_prefix, f.n, c.loc_suffix)"
    return (f"CASE WHEN starts_with(c.loc_suffix, ', column ') "
            f"AND NOT contains(c.loc_prefix, ', column ') "
            f"AND NOT contains(c.loc_prefix || c.loc_suffix, chr(10)) "
            f"THEN concat(c.loc_prefix, f.n) ELSE {row_location_sql(location)} END")


# The facts of reached table rows held by labelled columns' cells: read from the cells, not
# through the ``findings`` view, so that a row's part of a location is built without building
# the location (issue 15, session 10), and stored as references to their cells
# (``fact_cells``: the ``facts`` view gives them their sha256, location and entity; 11.8 M
# facts at 1 GB: 13.7 s written as strings, 5.3 s as references; issue 15, session 16).
_CELL_FACTS = f"""
INSERT INTO fact_cells
SELECT {record_id_sql("w.rec", "rc.prefix")}, f.column_id, f.n, f.value, w.hops
FROM finding_cells f
JOIN finding_columns c USING (column_id)
JOIN _bs_walk w ON w.rid = hash(c.sha256, {_cell_row_location_sql()})
{_content_of("w.rec")}
WHERE w.hops > 0 AND c.entity NOT IN ({_list(NOT_A_FACT)})
    AND c.sha256 IN (SELECT DISTINCT sha256 FROM attached_rows)
    AND {_batch_contents("c.sha256")} AND {_in_batch("w.crank")}
"""


def attach_facts(case: Case) -> dict[str, int]:
    """Rebuild ``facts`` and ``orphan_rows``; returns counts (facts by way, orphan rows,
    ambiguous rows)."""
    db = case.db
    try:
        batches = _reach_rows(case)
        with case.transaction():
            for table in ("plain_facts", "fact_cells", "orphan_rows", "attached_rows"):
                empty_table(db, table)   # not DELETE: see empty_table
            _run_in_batches(db, batches, f"""
                INSERT INTO attached_rows
                SELECT k.sha256, k.row_location, {record_id_sql("p.rec", "rc.prefix")}, p.hops
                FROM row_keys k
                JOIN _bs_ccols c ON k.sha256 = c.child_sha256 AND k.unit = c.child_unit
                    AND k.column_name = c.child_column
                JOIN _bs_pick p   -- with its record: no join with the walk (issue 15)
                    ON p.ccol = c.ccol AND p.rid = hash(k.sha256, k.row_location)
                {_content_of("p.rec")}
                WHERE {_batch_contents("k.sha256")} AND {_in_batch("c.crank")}
                    AND {_in_batch("p.crank")}
                """)
            db.execute(
                f"""
                INSERT INTO plain_facts
                SELECT {record_id_sql('w.rec', 'rc.prefix')}, f.sha256, f.location, f.entity,
                    f.value, 'row_link', w.hops
                FROM plain_findings f
                JOIN _bs_walk w ON w.rid = hash(f.sha256, {row_location_sql('f.location')})
                {_content_of("w.rec")}
                WHERE w.hops > 0 AND f.entity NOT IN ({_list(NOT_A_FACT)})
                    AND f.sha256 IN (SELECT DISTINCT sha256 FROM attached_rows)
                """
            )
            _run_in_batches(db, batches, _CELL_FACTS)
            db.execute(_DOCUMENT_FACTS)
            db.execute(
                f"""
                CREATE OR REPLACE TABLE _bs_child_tables AS
                -- tables whose links lead to people; the tables holding records named from
                -- the records' locations (a row's location is its table's unit, then ``row
                -- N``; a table without keys has no links): matching every key cell's row to
                -- the records instead was 1.4 of the statement's 2.4 s at 1 GB, and spilled
                -- at 10 GB
                WITH RECURSIVE leads(sha256, unit) AS (
                    SELECT DISTINCT sha256, {_TABLE_OF_RECORD} FROM records
                    WHERE starts_with(location, 'row ') AND NOT contains(location, ',')
                        OR regexp_matches(location, '{TABLE_ROW_RECORD}')
                    UNION
                    SELECT l.child_sha256, l.child_unit FROM _bs_edges l
                    JOIN leads p ON p.sha256 = l.parent_sha256 AND p.unit = l.parent_unit
                ),
                child_tables AS (
                    SELECT DISTINCT l.child_sha256 AS sha256, l.child_unit AS unit,
                        l.child_column AS column_name
                    FROM _bs_edges l JOIN leads p
                        ON p.sha256 = l.parent_sha256 AND p.unit = l.parent_unit
                )
                SELECT * FROM child_tables
                """
            )
            # Their rows that reach no one: found among the child cells (``_bs_cells``,
            # with their content's rank) batch by batch, then named from the row keys in
            # one pass (a batch reading every row key was 2.3 s at 1 GB, the whole 2.7 s).
            _run_in_batches(db, batches, f"""
                SELECT DISTINCT c.rid
                FROM _bs_cells c
                JOIN (SELECT cc.ccol FROM _bs_ccols cc JOIN _bs_child_tables t
                      ON t.sha256 = cc.child_sha256 AND t.unit = cc.child_unit
                          AND t.column_name = cc.child_column) USING (ccol)
                ANTI JOIN (SELECT rid FROM _bs_walk WHERE {_in_batch("crank")}) w USING (rid)
                WHERE {_in_batch("c.crank")}
                """, create="_bs_orphan_rids")
            db.execute(
                """
                INSERT INTO orphan_rows
                SELECT k.sha256, k.unit, k.row_location, min(k.column_name),
                    arg_min(k.value, k.column_name)
                FROM row_keys k JOIN _bs_child_tables t USING (sha256, unit, column_name)
                SEMI JOIN _bs_orphan_rids o ON o.rid = hash(k.sha256, k.row_location)
                GROUP BY k.sha256, k.unit, k.row_location
                """
            )
            db.execute(
                """
                UPDATE key_links SET orphan_rows = o.n
                FROM (SELECT sha256, unit, column_name, count(*) AS n FROM orphan_rows
                      GROUP BY ALL) o
                WHERE key_links.child_sha256 = o.sha256 AND key_links.child_unit = o.unit
                    AND key_links.child_column = o.column_name
                """
            )
        counts = dict(db.execute(
            "SELECT via, count(*) FROM facts GROUP BY via").fetchall())
        counts["orphan_rows"] = db.execute("SELECT count(*) FROM orphan_rows").fetchone()[0]
        counts["ambiguous_rows"] = db.execute(
            "SELECT count(*) FROM _bs_ambiguous").fetchone()[0]
        return counts
    finally:
        for table in ("_bs_valmap", "_bs_gmap", "_bs_new", "_bs_ambiguous", "_bs_edges",
                      "_bs_ccols", "_bs_groups", "_bs_cells", "_bs_pcells", "_bs_walk",
                      "_bs_pick", "_bs_cand", "_bs_contents", "_bs_rec0", "_bs_prec",
                      "_bs_pervalue", "_bs_fresh", "_bs_child_tables",
                      "_bs_orphan_rids"):
            db.execute(f"DROP TABLE IF EXISTS {table}")


def _reach_rows(case: Case) -> list[Batch]:
    """``_bs_walk(rid, rec, pid, hops, staff, crank)``: every table row (by id) and the
    record of the person it is about (by number, :func:`record_number_sql`), with the rank of
    the row's own content; ``_bs_ambiguous``: rows reaching several people; ``_bs_pick``: one
    child cell of each row reached, to name it, with the row's record and hops. Returns the
    batches of contents (:func:`_batches`) the statements over every row run in.

    A 1 GB dump has ten million rows: the walk works on compact ids — a row is the 64-bit
    hash of (content, row location), a record its number, a person the hash of its id — so
    that its tables and joins stay small (strings ran DuckDB out of memory at that size; a
    collision among ten million rows or people has a probability of about 3 in a million).
    The work tables are tables of the store, which DuckDB's buffer manager can evict to
    disk."""
    db = case.db
    # The contents with table rows, ranked by sha256, with their number of row keys (for
    # the batches). A record's number starts with its content's rank (see below).
    db.execute(
        """
        CREATE OR REPLACE TABLE _bs_contents AS
        SELECT row_number() OVER (ORDER BY sha256) AS rank, sha256, left(sha256, 20) AS prefix,
            n
        FROM (SELECT sha256, count(*) AS n FROM row_keys GROUP BY sha256)
        """
    )
    (n_contents,) = db.execute("SELECT count(*) FROM _bs_contents").fetchone()
    if n_contents > _MAX_CONTENTS:  # a rank past 24 bits would mix records' numbers
        raise RelateError(f"relations number records within at most {_MAX_CONTENTS} contents "
                          f"with table rows; this case has {n_contents}")
    batches = _batches(db)
    db.execute(
        f"""
        CREATE OR REPLACE TABLE _bs_edges AS
        SELECT child_sha256, child_unit, child_column,
            parent_sha256, parent_unit, parent_column,
            dense_rank() OVER (ORDER BY parent_sha256, parent_unit, parent_column) AS pcol
        FROM key_links
        WHERE accepted AND NOT regexp_matches(lower(child_column), '{_UNIT_COLUMN}')
            AND NOT regexp_matches(lower(parent_column), '{_UNIT_COLUMN}')
        """
    )
    # The child side of the edges, per child column (``ccol``), and the parent columns each
    # child column links to, as a group (``pgroup``: child columns linking to the same set of
    # parent columns share it). The copies of one export link to each other pairwise: at 1 GB,
    # 32 000 accepted links joined 808 child columns to 817 parent columns, and the key cells
    # of the child side repeated once per link (hundreds of millions of cells) were most of
    # relate's time (issue 15). A child cell now meets the people its value names through its
    # group's map, built once per group and hop; the same candidates as link by link.
    db.execute(
        """
        CREATE OR REPLACE TABLE _bs_ccols AS
        WITH sets AS (
            SELECT child_sha256, child_unit, child_column,
                list(DISTINCT pcol ORDER BY pcol) AS pcols
            FROM _bs_edges GROUP BY ALL
        )
        SELECT row_number() OVER (ORDER BY child_sha256, child_unit, child_column) AS ccol,
            child_sha256, child_unit, child_column,
            dense_rank() OVER (ORDER BY pcols) AS pgroup, k.rank AS crank
        FROM sets JOIN _bs_contents k ON k.sha256 = sets.child_sha256
        """
    )
    db.execute(
        """
        CREATE OR REPLACE TABLE _bs_groups AS
        SELECT DISTINCT c.pgroup, e.pcol
        FROM _bs_ccols c JOIN _bs_edges e USING (child_sha256, child_unit, child_column)
        """
    )
    db.execute(
        """
        CREATE OR REPLACE TABLE _bs_cells AS
        SELECT c.ccol, c.pgroup, hash(k.sha256, k.row_location) AS rid, k.value, c.crank
        FROM _bs_ccols c JOIN row_keys k ON k.sha256 = c.child_sha256
            AND k.unit = c.child_unit AND k.column_name = c.child_column
        """
    )
    db.execute(
        """
        CREATE OR REPLACE TABLE _bs_pcells AS
        SELECT p.pcol, hash(k.sha256, k.row_location) AS rid, k.value, p.crank
        FROM (SELECT DISTINCT e.pcol, e.parent_sha256, e.parent_unit, e.parent_column,
                  c.rank AS crank
              FROM _bs_edges e JOIN _bs_contents c ON c.sha256 = e.parent_sha256) p
        JOIN row_keys k ON k.sha256 = p.parent_sha256
            AND k.unit = p.parent_unit AND k.column_name = p.parent_column
        """
    )
    # The records that are table rows, each with its person's hash (only compared for
    # equality) and its number (``rec``, :func:`record_number_sql`: its content's rank, then
    # its index), so that the lowest record of a person is a ``min`` over integers and a
    # row's record is given its id back by a join with the few contents. Until session 17
    # the records were ranked by sorting their ids (join, sort, number: 125 s at 10 GB, 77 M
    # records), and each statement writing facts joined the ranks back to the ids; a
    # 128-bit number read from the id's hexadecimal digits (no contents table) made the
    # walk's aggregates and the ids' writing slower than the sort saved (issue 15).
    # The records' numbers first, then their people: as one statement DuckDB 1.5 estimated
    # the records joined with the few contents at half a million rows, built its hash table
    # on them (77 M at 10 GB) and ran out of the 1 GB memory limit (1.4 chose otherwise);
    # two statements, 20 + 35 s at 10 GB (54 s as one under 1.4).
    # Not DISTINCT: a row met twice at hop 0 changes nothing below (the maps take a min, a
    # max and a bool_and; the walk's other uses are anti-joins and rows of later hops, one
    # each), and at 10 GB the aggregation of 77 M rows with the join ran out of the 1 GB
    # memory limit.
    # Then each record's person, joined by the records' numbers: ``person_records`` gives
    # its records' numbers through their ids' prefix (a join with the few contents), so
    # that the join of the two sides is on integers. On the record ids themselves (77 M
    # strings on each side at 10 GB) the join was past the memory limit and spilled: 63 s
    # at 10 GB for 1.4 at 1 GB (issue 15, session 22).
    db.execute(
        f"""
        CREATE OR REPLACE TABLE _bs_rec0 AS
        SELECT hash(r.sha256, r.location) AS rid,
            {record_number_sql("c.rank", "r.record_id")} AS rec, r.role_hint = 'STAFF' AS staff,
            c.rank AS crank
        FROM records r JOIN _bs_contents c USING (sha256)
        """
    )
    db.execute(
        f"""
        CREATE OR REPLACE TABLE _bs_prec AS
        SELECT {record_number_sql("c.rank", "pr.record_id")} AS rec,
            hash(pr.person_id) AS pid
        FROM person_records pr JOIN _bs_contents c ON c.prefix = left(pr.record_id, 20)
        """
    )
    _run_in_batches(db, batches, f"""
        SELECT x.rid, x.rec, p.pid, 0::INTEGER AS hops, x.staff, x.crank
        FROM _bs_rec0 x JOIN _bs_prec p USING (rec)
        WHERE {_in_batch("x.crank")} AND {_in_batch(f"p.rec >> {_INDEX_BITS}")}
        """, create="_bs_walk")
    db.execute("DROP TABLE _bs_rec0")
    db.execute("DROP TABLE _bs_prec")
    db.execute("CREATE OR REPLACE TABLE _bs_ambiguous (rid UBIGINT)")
    for hop in range(1, MAX_HOPS + 1):
        if not db.execute("SELECT count(*) FROM _bs_edges").fetchone()[0]:
            break
        # parent column value → the people whose rows hold it, as aggregates (min = max:
        # one person): those of the rows reached so far, merged with the rows the last
        # hop reached (the aggregates merge exactly). Recomputed over every row reached, it
        # was 27-30 s per hop at 10 GB (77 M rows at hop 0; issue 15, session 22).
        # A parent column is of one content: its values' aggregates are made batch by batch.
        _run_in_batches(db, batches, f"""
            SELECT c.pcol, c.value, min(w.rec) AS rec, min(w.pid) AS pid,
                max(w.pid) AS last_pid, bool_and(w.staff) AS staff
            FROM _bs_pcells c JOIN _bs_walk w USING (rid)
            WHERE w.hops = {hop - 1} AND {_in_batch("c.crank")} AND {_in_batch("w.crank")}
            GROUP BY c.pcol, c.value
            """, create="_bs_pervalue" if hop == 1 else "_bs_fresh")
        if hop > 1:
            db.execute(
                """
                CREATE OR REPLACE TABLE _bs_pervalue AS
                SELECT pcol, value, min(rec) AS rec, min(pid) AS pid, max(last_pid) AS last_pid,
                    bool_and(staff) AS staff
                FROM (SELECT * FROM _bs_pervalue UNION ALL SELECT * FROM _bs_fresh)
                GROUP BY pcol, value
                """
            )
        # parent column value → the one person whose rows hold it
        db.execute(
            f"""
            CREATE OR REPLACE TABLE _bs_valmap AS
            -- a column whose values name one person each (an IPP, a stay number), not a
            -- column many people share (a unit, a physician's id)
            WITH person_keys AS (
                SELECT pcol FROM _bs_pervalue GROUP BY pcol
                HAVING avg((pid = last_pid)::INTEGER) >= {MIN_PERSON_KEY_SHARE}
            )
            SELECT pcol, value, rec, pid, staff FROM _bs_pervalue
            WHERE pid = last_pid AND pcol IN (SELECT pcol FROM person_keys)
            """
        )
        # a group's value → the people its parent columns give it (the lowest record of
        # each: per_row below keeps the lowest anyway)
        db.execute(
            """
            CREATE OR REPLACE TABLE _bs_gmap AS
            SELECT g.pgroup, v.value, v.pid, v.staff, min(v.rec) AS rec
            FROM _bs_groups g JOIN _bs_valmap v USING (pcol)
            GROUP BY g.pgroup, v.value, v.pid, v.staff
            """
        )
        # The candidates first, in a table of their own: as one statement with the choice
        # below, the joins' tables (every row reached: 77 M at 10 GB) and the aggregation's
        # were held at once and ran out of the 1 GB memory limit; each alone spills (10 GB:
        # 13.7 M candidates in 18 s, chosen in 3 s).
        _run_in_batches(db, batches, f"""
            SELECT c.rid, v.rec, v.pid, v.staff, c.crank
            FROM _bs_cells c JOIN _bs_gmap v USING (pgroup, value)
            ANTI JOIN (SELECT rid FROM _bs_walk WHERE {_in_batch("crank")}) w ON w.rid = c.rid
            ANTI JOIN _bs_ambiguous a ON a.rid = c.rid
            WHERE {_in_batch("c.crank")}
            """, create="_bs_cand")
        db.execute(
            """
            CREATE OR REPLACE TABLE _bs_new AS
            WITH per_row AS (   -- a row naming its patient and its physician is the patient's
                SELECT rid, crank,
                    min(pid) FILTER (WHERE NOT staff) AS patient,
                    max(pid) FILTER (WHERE NOT staff) AS last_patient,
                    min(rec) FILTER (WHERE NOT staff) AS patient_rec,
                    min(pid) AS anyone, max(pid) AS last_anyone, min(rec) AS any_rec
                FROM _bs_cand GROUP BY rid, crank
            )
            SELECT rid, crank,
                CASE WHEN patient IS NOT NULL THEN patient_rec ELSE any_rec END AS rec,
                coalesce(patient, anyone) AS pid, patient IS NULL AS staff,
                CASE WHEN patient IS NOT NULL THEN patient = last_patient
                     ELSE anyone = last_anyone END AS one_person
            FROM per_row
            """
        )
        added = db.execute(
            f"INSERT INTO _bs_walk SELECT rid, rec, pid, {hop}, staff, crank FROM _bs_new "
            "WHERE one_person").fetchone()[0]
        db.execute("INSERT INTO _bs_ambiguous SELECT rid FROM _bs_new WHERE NOT one_person")
        if not added:
            break
    # one child cell per reached row, chosen on integers, to give the row its names back
    _run_in_batches(db, batches, f"""
        SELECT c.rid, min(c.ccol) AS ccol, any_value(w.rec) AS rec, any_value(w.hops) AS hops,
            c.crank
        FROM _bs_cells c
        JOIN (SELECT rid, rec, hops FROM _bs_walk WHERE hops > 0 AND {_in_batch("crank")}) w
            USING (rid)
        WHERE {_in_batch("c.crank")}
        GROUP BY c.rid, c.crank
        """, create="_bs_pick")
    return batches


_DOCUMENT_FACTS = f"""
INSERT INTO plain_facts
WITH cand AS (   -- the patients (or unknown-role people) a document's records are about
    SELECT r.record_id, r.sha256, r.location, pr.person_id,
        TRY_CAST(regexp_extract(r.location, 'line (\\d+)', 1) AS INTEGER) AS line,
        regexp_replace(r.location, '(^|, )line \\d+.*$', '') AS prefix,
        split_part(r.location, ', ', 1) AS first_part
    FROM records r JOIN person_records pr USING (record_id)
    WHERE r.role_hint IS DISTINCT FROM 'STAFF'
        AND NOT regexp_matches(r.location, '{_TABLE_ROW}')
),
-- The findings of the ``findings`` view not in a table row, read from its two tables: a
-- labelled column's cells are table rows but where their column's location says otherwise,
-- and a row number (digits) cannot change that, so the columns are tested rather than each
-- cell (at 1 GB, the 20 M cells of these entities built and tested one by one: 2.5 of the
-- statement's 3.1 s; issue 15, session 20). A cell without a row number is tested as any.
doc_columns AS (
    SELECT column_id, sha256, loc_prefix, loc_suffix, entity,
        NOT regexp_matches(concat(loc_prefix, 1, loc_suffix), '{_TABLE_ROW}') AS not_a_row
    FROM finding_columns
    WHERE entity IN ({_list(DOCUMENT_FACTS)})
),
doc_findings AS (
    SELECT sha256, location, entity, value FROM plain_findings
    WHERE entity IN ({_list(DOCUMENT_FACTS)})
    UNION ALL
    SELECT c.sha256, concat(c.loc_prefix, f.n, c.loc_suffix), c.entity, f.value
    FROM finding_cells f JOIN doc_columns c USING (column_id)
    WHERE c.not_a_row OR f.n IS NULL
),
doc AS (
    SELECT f.sha256, f.location, f.entity, f.value,
        TRY_CAST(regexp_extract(f.location, 'line (\\d+)', 1) AS INTEGER) AS line,
        regexp_replace(f.location, '(^|, )line \\d+.*$', '') AS prefix,
        split_part(f.location, ', ', 1) AS first_part
    FROM doc_findings f
    WHERE NOT regexp_matches(f.location, '{_TABLE_ROW}')
        AND f.sha256 IN (SELECT sha256 FROM cand)
),
-- the nearest patient record above the finding on the same page (an ASOF join: linear)
by_line AS (
    SELECT d.sha256, d.location, d.entity, d.value, c.record_id
    FROM (SELECT * FROM doc WHERE line IS NOT NULL) d
    ASOF JOIN (SELECT * FROM cand WHERE line IS NOT NULL) c
        ON d.sha256 = c.sha256 AND d.prefix = c.prefix AND d.line >= c.line
),
-- a structured unit's patient and its other segments (message 3 / message 3, segment DG1)
by_unit AS (
    SELECT d.sha256, d.location, d.entity, d.value, min(c.record_id) AS record_id
    FROM doc d JOIN cand c ON d.sha256 = c.sha256 AND d.first_part = c.first_part
    WHERE c.line IS NULL
    GROUP BY ALL HAVING count(DISTINCT c.person_id) = 1
),
placed AS (SELECT * FROM by_line UNION ALL SELECT * FROM by_unit),
-- else the document's only person
only_person AS (
    SELECT sha256, min(record_id) AS record_id FROM cand
    GROUP BY sha256 HAVING count(DISTINCT person_id) = 1
),
rest AS (
    SELECT d.sha256, d.location, d.entity, d.value, o.record_id
    FROM doc d JOIN only_person o USING (sha256)
    ANTI JOIN placed p USING (sha256, location, entity, value)
)
SELECT record_id, sha256, location, entity, value, 'document', 0
FROM (SELECT * FROM placed UNION ALL SELECT * FROM rest)
QUALIFY row_number() OVER (PARTITION BY sha256, location, entity, value
                           ORDER BY record_id) = 1
"""


def relate_case(case: Case) -> dict[str, int]:
    """Rebuild the key graph, then the facts of every record (after people are resolved)."""
    from breachscope.relate.keys import build_key_links

    links = build_key_links(case)
    counts = attach_facts(case)
    counts["key_links"] = links
    return counts
