"""People v0: records grouped into people by exact normalized keys, entirely in DuckDB.

Two records are the same person when they share one key (connected components):
- the NIR;
- folded last name + folded first name + birth date;
- folded last name + folded first name + an e-mail, or + a phone (twins and households have
  different first names, so a shared name *and* contact is one person).
A record with a name and nothing else can only join other such records with the same name.
When ``last_name`` is empty, ``full_name`` is the last name (and the first name is empty).
Folding removes accents and case and collapses hyphens, apostrophes and spaces: the SQL macro
``fold`` (:func:`install_fold_macro`) reproduces :func:`breachscope.detect.validators.fold`.

Everything runs as SQL over the case store, so the main process keeps a bounded memory whatever
the size of the dump (DuckDB spills to disk under its ``memory_limit``), and over *signatures*
rather than records: the distinct rows of the fields resolution reads (see _SIG_FIELDS), which
a dump repeats (77.4 M records, 0.72 M signatures at 10 GB). Records of one signature are one
person unless nothing joins them (then a person each); the records are mapped back to their
person once, at the end (:func:`_signature_sql`).
1. every signature gets a number ``rn`` in the order of its smallest ``record_id`` and its
   keys are listed;
2. each key links its signatures to the smallest of them (its anchor): an edge table;
3. label propagation over the edges: each record's label becomes the smallest label among the
   records it shares a key with, plus a pointer jump (label of the label), repeated until no
   label changes (3–5 rounds in practice, logarithmic in the longest chain);
4. a person is a label; its ``person_id`` is ``'P' || left(sha256(smallest record_id), 12)``
   (stable as long as its first record is), its fields the most common value of its records
   (ties: the value of the smallest record_id), phones and e-mails the sorted distinct union.

With ``linkage="splink"`` (the default; see :func:`linkage_method`), the pairs scored by
the probabilistic linkage of :mod:`breachscope.resolve.linkage` (typos, married names, swapped
day/month) are added to the exact-key edges before step 3, so exact matches stay merged and
fuzzy matches are linked transitively into the same people; see ``docs/resolution.md``.

Unresolved mentions: records with only a surname (no first name, NIR, birth date, phone or
e-mail) whose person has no better record are counted in ``meta`` (``unresolved_mentions``:
records; ``unresolved_people``: the people made only of them).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
import unicodedata
from itertools import chain

import duckdb

from breachscope.case import Case, empty_table
from breachscope.detect.validators import _FOLD_EXTRA, _FOLD_SEPARATORS
from breachscope.masking import scrub
from breachscope.resolve.placeholders import placeholders_sql
from breachscope.resolve.spill import TABLES_CAP, capped

log = logging.getLogger(__name__)

# Characters whose *compatibility* decomposition (NFKD, which Python's fold uses) differs from
# the canonical one (DuckDB's strip_accents): Latin, Greek, Armenian, punctuation, letter-like
# symbols, ligatures, full-width forms. Other compatibility characters (CJK, Arabic
# presentation forms...) are not expected in names and fold differently in SQL.
_COMPAT_RANGES = (
    range(0xA0, 0x300), range(0x370, 0x400), range(0x587, 0x588), range(0x1E00, 0x2190),
    range(0x3000, 0x3001), range(0xFB00, 0xFB18), range(0xFF01, 0xFF5F),
)
_TMP = ("_bs_prose_files", "_bs_sig", "_bs_split", "_bs_splink_joined", "_bs_raw",
        "_bs_placeholders", "_bs_rec", "_bs_kgroups", "_bs_members", "_bs_keys",
        "_bs_edges", "_bs_lab", "_bs_lab_next", "_bs_lab_exact", "_bs_gedges", "_bs_root",
        "_bs_exact", "_bs_splink_edges", "_bs_context", "_bs_people", "_bs_p_base",
        "_bs_p_votes", "_bs_p_modes", "_bs_p_lists")
# The work tables done with once the roots and the unresolved mentions are known, dropped
# before the people are built: temp tables that do not fit in memory are written out to the
# spill folder uncompressed, and at 10 M distinct records these filled its 10 GiB cap.
_BEFORE_PEOPLE = ("_bs_raw", "_bs_placeholders", "_bs_kgroups", "_bs_members", "_bs_keys",
                  "_bs_edges", "_bs_lab", "_bs_lab_next", "_bs_lab_exact", "_bs_gedges",
                  "_bs_exact", "_bs_splink_joined", "_bs_context")
LINKAGE_METHODS = ("exact", "splink")
LINKAGE_ENV = "BREACHSCOPE_LINKAGE"
#: Where Splink scores pairs: in process (DuckDB) or in a Spark session (resolve.spark).
LINKAGE_BACKENDS = ("duckdb", "spark")
LINKAGE_BACKEND_ENV = "BREACHSCOPE_LINKAGE_BACKEND"


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _re2_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


@functools.cache
def fold_macro_sql() -> str:
    """``CREATE OR REPLACE TEMP MACRO fold(s)``, built from the Python fold's own tables."""
    mapping = {chr(k): v for k, v in _FOLD_EXTRA.items()}
    for cp in chain(*_COMPAT_RANGES):
        c = chr(cp)
        nfkd = unicodedata.normalize("NFKD", c)
        if c not in mapping and nfkd != unicodedata.normalize("NFD", c):
            mapping[c] = "".join(x for x in nfkd if not unicodedata.combining(x))
    single = {c: v for c, v in mapping.items() if len(v) == 1}
    multi = {c: v for c, v in mapping.items() if len(v) != 1}
    expr = f"translate(s, {_sql_str(''.join(single))}, {_sql_str(''.join(single.values()))})"
    for c, v in multi.items():
        expr = f"replace({expr}, {_sql_str(c)}, {_sql_str(v)})"
    # translate() is slow (it builds its map per row): only names with such a character pay.
    expr = f"CASE WHEN regexp_matches(s, '{_re2_class(list(mapping))}') THEN {expr} ELSE s END"
    # Python's \s is Unicode whitespace (RE2's is ASCII): list the separators explicitly.
    separators = [chr(cp) for cp in range(0x10000)
                  if not 0xD800 <= cp < 0xE000 and _FOLD_SEPARATORS.fullmatch(chr(cp))]
    sep = _re2_class(separators) + "+"
    return (f"CREATE OR REPLACE TEMP MACRO fold(s) AS "
            f"trim(regexp_replace(upper(strip_accents({expr})), '{sep}', ' ', 'g'))")


def install_fold_macro(db: duckdb.DuckDBPyConnection) -> None:
    """Define the ``fold(s)`` macro on this connection (temporary: not stored in the case)."""
    db.execute(fold_macro_sql())


