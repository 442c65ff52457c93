"""Facts attached to their person: a stay, a diagnosis or a drug that names no one is about
the patient its row references, or the patient its document is about.

Two ways, both SQL over the store (``facts`` is rebuilt whole, after people are resolved):

**Table rows** (``via = 'row_link'``). Rows that are records (a patient row) are reached by
their own person. Then, hop after hop (at most :data:`MAX_HOPS`: ``diagnostic`` →
``sejour`` → ``patient``), a row that is not a record reaches a person through an accepted
key link (:mod:`breachscope.relate.keys`) when its key value, in the parent column, belongs
to rows of **one** person only. A row reaching several people keeps the one who is not
staff (a stay row names its patient and its physician); still several: it is ambiguous and
attached to no one. A record's own row never reaches anyone else: a customer row does not
become its sales representative's fact. Every finding in a reached row (but names and
professional identifiers, which are someone else's) becomes a fact of the record reached.
The rows reached are kept in ``attached_rows`` (row → record, number of hops). Rows of
linked tables that reach no one are **orphans** (``orphan_rows``), counted, never
dropped silently.

**Documents** (``via = 'document'``). In a letter, report, prescription or scanned page, the
health findings (diagnoses, ICD-10 codes, acts, drugs, units, stay dates) belong to the
document's patient record — never to a professional (``STAFF`` records are not candidates):
the record whose location contains the finding's (an HL7 message's PID and its DG1), else
the nearest patient record above it on the same page, else the document's only person.
"""

from __future__ import annotations

from breachscope.case import Case

MAX_HOPS = 4
# Entities of a row that are about someone else: the physician's name or RPPS in a stay row.
NOT_A_FACT = ("PERSON", "LAST_NAME", "FIRST_NAME", "RPPS", "FINESS")
# What a document tells about its patient.
DOCUMENT_FACTS = ("DIAGNOSIS", "ICD10_CODE", "PROCEDURE", "MEDICATION", "CARE_UNIT",
                  "VISIT_DATE")
