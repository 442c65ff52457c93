"""The key graph of the leaked databases: which column of which table references which.

Every table row of the case left the values of its key columns in ``row_keys`` (see
:mod:`breachscope.detect.keys`: columns whose *name* says they are an identifier). Here a
child column is linked to a parent column when

- the source **declares** it (``FOREIGN KEY ... REFERENCES``, SQLite's ``foreign_key_list``:
  ``declared_keys``), or
- it is **inferred**: the two names are compatible (the same specific name — ``ipp``, ``nda``,
  ``CustomerId`` —, a generic ``id`` of a table named by the child column — ``patient_id`` →
  ``patient.id`` —, or the same hospital key word inside both — ``num_sejour`` /
  ``no_sejour``) **and** at least :data:`MIN_INCLUSION` of the child's distinct values are
  found among the parent's (measured on the values, never guessed from the name alone).

Same-name columns are tried both ways; when only one side is unique in its table, that side
is the parent (``sejour.uf`` → ``unites.code_uf``, not the reverse). Tables of one SQL dump
and tables of separate exports (``patients.csv`` / ``mouvements.csv``) are treated alike.

Every candidate pair is kept in ``key_links`` with its inclusion ratio and why it was
accepted or not, so a reviewer can query the graph (``SELECT * FROM key_links WHERE
accepted``). All of it is SQL run by DuckDB over the store: nothing is loaded into Python.
"""

from __future__ import annotations

from breachscope.case import Case

#: Share of a child column's distinct values that must be found in the parent column.
MIN_INCLUSION = 0.8
#: Distinct matched values needed to infer a link (a single shared ``1`` proves nothing),
#: unless the names are the same specific key word (``ipp`` = ``ipp``) and all values match.
MIN_MATCHED = 2
#: Column names that say "an identifier" without saying of what.
GENERIC_NAMES = ("id", "code", "num", "numero", "no", "key", "cle", "ref", "pk", "uuid",
                 "guid", "identifiant", "identifier")
#: Hospital key words: two columns containing the same one may join (``num_sejour`` and
#: ``no_sejour``; ``ipp`` and ``ipp_patient``).
KEY_WORDS = ("ipp", "nda", "nip", "iep", "sejour", "dossier", "venue", "matricule", "rpps",
             "adeli", "finess")


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# A name folded for comparison: lower case, no accents, letters and digits only.
_MACROS = f"""
CREATE OR REPLACE TEMP MACRO bs_kname(s) AS
    regexp_replace(strip_accents(lower(coalesce(s, ''))), '[^a-z0-9]', '', 'g');
CREATE OR REPLACE TEMP MACRO bs_singular(s) AS
    CASE WHEN length(s) > 3 AND s[-1:] = 's' THEN s[:-1] ELSE s END;
CREATE OR REPLACE TEMP MACRO bs_compatible(c, p, ptable) AS
    (c = p AND p NOT IN ({_list(GENERIC_NAMES)}))
    OR (p IN ({_list(GENERIC_NAMES)}) AND ptable <> '' AND c IN (
        ptable || p, p || ptable, bs_singular(ptable) || p, p || bs_singular(ptable)))
    OR list_bool_or(list_transform([{_list(KEY_WORDS)}],
                                   lambda w: contains(c, w) AND contains(p, w)));
CREATE OR REPLACE TEMP MACRO bs_same_key_word(c, p) AS
    c = p AND p IN ({_list(KEY_WORDS)});
"""