# A NIR is the record's own key unless it is plainly someone else's: one NIR covers an insured
# person and their dependants, so a child's record often carries a parent's NIR. The NIR
# holds the year and month of birth (digits 2-5): a NIR whose year is 12 years or more from
# the record's birth year and whose month is neither its month nor its day (a day/month swap)
# belongs to another person, and is no key for this one (it stays in the record).
# Compared on its first 13 characters: the last two are a key computed from them, so a NIR
# written without its key (a letter's "N° SS 2 85 05 75 123 456") is the same number.
_OWN_NIR = r"""
CASE WHEN regexp_matches(nir, '^[1278]\d{4}')
          AND regexp_matches(birth_date, '^\d{4}-\d{2}-\d{2}$')
          AND least(abs(nir[2:3]::INT - birth_date[3:4]::INT),
                    100 - abs(nir[2:3]::INT - birth_date[3:4]::INT)) >= 12
          AND nir[4:5] NOT IN (birth_date[6:7], birth_date[9:10])
     THEN NULL ELSE nir END
"""

# Resolution works on the records' *signatures*, not on the records themselves: the distinct
# rows of every field it reads (names, birth date, sex, NIR, phones, e-mails, address, postal
# code, city, patient number, role hint), with, for the records of a file holding prose (a
# letter, a note: any record not in a table row), their file and whether they are a table row
# (the mentions step, _STEP_MENTIONS, pairs a letter's "Mme Moreau" with a name of the same
# file). A dump repeats its people: 77.4 M records at 10 GB are 0.72 M signatures (7.6 M and
# 0.16 M at 1 GB), and every step below is a statement over signatures. (Issue 15: numbering
# and preparing the 77 M records one by one spilled more than 40 GB.)
#
# ``n`` is a signature's number of records, ``first_id`` its smallest record id: signatures
# are numbered (``rn``) in ``first_id`` order, so that the smallest signature of a person
# holds its smallest record, as when records were numbered. Records of one signature have
# the same keys and are compared alike by the linkage: they end in one person, unless they
# share no key, are not matched with a copy of themselves by the linkage (a first name and a
# city, twice) and are linked to nothing else: then each of them is a person of its own
# (``whole`` is false in ``_bs_root``, see _STEP_ROOTS).
_ROW_LOCATION = r"regexp_matches(coalesce(r.location, ''), '(^|, )row \d+$')"
# The raw fields of a signature (the records' own columns).
_SIG_FIELDS = ("last_name", "first_name", "full_name", "birth_date", "sex", "nir", "phones",
               "emails", "address", "postal_code", "city", "patient_id", "role_hint")
# The files holding a record outside a table row: only their records keep their file and
# row-ness in their signature (a table export's rows are not split by file).
_STEP_PROSE_FILES = f"""
CREATE OR REPLACE TEMP TABLE _bs_prose_files AS
SELECT DISTINCT sha256 FROM records r WHERE sha256 IS NOT NULL AND NOT {_ROW_LOCATION}
"""
# Each record's signature columns: its fields, ``file`` and ``is_row`` (a record without a
# content is its own question: its row-ness is read; a record of a table-only file is a row).
_RECORD_SIGNATURE = f"""
SELECT r.record_id, {", ".join(f"r.{f}" for f in _SIG_FIELDS)}, p.sha256 AS file,
    CASE WHEN p.sha256 IS NOT NULL OR r.sha256 IS NULL THEN {_ROW_LOCATION} ELSE TRUE END
        AS is_row
FROM records r LEFT JOIN _bs_prose_files p USING (sha256)
"""
_SIG_COLUMNS = (*_SIG_FIELDS, "file", "is_row")


def _signature_sql(columns: tuple[str, ...] = _SIG_COLUMNS,
                   sig_hash: str = "hash({})") -> dict[str, str]:
    """The statements that group records by ``columns`` (their signature) and map them back:
    ``signatures`` creates ``_bs_sig``; ``split`` creates ``_bs_split``, the records of the
    signatures that are not one person (few: copies of a sparse record); ``person_records``
    selects every record's person. The records are joined back to their signature by a hash
    join on every signature column (NULLs equal), streaming the records once; for every
    record's person, on a 64-bit hash of those columns instead, so that the join's table is
    narrow (at 10 M distinct records the join on every column spilled past 10 GiB), and on
    every column for the signatures whose hash collides with another's. (A test passes
    ``record_id`` among the columns: one signature per record, resolution as it was; another
    a ``sig_hash`` that collides often.)"""
    with_root = f"""
FROM ({_RECORD_SIGNATURE}) r
JOIN (SELECT s.*, x.whole, x.person_id FROM _bs_sig s JOIN _bs_root x USING (rn){{where}}) s
    ON {" AND ".join(f"r.{c} IS NOT DISTINCT FROM s.{c}" for c in columns)}
"""
    return {
        "signatures": f"""
CREATE OR REPLACE TEMP TABLE _bs_sig AS
SELECT row_number() OVER (ORDER BY first_id) AS rn, *
FROM (SELECT count(*) AS n, min(record_id) AS first_id, {", ".join(columns)}
      FROM ({_RECORD_SIGNATURE}) GROUP BY ALL)
""",
        "split": ("CREATE OR REPLACE TEMP TABLE _bs_split AS SELECT s.rn, r.record_id "
                  + with_root.replace("{where}", " WHERE NOT x.whole")),
        "person_records": f"""
WITH hashed AS (SELECT rn, {sig_hash.format(", ".join(columns))} AS sh FROM _bs_sig),
collided AS (SELECT sh FROM hashed GROUP BY sh HAVING count(*) > 1),
narrow AS (
    SELECT h.sh, x.whole, x.person_id FROM hashed h JOIN _bs_root x USING (rn)
    ANTI JOIN collided c ON c.sh = h.sh
)
SELECT CASE WHEN whole THEN person_id ELSE 'P' || left(sha256(record_id), 12) END, record_id
FROM (
    SELECT s.whole, s.person_id, r.record_id
    FROM (SELECT record_id, {sig_hash.format(", ".join(columns))} AS sh
          FROM ({_RECORD_SIGNATURE})) r
    JOIN narrow s USING (sh)
    UNION ALL
    SELECT s.whole, s.person_id, r.record_id
    {with_root.replace("{where}", " WHERE " + sig_hash.format(", ".join(f"s.{c}" for c in columns))
                       + " IN (SELECT sh FROM collided)")}
) mapped""",
    }


_SIGNATURE_SQL = _signature_sql()