# A finding or record located in a table row: ``[table x, ]row 12[, column C...]``.
_TABLE_ROW = r"(^|, )row [^,]+(, column |$)"


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def attach_facts(case: Case) -> dict[str, int]:
    """Rebuild ``facts`` and ``orphan_rows``; returns counts (facts by way, orphan rows,
    ambiguous rows)."""
    db = case.db
    try:
        _reach_rows(case)
        with case.transaction():
            db.execute("DELETE FROM facts")
            db.execute("DELETE FROM orphan_rows")
            db.execute("DELETE FROM attached_rows")
            db.execute("INSERT INTO attached_rows SELECT sha256, row_location, record_id, hops "
                       "FROM _bs_reach WHERE hops > 0")
            db.execute(
                f"""
                INSERT INTO facts
                SELECT rc.record_id, f.sha256, f.location, f.entity, f.value, 'row_link',
                    rc.hops
                FROM findings f JOIN _bs_reach rc
                    ON f.sha256 = rc.sha256
                    AND regexp_replace(f.location, ', column .*$', '') = rc.row_location
                WHERE rc.hops > 0 AND f.entity NOT IN ({_list(NOT_A_FACT)})
                    AND f.sha256 IN (SELECT sha256 FROM _bs_reach WHERE hops > 0)
                """
            )
            db.execute(_DOCUMENT_FACTS)
            db.execute(
                """
                INSERT INTO orphan_rows
                -- rows of tables whose links lead to people, that reach no one
                WITH RECURSIVE leads(sha256, unit) AS (
                    SELECT DISTINCT k.sha256, k.unit
                    FROM records r JOIN row_keys k
                        ON k.sha256 = r.sha256 AND k.row_location = r.location
                    UNION
                    SELECT l.child_sha256, l.child_unit FROM key_links l
                    JOIN leads p ON p.sha256 = l.parent_sha256 AND p.unit = l.parent_unit
                    WHERE l.accepted
                ),
                child_tables AS (
                    SELECT DISTINCT l.child_sha256 AS sha256, l.child_unit AS unit,
                        l.child_column AS column_name
                    FROM key_links l JOIN leads p
                        ON p.sha256 = l.parent_sha256 AND p.unit = l.parent_unit
                    WHERE l.accepted
                )
                SELECT k.sha256, k.unit, k.row_location, min(k.column_name),
                    arg_min(k.value, k.column_name)
                FROM row_keys k JOIN child_tables t USING (sha256, unit, column_name)
                ANTI JOIN _bs_reach rc
                    ON rc.sha256 = k.sha256 AND rc.row_location = k.row_location
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
        for table in ("_bs_reach", "_bs_valmap", "_bs_new", "_bs_ambiguous", "_bs_edges"):
            db.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _reach_rows(case: Case) -> None:
    """``_bs_reach(sha256, row_location, record_id, person_id, hops)``: every table row and
    the record of the person it is about; ``_bs_ambiguous``: rows reaching several people."""
    db = case.db
    db.execute(
        """
        CREATE OR REPLACE TEMP TABLE _bs_edges AS
        SELECT row_number() OVER () AS edge_id, child_sha256, child_unit, child_column,
            parent_sha256, parent_unit, parent_column
        FROM key_links WHERE accepted
        """
    )
    db.execute(
        """
        CREATE OR REPLACE TEMP TABLE _bs_reach AS
        SELECT DISTINCT r.sha256, r.location AS row_location, r.record_id, pr.person_id,
            0 AS hops, r.role_hint = 'STAFF' AS staff
        FROM records r JOIN person_records pr USING (record_id)
        WHERE r.sha256 IN (SELECT sha256 FROM row_keys)
        """
    )
    db.execute("CREATE OR REPLACE TEMP TABLE _bs_ambiguous (sha256 VARCHAR, "
               "row_location VARCHAR)")
    if not db.execute("SELECT count(*) FROM _bs_edges").fetchone()[0]:
        return
    for hop in range(1, MAX_HOPS + 1):
        # parent column value → the one person whose rows hold it
        db.execute(
            """
            CREATE OR REPLACE TEMP TABLE _bs_valmap AS
            SELECT e.edge_id, k.value, min(rc.record_id) AS record_id,
                min(rc.person_id) AS person_id, bool_and(rc.staff) AS staff,
                max(rc.hops) AS hops
            FROM _bs_edges e
            JOIN row_keys k ON k.sha256 = e.parent_sha256 AND k.unit = e.parent_unit
                AND k.column_name = e.parent_column
            JOIN _bs_reach rc ON rc.sha256 = k.sha256 AND rc.row_location = k.row_location
            GROUP BY e.edge_id, k.value
            HAVING count(DISTINCT rc.person_id) = 1
            """
        )
        db.execute(
            """
            CREATE OR REPLACE TEMP TABLE _bs_new AS
            WITH cand AS (
                SELECT DISTINCT k.sha256, k.row_location, v.record_id, v.person_id, v.staff
                FROM _bs_edges e
                JOIN row_keys k ON k.sha256 = e.child_sha256 AND k.unit = e.child_unit
                    AND k.column_name = e.child_column
                JOIN _bs_valmap v ON v.edge_id = e.edge_id AND v.value = k.value
                ANTI JOIN _bs_reach rc
                    ON rc.sha256 = k.sha256 AND rc.row_location = k.row_location
                ANTI JOIN _bs_ambiguous a
                    ON a.sha256 = k.sha256 AND a.row_location = k.row_location
            ),
            -- a row naming its patient and its physician belongs to the patient
            preferred AS (
                SELECT * FROM cand
                QUALIFY NOT staff OR NOT bool_or(NOT staff) OVER (
                    PARTITION BY sha256, row_location)
            )
            SELECT sha256, row_location, min(record_id) AS record_id,
                min(person_id) AS person_id, bool_and(staff) AS staff,
                count(DISTINCT person_id) AS n_people
            FROM preferred GROUP BY sha256, row_location
            """
        )
        added = db.execute(
            f"""
            INSERT INTO _bs_reach
            SELECT sha256, row_location, record_id, person_id, {hop}, staff
            FROM _bs_new WHERE n_people = 1
            """
        ).fetchone()[0]
        db.execute("INSERT INTO _bs_ambiguous SELECT sha256, row_location FROM _bs_new "
                   "WHERE n_people > 1")
        if not added:
            break


_DOCUMENT_FACTS = f"""
INSERT INTO facts
WITH cand AS (   -- the patients (or unknown-role people) a document's records are about
    SELECT r.record_id, r.sha256, r.location, pr.person_id,
        TRY_CAST(regexp_extract(r.location, 'line (\\d+)', 1) AS INTEGER) AS line,
        regexp_replace(r.location, '(^|, )line \\d+.*$', '') AS prefix
    FROM records r JOIN person_records pr USING (record_id)
    WHERE r.role_hint IS DISTINCT FROM 'STAFF'
        AND NOT regexp_matches(r.location, '{_TABLE_ROW}')
),
people_per_doc AS (SELECT sha256, count(DISTINCT person_id) AS n FROM cand GROUP BY sha256),
doc AS (
    SELECT f.sha256, f.location, f.entity, f.value,
        TRY_CAST(regexp_extract(f.location, 'line (\\d+)', 1) AS INTEGER) AS line,
        regexp_replace(f.location, '(^|, )line \\d+.*$', '') AS prefix
    FROM findings f
    WHERE f.entity IN ({_list(DOCUMENT_FACTS)})
        AND NOT regexp_matches(f.location, '{_TABLE_ROW}')
        AND f.sha256 IN (SELECT sha256 FROM cand)
),
scored AS (
    SELECT d.*, c.record_id, n.n AS n_people,
        CASE WHEN starts_with(d.location, c.location || ', ') THEN 0
             WHEN d.prefix = c.prefix AND c.line <= d.line THEN 1
             ELSE 2 END AS tier,
        CASE WHEN d.prefix = c.prefix THEN abs(coalesce(d.line - c.line, 0)) ELSE 0 END AS dist
    FROM doc d JOIN cand c USING (sha256) JOIN people_per_doc n USING (sha256)
)
SELECT record_id, sha256, location, entity, value, 'document', 0
FROM scored
WHERE tier < 2 OR n_people = 1
QUALIFY row_number() OVER (PARTITION BY sha256, location, entity, value
                           ORDER BY tier, dist, record_id) = 1
"""


def relate_case(case: Case) -> dict[str, int]:
    """Rebuild the key graph, then the facts of every record (after people are resolved)."""
    from breachscope.relate.keys import build_key_links

    links = build_key_links(case)
    counts = attach_facts(case)
    counts["key_links"] = links
    return counts