def build_key_links(case: Case) -> int:
    """Rebuild ``key_links`` from ``row_keys`` and ``declared_keys``; returns the number of
    accepted links."""
    db = case.db
    db.execute(_MACROS)
    try:
        db.execute(
            """
            CREATE OR REPLACE TEMP TABLE _bs_kcol AS
            WITH cols AS (
                SELECT sha256, unit, column_name, count(*) AS n_rows,
                    count(DISTINCT value) AS n_values
                FROM row_keys GROUP BY ALL
            ),
            named AS (   -- a table's name: the SQL table, the sheet, else the file's name
                SELECT c.*, bs_kname(c.column_name) AS norm,
                    bs_kname(CASE WHEN c.unit <> ''
                        THEN regexp_replace(c.unit, '^(table|sheet|feuille) ', '')
                        ELSE regexp_replace(regexp_extract(
                            (SELECT min(path) FROM files f WHERE f.sha256 = c.sha256),
                            '([^/!]*)$', 1), '\\.[^.]*$', '') END) AS tname
                FROM cols c
            )
            SELECT row_number() OVER (ORDER BY sha256, unit, column_name) AS col_id, *,
                n_values = n_rows AS is_unique
            FROM named
            """
        )
        db.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _bs_kpair AS
            WITH declared AS (   -- single-column foreign keys, matched to their tables' units
                SELECT c.col_id AS child, p.col_id AS parent
                FROM declared_keys d
                JOIN _bs_kcol c ON c.sha256 = d.sha256 AND c.unit = d.unit
                    AND lower(c.column_name) = lower(d.columns[1])
                JOIN _bs_kcol p ON p.sha256 = d.sha256
                    AND lower(p.unit) = lower('table ' || d.ref_table)
                    AND lower(p.column_name) = lower(d.ref_columns[1])
                WHERE d.kind = 'foreign' AND len(d.columns) = 1 AND len(d.ref_columns) = 1
            ),
            -- compatible names, found by equality joins (a dump of a thousand tables has
            -- thousands of key columns: no product of all pairs)
            names AS (   -- the names under which a column may be a child's parent
                SELECT col_id, norm AS name FROM _bs_kcol
                WHERE norm NOT IN ({_list(GENERIC_NAMES)})
                UNION ALL
                SELECT col_id, unnest([tname || norm, norm || tname,
                                       bs_singular(tname) || norm, norm || bs_singular(tname)])
                FROM _bs_kcol WHERE norm IN ({_list(GENERIC_NAMES)}) AND tname <> ''
            ),
            words AS (   -- hospital key words inside a column's name
                SELECT col_id, w FROM (
                    SELECT col_id, unnest([{_list(KEY_WORDS)}]) AS w, norm FROM _bs_kcol)
                WHERE contains(norm, w)
            ),
            paired AS (
                SELECT c.col_id AS child, n.col_id AS parent
                FROM _bs_kcol c JOIN names n ON n.name = c.norm
                UNION
                SELECT cw.col_id, pw.col_id FROM words cw JOIN words pw USING (w)
            ),
            inferred AS (
                SELECT pr.child, pr.parent
                FROM paired pr JOIN _bs_kcol c ON c.col_id = pr.child
                    JOIN _bs_kcol p ON p.col_id = pr.parent
                WHERE (c.sha256, c.unit) <> (p.sha256, p.unit)
                    AND bs_compatible(c.norm, p.norm, p.tname)
                -- a unique column is never the child of a column that is not
                AND NOT (c.is_unique AND NOT p.is_unique AND c.norm = p.norm)
            )
            SELECT child, parent, bool_or(is_declared) AS is_declared FROM (
                SELECT *, true AS is_declared FROM declared
                UNION ALL SELECT *, false FROM inferred)
            GROUP BY ALL
            """
        )
        db.execute(
            """
            CREATE OR REPLACE TEMP TABLE _bs_kval AS
            SELECT DISTINCT k.value, c.col_id
            FROM row_keys k JOIN _bs_kcol c USING (sha256, unit, column_name)
            WHERE c.col_id IN (SELECT child FROM _bs_kpair UNION SELECT parent FROM _bs_kpair)
            """
        )
        with case.transaction():
            db.execute("DELETE FROM key_links")
            db.execute(
                f"""
                INSERT INTO key_links
                WITH stats AS (
                    SELECT pr.child, pr.parent, count(*) AS child_values,
                        count(p.value) AS matched_values
                    FROM _bs_kpair pr
                    JOIN _bs_kval c ON c.col_id = pr.child
                    LEFT JOIN _bs_kval p ON p.col_id = pr.parent AND p.value = c.value
                    GROUP BY ALL
                ),
                judged AS (
                    SELECT pr.*, s.child_values, s.matched_values,
                        s.matched_values / s.child_values AS inclusion,
                        c.n_rows AS child_rows, c.norm AS cnorm, p.norm AS pnorm
                    FROM _bs_kpair pr JOIN stats s USING (child, parent)
                    JOIN _bs_kcol c ON c.col_id = pr.child
                    JOIN _bs_kcol p ON p.col_id = pr.parent
                )
                SELECT c.sha256, c.unit, c.column_name, p.sha256, p.unit, p.column_name,
                    CASE WHEN j.is_declared THEN 'declared' ELSE 'inferred' END,
                    j.inclusion, j.child_values, j.matched_values, j.child_rows, NULL,
                    CASE WHEN j.is_declared THEN j.matched_values > 0
                        ELSE j.inclusion >= {MIN_INCLUSION}
                            AND (j.matched_values >= {MIN_MATCHED}
                                 OR (j.inclusion = 1 AND bs_same_key_word(j.cnorm, j.pnorm)))
                        END AS accepted,
                    CASE WHEN j.is_declared THEN
                            CASE WHEN j.matched_values > 0 THEN 'declared foreign key'
                                 ELSE 'declared foreign key, no value found in the parent' END
                        WHEN j.inclusion < {MIN_INCLUSION} THEN printf(
                            'names compatible, only %d of %d values found in the parent',
                            j.matched_values, j.child_values)
                        WHEN j.matched_values < {MIN_MATCHED}
                            AND NOT (j.inclusion = 1 AND bs_same_key_word(j.cnorm, j.pnorm))
                            THEN 'names compatible, too few values to tell'
                        ELSE printf('names compatible, %d of %d values found in the parent',
                                    j.matched_values, j.child_values) END AS reason
                FROM judged j JOIN _bs_kcol c ON c.col_id = j.child
                    JOIN _bs_kcol p ON p.col_id = j.parent
                """
            )
        return db.execute("SELECT count(*) FROM key_links WHERE accepted").fetchone()[0]
    finally:
        for table in ("_bs_kcol", "_bs_kpair", "_bs_kval"):
            db.execute(f"DROP TABLE IF EXISTS temp.{table}")