# The signatures with their folded names and their raw key values (placeholders still in).
# Names are folded once per distinct value (``folded``), then joined: fold() per signature
# costs more than the rest. fold() of a non-NULL name is never NULL, and fold('') is '':
# ``coalesce(ff.folded, '')`` is fold(coalesce(first_name, '')).
#
# With them, what the mentions' steps (_STEP_MENTIONS, _STEP_KEYS, _UNRESOLVED) read:
# ``fno``, the signature's file as a number (NULL outside the files holding prose: see
# _signature_sql); ``mention``, a surname and no first name, NIR, birth date, phone or
# e-mail (raw values: a placeholder still counts); ``detailed``, an address or a patient
# number; ``bare``, a mention with neither, outside a table row.
_STEP_RAW = """
CREATE OR REPLACE TEMP TABLE _bs_raw AS
WITH folded AS (
    SELECT name, fold(name) AS folded FROM (
        SELECT last_name AS name FROM _bs_sig
        UNION SELECT first_name FROM _bs_sig
        UNION SELECT full_name FROM _bs_sig)
    WHERE name <> ''
),
files AS (
    SELECT file, row_number() OVER () AS fno
    FROM (SELECT DISTINCT file FROM _bs_sig WHERE file IS NOT NULL)
),
prepared AS (
    SELECT r.rn, r.n, r.first_id, left(r.nir, 13) AS nir,
        r.birth_date, r.phones, r.emails, r.postal_code, trim(r.patient_id) AS patient_id,
        CASE WHEN r.last_name <> '' THEN fl.folded
             WHEN r.full_name <> '' THEN fu.folded END AS fold_last,
        CASE WHEN r.last_name <> '' THEN coalesce(ff.folded, '')
             WHEN r.full_name <> '' THEN ''
             -- Only a first name: no name key (fold_last is NULL), but the linkage sees it.
             WHEN r.first_name <> '' THEN ff.folded END AS fold_first,
        f.fno,
        coalesce(r.nir, '') = '' AND coalesce(r.birth_date, '') = ''
            AND coalesce(len(r.phones), 0) = 0 AND coalesce(len(r.emails), 0) = 0
            AS no_contact,
        coalesce(r.address, '') <> '' OR coalesce(r.patient_id, '') <> '' AS detailed,
        r.is_row,
        -- The raw fields the linkage reads besides (resolve.linkage._RAW_SQL).
        r.address AS r_address, r.city AS r_city, r.full_name AS r_full_name,
        r.nir AS r_nir, r.patient_id AS r_patient_id, r.sex AS r_sex
    FROM _bs_sig r
    LEFT JOIN folded fl ON fl.name = r.last_name
    LEFT JOIN folded ff ON ff.name = r.first_name
    LEFT JOIN folded fu ON fu.name = r.full_name
    LEFT JOIN files f ON f.file = r.file
)
SELECT * EXCLUDE (no_contact, is_row),
    coalesce(fold_first, '') = '' AND no_contact AS mention,
    coalesce(fold_first, '') = '' AND no_contact AND NOT detailed AND NOT is_row AS bare
FROM prepared
"""

# The records resolution works on: placeholder values (resolve.placeholders: 01/01/1900, a
# switchboard's phone, inconnu@..., a NIR of all 1s) blanked, so they are neither exact keys,
# nor blocking keys, nor evidence in the linkage; then the record's own NIR (_OWN_NIR, on the
# blanked birth date: a default of 1900 would make every NIR look like someone else's).
# Joins, not a list of placeholders searched per record: a dump can hold many thousands of
# values each shared by a dozen names. Lists keep their order (the first phone is a block).
def _records_sql(kinds: set[str]) -> str:
    """The statement creating ``_bs_rec`` from ``_bs_raw``; ``kinds``: the placeholder kinds
    present in ``_bs_placeholders`` (the others pass through untouched)."""
    joins, ctes = [], []
    scalars = {"nir": "nir", "birth": "birth_date", "postal": "postal_code",
               "ipp": "patient_id"}
    cols = {}
    for kind, col in scalars.items():
        if kind in kinds:
            joins.append(f"LEFT JOIN _bs_placeholders ph_{kind} ON ph_{kind}.kind = '{kind}' "
                         f"AND ph_{kind}.value = r.{col}")
            cols[col] = f"CASE WHEN ph_{kind}.value IS NULL THEN r.{col} END"
        else:
            cols[col] = f"r.{col}"
    for kind, col, match in (("phone", "phones", "x"), ("email", "emails", "lower(x)")):
        if kind in kinds:
            # Only the records holding a placeholder are regrouped (most hold none).
            ctes.append(f"""
    unnested_{col} AS (
        SELECT rn, unnest({col}) AS x, generate_subscripts({col}, 1) AS i
        FROM _bs_raw WHERE len({col}) > 0
    ),
    hit_{col} AS (
        SELECT DISTINCT u.rn FROM unnested_{col} u
        JOIN _bs_placeholders p ON p.kind = '{kind}' AND p.value = {match.replace('x', 'u.x')}
    ),
    clean_{col} AS (
        SELECT u.rn, list(u.x ORDER BY u.i) FILTER (WHERE p.value IS NULL) AS kept,
            TRUE AS hit
        FROM unnested_{col} u SEMI JOIN hit_{col} h ON h.rn = u.rn
        LEFT JOIN _bs_placeholders p ON p.kind = '{kind}' AND p.value = {match.replace('x', 'u.x')}
        GROUP BY u.rn
    )""")
            joins.append(f"LEFT JOIN clean_{col} USING (rn)")
            cols[col] = (f"CASE WHEN clean_{col}.hit IS NULL THEN r.{col} "
                         f"ELSE coalesce(clean_{col}.kept, []) END")
        else:
            cols[col] = f"r.{col}"
    with_clause = ("WITH" + ",".join(ctes)) if ctes else ""
    return f"""
CREATE OR REPLACE TEMP TABLE _bs_rec AS
SELECT rn, first_id, {_OWN_NIR} AS nir, birth_date, phones, emails, postal_code,
    nullif(patient_id, '') AS patient_id, fold_last, fold_first
FROM (
    {with_clause}
    SELECT r.rn, r.first_id, r.fold_last, r.fold_first,
        {", ".join(f"{expr} AS {col}" for col, expr in cols.items())}
    FROM _bs_raw r
    {" ".join(joins)}
)
"""


# A key is one string: kind, folded last, folded first and value separated by U+001F, which
# fold never leaves in a name (it is whitespace), so two keys are equal only when all parts are.
# A NULL inside a phone or e-mail list is kept apart from '' (no trailing separator).
#
# Each record's key inputs, its folded names as one string (``_bs_kgroups`` groups records by
# them, ``_bs_members`` joins records back to their group on them).
_KEY_INPUTS = """
    SELECT rn, nir, birth_date, phones, emails,
        'n' || chr(31) || fold_last || chr(31) || fold_first AS name
    FROM _bs_rec
"""

# Records with equal key inputs (NIR, birth date, phones, e-mails, folded names) have equal
# keys, bare surnames aside (they depend on the record's file and address): the NIR, name +
# birth date and name + contact keys are computed once per group of such records
# (``_bs_kgroups``: its smallest record ``rn``, its size ``n_members``), not per record: a dump
# repeats its people (7.6 M records at 1 GB, some 15 000 distinct), and building, spanning
# and grouping some 16 M key strings cost 22 CPU s there. A group's key stands in
# ``_bs_keys`` for its smallest record, and _STEP_EDGES links the other members to it: the
# same components as every record's keys (the members share the group's keys), the same
# spans (a group's records have one birth date). Bare surname keys stay per record. Only
# records that may have a grouped key are grouped (a bare surname record never is).
_STEP_KEYS = """
CREATE OR REPLACE TEMP TABLE _bs_kgroups AS
SELECT min(rn) AS rn, count(*) AS n_members, nir, birth_date, phones, emails, name
FROM (
""" + _KEY_INPUTS + """)
WHERE nir <> ''
    OR (name IS NOT NULL AND (birth_date <> '' OR len(emails) > 0 OR len(phones) > 0))
GROUP BY nir, birth_date, phones, emails, name;

CREATE OR REPLACE TEMP TABLE _bs_keys AS
WITH named AS (
    SELECT rn, nir, birth_date, phones, emails, name FROM _bs_kgroups
),
each_record AS (
""" + _KEY_INPUTS + """)
SELECT rn, 'nir' || chr(31) || nir AS key FROM named WHERE nir <> ''
UNION ALL
SELECT rn, 'b' || name || chr(31) || birth_date FROM named
    WHERE name IS NOT NULL AND birth_date <> ''
UNION ALL
-- Name + contact: not when the birth dates of the key's records lie 15 years or more apart
-- (a son named after his father at the family's e-mail or phone).
-- (The span by GROUP BY and a join, not a window: DuckDB 1.4 holds a partitioned window in
-- memory, out of memory at 10 M records under the 1 GB memory_limit; the join spills.)
SELECT rn, key FROM (
    WITH contact AS MATERIALIZED (
        SELECT rn, 'e' || name || coalesce(chr(31) || email, '') AS key, y
        FROM (SELECT rn, name, unnest(emails) AS email, TRY_CAST(birth_date[1:4] AS INT) AS y
              FROM named WHERE name IS NOT NULL)
        UNION ALL
        SELECT rn, 'p' || name || coalesce(chr(31) || phone, ''), y
        FROM (SELECT rn, name, unnest(phones) AS phone, TRY_CAST(birth_date[1:4] AS INT) AS y
              FROM named WHERE name IS NOT NULL)
    )
    SELECT c.rn, c.key FROM contact c
    JOIN (SELECT key, max(y) - min(y) AS span FROM contact GROUP BY key) s USING (key)
    WHERE coalesce(s.span, 0) < 15
)
UNION ALL
SELECT rn, name FROM each_record
    WHERE name IS NOT NULL AND coalesce(nir, '') = '' AND coalesce(birth_date, '') = ''
        AND coalesce(len(emails), 0) = 0 AND coalesce(len(phones), 0) = 0
        AND rn NOT IN (SELECT a FROM _bs_context)
        -- Only bare surname mentions ("Mme Moreau"): a first and last name with nothing
        -- else is no key, it may be any of the namesakes (the linkage weighs how common).
        AND ({bare_full} OR (ends_with(name, chr(31)) AND rn NOT IN (
            -- a surname with an address or a patient number: the linkage weighs them
            -- (only surnames matter here: the name ends with its empty first name)
            SELECT rn FROM _bs_raw WHERE detailed AND fold_first = '')))
"""

# Each record of a key is linked to the key's smallest record (its anchor). A group of records
# with equal keys (_bs_kgroups) stands in _bs_keys for its smallest record ``rep``; the
# other members of a group having a key (found by joining the records back to their group on
# the five key inputs, NULLs equal as in GROUP BY: a ``list(rn)`` per group ran out of the
# 1 GB store limit at 10 M distinct records) are listed apart (``_bs_members``) and take their
# ``rep``'s label after the propagation (_exact_components): the propagation runs over the
# groups, not the 7.6 M records of a 1 GB dump. (GROUP BY and a join rather than a window,
# for memory: see the span in _STEP_KEYS.)
_STEP_EDGES = """
CREATE OR REPLACE TEMP TABLE _bs_members AS
SELECT r.rn, g.rn AS rep
FROM (
""" + _KEY_INPUTS + """) r
JOIN _bs_kgroups g
    ON r.nir IS NOT DISTINCT FROM g.nir AND r.birth_date IS NOT DISTINCT FROM g.birth_date
    AND r.phones IS NOT DISTINCT FROM g.phones AND r.emails IS NOT DISTINCT FROM g.emails
    AND r.name IS NOT DISTINCT FROM g.name
WHERE g.n_members > 1 AND g.rn IN (SELECT rn FROM _bs_keys) AND r.rn <> g.rn;

CREATE OR REPLACE TEMP TABLE _bs_edges AS
SELECT DISTINCT k.rn AS a, x.anchor AS b
FROM _bs_keys k JOIN (SELECT key, min(rn) AS anchor FROM _bs_keys GROUP BY key) x USING (key)
WHERE k.rn <> x.anchor
"""

# A bare surname's edge to the record it names (_bs_context), that record standing for its
# group's ``rep`` when it is a member of one (a bare surname is in no group).
_STEP_CONTEXT_EDGES = """
INSERT INTO _bs_edges
SELECT c.a, coalesce(m.rep, c.b) FROM _bs_context c LEFT JOIN _bs_members m ON m.rn = c.b
WHERE c.a <> coalesce(m.rep, c.b)
"""

# The labels of the records, from those of the groups: a member takes its ``rep``'s label, or
# the ``rep`` itself (the group's smallest record) when no edge reaches the group; a ``rep``
# with members but no edge is labelled by itself. Members are in no edge, so no record twice.
_STEP_MEMBER_LABELS = """
CREATE OR REPLACE TEMP TABLE _bs_lab_next AS
SELECT v, lbl FROM _bs_lab
UNION ALL
SELECT m.rn, coalesce(l.lbl, m.rep) FROM _bs_members m LEFT JOIN _bs_lab l ON l.v = m.rep
UNION ALL
SELECT DISTINCT m.rep, m.rep FROM _bs_members m ANTI JOIN _bs_lab l ON l.v = m.rep
"""

# A bare surname ("Mme Moreau" in a letter) joins the one person of its own file who bears
# that surname with a first name (the letter's patient block says "MOREAU Julie"): the same
# document is the strong context. With two such people in the file, or none, it stays an
# unresolved mention.
# Not for a table row: the rows of a table are its entities, one each; a row holding only a
# surname (and an address, a patient number...) is a record of its own, which the linkage
# weighs, not a mention of the table's other bearer of that surname.
# Built before the keys: a mention placed this way leaves the bare-name key, so other
# "Moreau" mentions elsewhere do not follow it to Julie.
# (The records' file, names and bareness are those of _bs_raw: see _STEP_RAW.)
_STEP_MENTIONS = """
CREATE OR REPLACE TEMP TABLE _bs_context AS
WITH rec AS (
    SELECT rn, fno, fold_last, fold_first, bare FROM _bs_raw
    WHERE fno IS NOT NULL AND coalesce(fold_last, '') <> ''
),
candidates AS (
    SELECT m.rn AS a, min(n.rn) AS b, count(DISTINCT n.fold_first) AS names
    FROM rec m JOIN rec n ON n.fno = m.fno AND n.fold_last = m.fold_last
        AND NOT n.bare AND n.fold_first <> ''
    WHERE m.bare GROUP BY m.rn
)
SELECT a, b FROM candidates WHERE names = 1
"""

_STEP_LABELS = """
CREATE OR REPLACE TEMP TABLE _bs_lab AS
SELECT a AS v, a AS lbl FROM _bs_edges
UNION
SELECT b, b FROM _bs_edges
"""

# One round: the smallest label over a record's neighbours, then a pointer jump (a label is a
# record of the same component, whose own label is as good and often smaller).
_STEP_PROPAGATE = """
CREATE OR REPLACE TEMP TABLE _bs_lab_next AS
WITH m AS MATERIALIZED (
    SELECT v, min(lbl) AS lbl FROM (
        SELECT e.a AS v, l.lbl FROM _bs_edges e JOIN _bs_lab l ON l.v = e.b
        UNION ALL
        SELECT e.b AS v, l.lbl FROM _bs_edges e JOIN _bs_lab l ON l.v = e.a
        UNION ALL
        SELECT v, lbl FROM _bs_lab
    ) GROUP BY v
)
SELECT m.v, p.lbl FROM m JOIN m AS p ON p.v = m.lbl
"""

# Each signature's person (``root``: its component's smallest signature; ``person_id`` from
# that signature's smallest record id, the person's smallest record) and whether its records
# are one person (``whole``): its component has other signatures, or it has a key of its own
# (_bs_keys, a key group's member, a placed mention), or the linkage matched it with a copy of
# itself (``_bs_splink_joined``), or it is one record. Otherwise each of its records is a
# person of its own, as when resolution numbered records (``_bs_split``).
_STEP_ROOTS = """
CREATE OR REPLACE TEMP TABLE _bs_root AS
WITH joined AS (
    SELECT rn FROM _bs_keys UNION SELECT rn FROM _bs_members UNION SELECT a FROM _bs_context
    UNION SELECT rn FROM _bs_splink_joined
),
rooted AS (
    SELECT r.rn, r.first_id, coalesce(l.lbl, r.rn) AS root,
        l.v IS NOT NULL OR r.n = 1 OR r.rn IN (SELECT rn FROM joined) AS whole
    FROM _bs_raw r LEFT JOIN _bs_lab l ON l.v = r.rn
)
SELECT rooted.*, ids.person_id
FROM rooted JOIN (
    SELECT rn AS root, 'P' || left(sha256(first_id), 12) AS person_id
    FROM rooted WHERE rn = root
) ids USING (root)
"""


# Single-valued person fields: the most common non-empty value, ties to the smallest record.
_MODE_FIELDS = ("last_name", "first_name", "birth_date", "nir", "postal_code", "city")
_ROLE = ("CASE WHEN bool_or(role_hint = 'PATIENT') THEN 'PATIENT' "
         "WHEN bool_or(role_hint = 'STAFF') THEN 'STAFF' ELSE 'UNKNOWN' END")

# The people in stages: the fields of their records (``base``: one row per record of a review
# decision's ``_bs_root``, or per signature in resolution, weighed ``w``), the votes for each
# single-valued field
# (``votes``), the winning values (``modes``), role and contact lists (``lists``), the people.
# ``{base}``... name each stage's input: a CTE in _SELECT_PEOPLE (one statement, for the few
# people of a review decision), a temp table in :func:`_build_people` (resolution: each stage
# a statement of its own, written out before the next starts, spills alone; as one statement
# the aggregations and joins held their states at once: out of memory at 10 M records under
# the 1 GB memory_limit). Each person's ``person_id`` travels with its records, so no last
# join of the people with their ids is needed.
_BASE_FIELDS = """r.role_hint, r.phones, r.emails,
        nullif(coalesce(nullif(r.last_name, ''),
                        CASE WHEN coalesce(r.first_name, '') = '' THEN r.full_name END),
               '') AS last_name,
        """ + ", ".join(f"nullif(r.{f}, '') AS {f}" for f in _MODE_FIELDS[1:])
# The ``base`` stage: every record (``w``: 1) of a review decision's ``_bs_root``...
_BASE_RECORDS = f"""
    SELECT x.root, x.rn, x.shared, x.person_id, 1 AS w, {_BASE_FIELDS}
    FROM _bs_root x JOIN records r USING (record_id)"""
# ... or, in resolution, the signatures of the people (``w``: their records), and each record
# of the signatures that are not one person as a person of its own. A person of one signature
# is not ``shared``: its fields are its signature's, no vote or list aggregate needed (at 10 M
# distinct records, 7.57 of the 8.62 M people are one record; voting over all of them spilled
# past 10 GiB).
_BASE_SIGNATURES = f"""
    SELECT x.root, x.rn, c.n > 1 AS shared, x.person_id, r.n AS w, {_BASE_FIELDS}
    FROM _bs_root x JOIN _bs_sig r USING (rn)
    JOIN (SELECT root, count(*) AS n FROM _bs_root WHERE whole GROUP BY root) c USING (root)
    WHERE x.whole
    UNION ALL
    SELECT sp.rn, sp.rn, FALSE, 'P' || left(sha256(sp.record_id), 12), 1, {_BASE_FIELDS}
    FROM _bs_split sp JOIN _bs_sig r USING (rn)"""
_PEOPLE_STAGES = {
    "base": "{source}",
    "votes": f"""
    SELECT root, field, value, sum(w) AS n, min(rn) AS first_rn
    FROM (UNPIVOT (SELECT root, rn, w, {", ".join(_MODE_FIELDS)} FROM {{base}} WHERE shared)
          ON {", ".join(_MODE_FIELDS)} INTO NAME field VALUE value)
    GROUP BY ALL""",
    "modes": f"""
    SELECT root,
        {", ".join(f"max_by(value, (n::HUGEINT << 64) - first_rn) "
                   f"FILTER (WHERE field = '{f}') AS {f}" for f in _MODE_FIELDS)}
    FROM {{votes}} GROUP BY root""",
    "lists": f"""
    SELECT root, person_id, {_ROLE} AS role,
        coalesce(list_sort(list_distinct(flatten(list(phones)))), []) AS phones,
        coalesce(list_sort(list_distinct(flatten(list(emails)))), []) AS emails
    FROM {{base}} WHERE shared{{part}} GROUP BY root, person_id""",
    "people": f"""
    SELECT l.person_id, l.role, {", ".join(f"m.{f}" for f in _MODE_FIELDS)}, l.phones, l.emails
    FROM {{lists}} l LEFT JOIN {{modes}} m USING (root)
    UNION ALL
    SELECT person_id, CASE WHEN role_hint IN ('PATIENT', 'STAFF') THEN role_hint
                           ELSE 'UNKNOWN' END,
        {", ".join(_MODE_FIELDS)},
        coalesce(list_sort(list_distinct(phones)), []),
        coalesce(list_sort(list_distinct(emails)), [])
    FROM {{base}} WHERE NOT shared""",
}
_STAGE_NAMES = {name: name for name in _PEOPLE_STAGES} | {"source": _BASE_RECORDS, "part": ""}
_STAGE_TABLES = {name: f"_bs_p_{name}" for name in _PEOPLE_STAGES if name != "people"}

#: The people in one statement (``person_id`` and the ``people`` columns).
_SELECT_PEOPLE = ("WITH " + ",\n".join(
    f"{name} AS ({sql.format(**_STAGE_NAMES)}\n)" for name, sql in _PEOPLE_STAGES.items())
    + "\nSELECT * FROM people\n")


#: Rows of ``base`` per part of the ``lists`` stage. DuckDB's list aggregates keep their states
#: in memory (they do not spill, 1.4): the contact lists of 8.6 M people in one aggregation ran
#: out of the 1 GB memory_limit (10 M distinct records, bench/people_scale.py). Written in parts
#: of people (a hash of their root), each aggregation holds about this many records' lists.
LIST_PART_ROWS = 1_000_000


def _build_people(db: duckdb.DuckDBPyConnection) -> None:
    """The people into ``temp._bs_people``, one stage at a time (see _PEOPLE_STAGES)."""
    for name, sql in _PEOPLE_STAGES.items():
        target = "_bs_people" if name == "people" else _STAGE_TABLES[name]
        if name == "lists":
            _write_in_parts(db, target, sql)
        else:
            sql = sql.format(**_STAGE_TABLES, source=_BASE_SIGNATURES, part="")
            db.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS {sql}")
        for used in _STAGE_USES.get(name, ()):
            db.execute(f"DROP TABLE IF EXISTS temp.{_STAGE_TABLES[used]}")


def _write_in_parts(db: duckdb.DuckDBPyConnection, target: str, sql: str) -> None:
    """Stage ``sql`` (a ``{part}`` filter in its ``base``) into ``target``, in as many parts of
    the people as ``base``'s shared rows need (see LIST_PART_ROWS)."""
    (rows,) = db.execute(f"SELECT count(*) FROM {_STAGE_TABLES['base']} WHERE shared").fetchone()
    parts = max(1, -(-rows // LIST_PART_ROWS))
    for i in range(parts):
        part = f" AND hash(root) % {parts} = {i}" if parts > 1 else ""
        select = sql.format(**_STAGE_TABLES, source=_BASE_SIGNATURES, part=part)
        db.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS {select}" if i == 0
                   else f"INSERT INTO {target} {select}")


# The stages no longer needed once a stage is written (dropped to free memory and spill).
_STAGE_USES = {"modes": ("votes",), "people": ("base", "lists", "modes")}


def replace_people(db: duckdb.DuckDBPyConnection, select_sql: str) -> None:
    """Replace every row of ``people`` by the rows of ``select_sql`` (matched by column name),
    inside the caller's transaction. The table is dropped and re-created from its own DDL:
    deleting a million rows from a keyed table costs DuckDB far more than building it anew."""
    empty_table(db, "people")
    db.execute(f"INSERT INTO people BY NAME {select_sql}")


# Records that are bare mentions (a surname, nothing else) and the people made only of them
# (a signature that is not one person is as many people as records). (``mention``: see
# _STEP_RAW.)
_UNRESOLVED = """
WITH bare AS (
    SELECT x.root, x.whole, b.n, b.mention AS bare FROM _bs_root x JOIN _bs_raw b USING (rn)
)
SELECT coalesce(sum(n), 0)::BIGINT, coalesce(sum(people), 0)::BIGINT FROM (
    SELECT root, sum(n) AS n, CASE WHEN bool_and(whole) THEN 1 ELSE sum(n) END AS people
    FROM bare GROUP BY root HAVING bool_and(bare))
"""


def linkage_method(case: Case, linkage: str | None = None) -> str:
    """The resolution method: ``linkage`` if given, else the ``BREACHSCOPE_LINKAGE``
    environment variable, else the case's ``meta`` key ``linkage``, else ``"splink"``."""
    return _choice(case, linkage, LINKAGE_ENV, "linkage", "splink", LINKAGE_METHODS,
                   "linkage method")


def linkage_backend(case: Case, backend: str | None = None) -> str:
    """Where Splink runs: ``backend`` if given, else the ``BREACHSCOPE_LINKAGE_BACKEND``
    environment variable, else the case's ``meta`` key ``linkage_backend``
    (:func:`set_linkage_backend`), else ``"duckdb"``. Both find the same pairs."""
    return _choice(case, backend, LINKAGE_BACKEND_ENV, "linkage_backend", "duckdb",
                   LINKAGE_BACKENDS, "linkage backend")


def _choice(case: Case, given: str | None, env: str, meta_key: str, default: str,
            allowed: tuple[str, ...], what: str) -> str:
    """``given``, else the environment variable ``env`` (empty: unset), else the case's
    ``meta`` key, else ``default``; refused unless in ``allowed``."""
    value = given if given is not None else os.environ.get(env) or None
    if value is None:
        row = case.db.execute("SELECT value FROM meta WHERE key = ?", [meta_key]).fetchone()
        value = row[0] if row else default
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r} (expected one of {', '.join(allowed)})")
    return value


def set_linkage_backend(case: Case, backend: str) -> None:
    """Keep ``backend`` for this case's next resolutions (``scan --linkage-backend``). The
    people do not change with it, so they are not marked stale."""
    linkage_backend(case, backend)   # validates
    case.db.execute("INSERT OR REPLACE INTO meta VALUES ('linkage_backend', ?)", [backend])


def _propagate(db: duckdb.DuckDBPyConnection, max_rounds: int, edges: str = "_bs_edges") -> int:
    """Label every record of the ``edges`` table with the smallest record of its connected
    component (``_bs_lab``); returns the number of rounds."""
    db.execute(_STEP_LABELS.replace("_bs_edges", edges))
    total = db.execute("SELECT sum(lbl) FROM _bs_lab").fetchone()[0]
    rounds = 0
    while True:
        rounds += 1
        if rounds > max_rounds:
            raise RuntimeError(f"people: labels still changing after {max_rounds} rounds")
        db.execute(_STEP_PROPAGATE.replace("_bs_edges", edges))
        new_total = db.execute("SELECT sum(lbl) FROM _bs_lab_next").fetchone()[0]
        db.execute("DROP TABLE _bs_lab")
        db.execute("ALTER TABLE _bs_lab_next RENAME TO _bs_lab")
        # Labels only decrease, so an unchanged sum means no label changed.
        if new_total == total:
            return rounds
        total = new_total


# The linkage's pairs between exact-key groups (``_bs_exact``: each record's group, the
# smallest record of its exact component), once per pair of groups.
_STEP_GROUP_EDGES = """
CREATE OR REPLACE TEMP TABLE _bs_gedges AS
SELECT DISTINCT greatest(x.grp, y.grp) AS a, least(x.grp, y.grp) AS b
FROM _bs_splink_edges s JOIN _bs_exact x ON x.rn = s.a JOIN _bs_exact y ON y.rn = s.b
WHERE x.grp <> y.grp
"""

# Every record of a component of two records or more, with the component's label: the
# label of its exact group in the graph of groups, else its exact group's (``_bs_lab_exact``
# holds the records of the exact groups of two records or more).
_STEP_LINKED_LABELS = """
CREATE OR REPLACE TEMP TABLE _bs_lab_next AS
SELECT x.rn AS v, coalesce(g.lbl, x.grp) AS lbl
FROM _bs_exact x LEFT JOIN _bs_lab g ON g.v = x.grp
WHERE g.v IS NOT NULL OR x.rn IN (SELECT v FROM _bs_lab_exact)
"""


def _exact_components(db: duckdb.DuckDBPyConnection, max_rounds: int) -> int:
    """The labels (``_bs_lab``) of the components of the exact keys and the bare surnames'
    context, after _STEP_KEYS and _STEP_EDGES; returns the rounds of propagation.

    Propagated over the groups of equal key inputs (their ``rep``) and the records outside
    them, then spread to the groups' members: each ``rep`` is its group's smallest record, so
    a component's smallest label is its smallest record, as when every record's keys were
    edges; and a record is labelled exactly when its component has two records or more."""
    db.execute(_STEP_CONTEXT_EDGES)
    rounds = _propagate(db, max_rounds)
    db.execute(_STEP_MEMBER_LABELS)
    db.execute("DROP TABLE _bs_lab")
    db.execute("ALTER TABLE _bs_lab_next RENAME TO _bs_lab")
    return rounds


def _link_components(db: duckdb.DuckDBPyConnection, max_rounds: int) -> int:
    """The labels (``_bs_lab``) of the components of the exact-key edges and the linkage's
    pairs (``_bs_splink_edges``), from the exact components already labelled (``_bs_lab``,
    ``_bs_exact``); returns the rounds of propagation.

    The exact groups are contracted first: the pairs become edges between groups (a few
    thousand at 1 GB, against 13 M pairs of records), labelled by propagation, and each record
    takes its group's label. Every group is labelled by its smallest record, so the smallest
    group label of a component of groups is its smallest record: the labels of propagating
    over all the records' edges (which cost some 25 CPU s at 1 GB), on the same records (those
    of a component of two or more)."""
    db.execute("DROP TABLE IF EXISTS temp._bs_lab_exact")
    db.execute("ALTER TABLE _bs_lab RENAME TO _bs_lab_exact")
    db.execute(_STEP_GROUP_EDGES)
    rounds = _propagate(db, max_rounds, edges="_bs_gedges")
    db.execute(_STEP_LINKED_LABELS)
    db.execute("DROP TABLE _bs_lab")
    db.execute("ALTER TABLE _bs_lab_next RENAME TO _bs_lab")
    return rounds


def prepare_records(db: duckdb.DuckDBPyConnection) -> str:
    """Build ``temp._bs_rec`` (the records as resolution sees them: folded names, placeholder
    values blanked, own NIR) with ``temp._bs_raw`` and ``temp._bs_placeholders``; returns the
    placeholder counts (:func:`_placeholder_counts`). Needs the ``fold`` macro."""
    # No signature is matched with its copies until the linkage says so (resolve.linkage).
    db.execute("CREATE OR REPLACE TEMP TABLE _bs_splink_joined (rn BIGINT)")
    db.execute(_STEP_PROSE_FILES)
    db.execute(_SIGNATURE_SQL["signatures"])
    db.execute(_STEP_RAW)
    db.execute(placeholders_sql())
    placeholders = _placeholder_counts(db)
    kinds = {k for (k,) in db.execute("SELECT DISTINCT kind FROM _bs_placeholders").fetchall()}
    db.execute(_records_sql(kinds))
    return placeholders


def _placeholder_counts(db: duckdb.DuckDBPyConnection) -> str:
    """How many placeholder values of each kind were set aside, and how many records bore
    them (kept in ``meta`` as ``linkage_placeholders``): counts only, never the values (a
    switchboard's phone is still an identifier)."""
    rows = db.execute("SELECT kind, count(*), sum(records) FROM _bs_placeholders "
                      "GROUP BY kind ORDER BY kind").fetchall()
    text = ", ".join(f"{kind}: {values} ({records} records)" for kind, values, records in rows)
    if text:
        log.info("placeholder values not used for linkage: %s", text)
    return text


_JAVA_CAUSE = re.compile(r"^\s*(?:Caused by: )?((?:[\w$]+\.)+[\w$]*(?:Exception|Error)\b.*)$")


def linkage_error_text(exc: BaseException) -> str:
    """What ``meta.linkage_error`` keeps of a failed linkage: the error's first line and, for
    an error from the JVM (the Spark backend, whose message is a whole Java stack), its
    deepest Java cause (``java.lang.OutOfMemoryError: ...``) or the Python cause; masked."""
    lines = str(exc).splitlines() or [""]
    text = lines[0]
    causes = [m.group(1) for line in lines[1:] if (m := _JAVA_CAUSE.match(line))]
    if causes:
        text += f" — cause: {causes[-1]}"
    elif exc.__cause__ is not None:
        text += f" — cause: {type(exc.__cause__).__name__}: {str(exc.__cause__)[:120]}"
    return f"{type(exc).__name__}: {scrub(text, limit=300)}"


def rebuild_people(case: Case, *, max_rounds: int = 100, linkage: str | None = None,
                   backend: str | None = None) -> int:
    """Recompute ``people`` and ``person_records`` from all records; returns the count.
    ``linkage``: ``"exact"`` (keys only) or ``"splink"`` (keys + probabilistic pairs); by
    default :func:`linkage_method`. ``backend``: where Splink runs, by default
    :func:`linkage_backend`."""
    db = case.db
    method = linkage_method(case, linkage)
    backend = linkage_backend(case, backend) if method == "splink" else "duckdb"
    install_fold_macro(db)
    # Everything resolution spills is capped (resolve.spill): a dump built to blow up the
    # linkage stops with a clear message instead of filling the disk. The linkage's own
    # connection keeps the smaller cap (resolve.linkage); the steps on the case's connection
    # (exact keys, labels, the people) spill in proportion to the records, as relations do,
    # and take the tables' cap: 10 M distinct records spill 9.1 GB there.
    with capped(db, "spill", default=TABLES_CAP):
        return _rebuild(case, method, max_rounds, backend)


def _rebuild(case: Case, method: str, max_rounds: int, backend: str = "duckdb") -> int:
    db = case.db
    start = time.perf_counter()
    linkage_error = ""
    candidate_pairs = capped_blocks = 0
    try:
        # With the linkage, a bare first and last name is no exact key (see _STEP_KEYS).
        bare_full = "FALSE" if method == "splink" else "TRUE"
        placeholders = prepare_records(db)
        log.debug("people: records prepared, %.1f s", time.perf_counter() - start)
        for step in (_STEP_MENTIONS, _STEP_KEYS, _STEP_EDGES):
            db.execute(step.replace("{bare_full}", bare_full))
        log.debug("people: keys and edges, %.1f s", time.perf_counter() - start)
        if method == "splink":
            # The probabilistic linkage compares each record with the evidence of its whole
            # exact-key group (see resolve.linkage), so the exact groups come first.
            from breachscope.resolve.linkage import splink_edges
            rounds = _exact_components(db, max_rounds)
            db.execute("CREATE OR REPLACE TEMP TABLE _bs_exact AS "
                       "SELECT r.rn, coalesce(l.lbl, r.rn) AS grp "
                       "FROM _bs_rec r LEFT JOIN _bs_lab l ON l.v = r.rn")
            try:
                stats = splink_edges(db, backend=backend)
                candidate_pairs, capped_blocks = stats.candidate_pairs, stats.capped_blocks
            except Exception as exc:  # any failure falls back to the exact keys
                # Out of memory under a small --memory-limit, mostly: the people still exist,
                # made with the exact keys only, and the case says why.
                log.warning("probabilistic linkage failed (%s); people from exact keys only",
                            type(exc).__name__)
                linkage_error = linkage_error_text(exc)
                method = "exact"
                db.execute("CREATE OR REPLACE TEMP TABLE _bs_splink_edges "
                           "(a BIGINT, b BIGINT, p DOUBLE)")
                db.execute("CREATE OR REPLACE TEMP TABLE _bs_splink_joined (rn BIGINT)")
            rounds += _link_components(db, max_rounds)
        else:
            rounds = _exact_components(db, max_rounds)
        log.debug("people: %d label rounds, %.1f s", rounds, time.perf_counter() - start)
        db.execute(_STEP_ROOTS)
        if db.execute("SELECT count(*) FROM _bs_root WHERE NOT whole").fetchone()[0]:
            db.execute(_SIGNATURE_SQL["split"])
        else:
            db.execute("CREATE OR REPLACE TEMP TABLE _bs_split (rn BIGINT, record_id VARCHAR)")
        mentions, mention_people = db.execute(_UNRESOLVED).fetchone()
        for table in _BEFORE_PEOPLE:
            db.execute(f"DROP TABLE IF EXISTS temp.{table}")
        # The people computed apart from their insertion: the aggregation spills, and the
        # table's key index is then built alone (both in one statement: out of memory at
        # 10 M records under the 1 GB memory_limit).
        log.debug("people: roots, %.1f s", time.perf_counter() - start)
        _build_people(db)
        log.debug("people: aggregated, %.1f s", time.perf_counter() - start)
        with case.transaction():
            db.execute("INSERT OR REPLACE INTO meta VALUES ('unresolved_mentions', ?), "
                       "('unresolved_people', ?), ('people_linkage', ?), ('linkage_error', ?), "
                       "('linkage_placeholders', ?), ('linkage_candidate_pairs', ?), "
                       "('linkage_capped_blocks', ?)",
                       [str(mentions), str(mention_people), method, linkage_error,
                        placeholders, str(candidate_pairs), str(capped_blocks)])
            # The records' people first: their join (records to signatures) spills, which
            # it could not do under 1 GB at 10 M records with the people's key index, built
            # by the people's insertion, held in memory beside it.
            empty_table(db, "person_records")
            db.execute("INSERT INTO person_records " + _SIGNATURE_SQL["person_records"])
            replace_people(db, "SELECT * FROM _bs_people")
            # The pairs the probabilistic linkage accepted, with their match probability:
            # the review UI shows them as the evidence of a merge (by record ids, stable).
            empty_table(db, "linkage_pairs")
            if method == "splink":
                db.execute(
                    "INSERT INTO linkage_pairs SELECT ra.first_id, rb.first_id, e.p "
                    "FROM _bs_splink_edges e JOIN _bs_rec ra ON ra.rn = e.a "
                    "JOIN _bs_rec rb ON rb.rn = e.b")
        log.debug("people: stored, %.1f s", time.perf_counter() - start)
        return db.execute("SELECT count(*) FROM people").fetchone()[0]
    finally:
        for table in _TMP:
            db.execute(f"DROP TABLE IF EXISTS temp.{table}")
