"""Assess: per person the categories exposed, the sensitive flag and a severity; per content
a document class. Reads records and people, writes back into ``people`` and ``contents``."""

from __future__ import annotations

import duckdb

from breachscope.assess.sensitive import (
    SENSITIVE_CODE_PREFIXES,
    SENSITIVE_CODE_RANGES,
    SENSITIVE_UNIT_PATTERNS,
    sensitive_drug_category,
    text_sensitive_category,
)
from breachscope.assess.severity import MANY_FILES, install_severity_macros
from breachscope.case import ENTITY_SEPARATOR, Case, empty_table
from breachscope.detect.health import find_medication_names
from breachscope.entities import CATEGORY_ORDER, SPECS, entities_where
from breachscope.relate.attach import TABLE_ROW_RECORD, row_location_sql
from breachscope.resolve.people import install_fold_macro, replace_people

# Per entity its category and whether a staff row's value is about the workplace: the entity
# registry's (breachscope/entities.py), flattened for the SQL below.
ENTITY_CATEGORY: dict[str, str] = {
    s.entity.value: s.category.value for s in SPECS.values() if s.category is not None}
# For a staff row, the unit is the workplace and the date a shift: not health data about them.
STAFF_NOT_HEALTH = entities_where(lambda s: s.staff_not_health)


def record_categories(entities: list[str], role_hint: str) -> set[str]:
    """The categories one record exposes (the reference for the SQL of :func:`assess_people`)."""
    cats = set()
    for entity in entities:
        if role_hint == "STAFF" and entity in STAFF_NOT_HEALTH:
            continue
        cat = ENTITY_CATEGORY.get(entity)
        if cat:
            cats.add(cat)
    return cats


def _entity_bit_sql(entity: str) -> str:
    """SQL: the category bit of one entity (the SQL expression ``entity``) for a record whose
    ``role_hint`` column is in scope; the rules of :func:`record_categories`."""
    whens = " ".join(f"WHEN '{e}' THEN {1 << CATEGORY_ORDER.index(cat)}"
                     for e, cat in ENTITY_CATEGORY.items())
    staff = ", ".join(f"'{e}'" for e in sorted(STAFF_NOT_HEALTH))
    return (f"CASE WHEN role_hint IS NOT DISTINCT FROM 'STAFF' AND {entity} IN ({staff}) "
            f"THEN 0 ELSE CASE {entity} {whens} ELSE 0 END END")


# A list of entities' categories as one 64-bit mask: bit i for ``CATEGORY_ORDER[i]`` from an
# entity that counts for anyone, bit 32 + i from one that a staff row does not count
# (``STAFF_NOT_HEALTH``); :func:`_staff_mask_sql` and :func:`_other_mask_sql` read it.
_STAFF_SHIFT = 32
_LOW_BITS = (1 << _STAFF_SHIFT) - 1
# How ``records.entities`` joins a record's entity names (the key of its list's masks).
_LIST_SEPARATOR = f"'{ENTITY_SEPARATOR}'"


def _list_mask_sql(entities: str) -> str:
    """SQL: the two-part category mask of a list of entities (the SQL expression
    ``entities``); the rules of :func:`record_categories`."""
    def bit(entity: str, category: str) -> int:
        shift = _STAFF_SHIFT if entity in STAFF_NOT_HEALTH else 0
        return (1 << CATEGORY_ORDER.index(category)) << shift

    whens = " ".join(f"WHEN '{e}' THEN {bit(e, cat)}" for e, cat in ENTITY_CATEGORY.items())
    return (f"coalesce(list_aggregate(list_transform({entities}, "
            f"lambda e: (CASE e {whens} ELSE 0 END)::UBIGINT), 'bit_or'), 0::UBIGINT)")


def _staff_mask_sql(mask: str) -> str:
    """SQL: the categories of a staff member's record from its :func:`_list_mask_sql`."""
    return f"({mask} & {_LOW_BITS}::UBIGINT)"


def _other_mask_sql(mask: str) -> str:
    """SQL: the categories of anyone else's record from its :func:`_list_mask_sql`."""
    return f"(({mask} & {_LOW_BITS}::UBIGINT) | ({mask} >> {_STAFF_SHIFT}))"


def _list_masks_cte() -> str:
    """SQL: ``lists(k, m)``, the :func:`_list_mask_sql` of each distinct list of entities of
    the records (``k``: ``records.entities``, the names joined by :data:`_LIST_SEPARATOR`).
    Records of one table share a few lists (49 distinct among the 7.6 M records of a 1 GB
    dump): the categories computed per distinct list and joined back cost a third of
    computing them per record (issue 15)."""
    return (f"lists AS (SELECT k, {_list_mask_sql(f'string_split(k, {_LIST_SEPARATOR})')} AS m "
            f"FROM (SELECT DISTINCT entities AS k FROM records))")


def _categories_sql(mask: str) -> str:
    """SQL: the category list (in ``CATEGORY_ORDER``) of a bit mask."""
    return " || ".join(f"CASE WHEN {mask} & {1 << i} <> 0 THEN ['{cat}'] ELSE [] END"
                       for i, cat in enumerate(CATEGORY_ORDER))


def sensitive_unit_regex() -> str:
    """:data:`SENSITIVE_UNIT_PATTERNS` for DuckDB (RE2): Python's ``\\b`` is Unicode-aware and
    RE2's is ASCII-only, so each ``\\b`` (always next to a letter of the pattern) becomes "start,
    end, or a character that is neither a letter, a digit nor ``_``"."""
    return SENSITIVE_UNIT_PATTERNS.pattern.replace("\\b", r"(?:^|$|[^\pL\pN_])")


# Entities of a record's facts (its own table row, or attached) that may reveal sensitive care.
_EVIDENCE_ENTITIES = tuple(sorted(entities_where(lambda s: s.care_evidence)))


def code_category_sql(value: str) -> str:
    """SQL: the sensitive-care category of an ICD-10 code or CCAM act (normalized: ``F32.1``,
    ``JNJD002``), or NULL — :func:`~breachscope.assess.sensitive.is_sensitive_code` in SQL
    (prefixes first, then ranges, in the same order)."""
    whens = []
    for category, prefix in SENSITIVE_CODE_PREFIXES:
        whens.append(f"WHEN starts_with({value}, '{prefix}') THEN '{category}'")
    for category, first, last in SENSITIVE_CODE_RANGES:
        numbers = "|".join(f"{n:02d}" for n in range(int(first[1:]), int(last[1:]) + 1))
        whens.append(f"WHEN regexp_matches({value}, '^{first[0]}(?:{numbers})') "
                     f"THEN '{category}'")
    return f"CASE {' '.join(whens)} ELSE NULL END"


def _load_drug_table(db: duckdb.DuckDBPyConnection) -> None:
    """``_bs_drugs(value, category)``: the distinct medication values of the case that name a
    drug of a sensitive class (ATC), judged once each: a cell such as ``TIVICAY 50 mg`` or
    ``METHADONE AP-HP sirop 60 mg par jour`` is read for the drug names it holds
    (:func:`~breachscope.detect.health.find_medication_names`), each classified by
    :func:`~breachscope.assess.sensitive.sensitive_drug_category`."""
    values = db.execute(
        "SELECT DISTINCT value FROM findings WHERE entity = 'MEDICATION'").fetchall()
    rows = []
    for (value,) in values:
        if not value:
            continue
        names = [value, *find_medication_names(value)]
        category = next((c for n in names if (c := sensitive_drug_category(n))), None)
        if category:
            rows.append([value, category])
    db.execute("CREATE OR REPLACE TEMP TABLE _bs_drugs (value VARCHAR, category VARCHAR)")
    if rows:
        db.executemany("INSERT INTO _bs_drugs VALUES (?, ?)", rows)


def _load_words_table(db: duckdb.DuckDBPyConnection) -> None:
    """``_bs_words(value, category)``: the distinct diagnosis and act values of the case whose
    words reveal sensitive care ("IVG", "sevrage alcoolique", "VIH"), judged once each by
    :func:`~breachscope.assess.sensitive.text_sensitive_category` (negations included)."""
    values = db.execute(
        "SELECT DISTINCT value FROM findings WHERE entity IN ('DIAGNOSIS', 'PROCEDURE')"
    ).fetchall()
    rows = [[v, c] for (v,) in values if v and (c := text_sensitive_category(v))]
    db.execute("CREATE OR REPLACE TEMP TABLE _bs_words (value VARCHAR, category VARCHAR)")
    if rows:
        db.executemany("INSERT INTO _bs_words VALUES (?, ?)", rows)


def build_sensitive_evidence(case: Case) -> None:
    """``sensitive_evidence``: every reason to flag a person for sensitive care, with the file
    and location it comes from, from each record (not a professional's) and its facts: ICD-10
    codes and CCAM acts, care units (decoded through ``unit_values``; a unit code no table
    explains is *undecided* evidence), drugs of a sensitive class and explicit words.

    The values are judged first (a few thousand distinct ones), then only the findings, facts
    and record fields holding a value that is evidence are matched to their records and
    people: on a 1 GB dump (90 M findings, 12 M facts, 7.6 M records) a record's table row's
    findings, facts and fields were copied whole (~25 M rows) before being judged."""
    db = case.db
    install_fold_macro(db)
    _load_drug_table(db)
    _load_words_table(db)
    # Several statements, each into a table of the store (not TEMP: DuckDB keeps temporary
    # tables in memory, and a DISTINCT into one failed where the same into a table spilled),
    # not one: DuckDB holds every join and aggregation state of a statement at once, and on a
    # 1 GB dump the single statement ran out of its 1 GB memory limit; each step alone spills.
    # Each judged value numbered (``vid``): the hits below carry the number through their
    # joins, not the entity, category and reason strings, read back at the end (at 10 GB
    # the hits' join with the records spilled those strings: 64 s; issue 15, session 22).
    # ``same``: the lowest number of the values judged alike (category, reason, decision),
    # which the evidence rows do not tell apart.
    db.execute("CREATE OR REPLACE TABLE _bs_vals AS SELECT *, min(vid) OVER "
               "(PARTITION BY category, reason, decided) AS same FROM "
               f"(SELECT row_number() OVER () AS vid, * FROM ({_judged_values_sql()}))")
    db.execute(f"CREATE OR REPLACE TABLE _bs_hit AS {_row_hits_sql()}")
    entities = ", ".join(f"'{e}'" for e in _EVIDENCE_ENTITIES)
    db.execute(
        f"""
        INSERT INTO _bs_hit   -- a record's attached facts, its own fields
        SELECT fa.record_id, fa.sha256, fa.location, v.vid
        FROM facts fa JOIN _bs_vals v USING (entity, value)
        WHERE fa.entity IN ({entities})
        UNION ALL
        SELECT r.record_id, r.sha256, r.location, v.vid
        FROM records r JOIN _bs_vals v ON v.entity = 'CARE_UNIT' AND v.value = r.care_unit
        WHERE r.care_unit <> ''
        UNION ALL
        SELECT r.record_id, r.sha256, r.location, v.vid
        FROM (SELECT record_id, sha256, location, unnest(icd10_codes) AS code FROM records) r
            JOIN _bs_vals v ON v.entity = 'ICD10_CODE' AND v.value = r.code
        """
    )
    # Then their people (a record not a professional's, linked to a person). The records
    # with evidence are stored first, with their role and person: joined in one statement
    # with the hits, DuckDB built its hash table on the records (77 M at 10 GB, their
    # estimate cut by the role's filter) rather than on the hits.
    db.execute(
        """
        CREATE OR REPLACE TABLE _bs_hit_rec AS SELECT DISTINCT record_id FROM _bs_hit
        """
    )
    db.execute(
        """
        CREATE OR REPLACE TABLE _bs_hit_who AS
        SELECT h.record_id, r.role_hint, pr.person_id
        FROM _bs_hit_rec h JOIN records r USING (record_id)
            JOIN person_records pr USING (record_id)
        """
    )
    # The hits made distinct before their strings are read back (a record's person follows
    # from the record, the category, reason and decision from the value's ``same``), and
    # written without a table between: at 10 GB (22.8 M evidence rows) the table of the
    # joined rows and a DISTINCT over all seven of its columns took 22.6 + 22.6 s.
    with case.transaction():
        empty_table(db, "sensitive_evidence")   # not DELETE: see empty_table
        db.execute(
            """
            INSERT INTO sensitive_evidence
            SELECT r.person_id, h.record_id, h.sha256, h.location, v.category,
                v.reason, v.decided
            FROM (SELECT DISTINCT h.record_id, h.sha256, h.location, v.same AS vid
                  FROM _bs_hit h JOIN _bs_hit_who r USING (record_id)
                      JOIN people p USING (person_id) JOIN _bs_vals v USING (vid)
                  WHERE r.role_hint IS DISTINCT FROM 'STAFF'
                      -- a staff member's unit is the workplace (unless the row says patient)
                      AND NOT (v.entity = 'CARE_UNIT' AND p.role = 'STAFF'
                               AND r.role_hint IS DISTINCT FROM 'PATIENT')) h
                JOIN _bs_hit_who r USING (record_id) JOIN _bs_vals v USING (vid)
            """
        )
    for table in ("_bs_drugs", "_bs_words"):
        db.execute(f"DROP TABLE IF EXISTS temp.{table}")
    for table in ("_bs_hit", "_bs_hit_rec", "_bs_hit_who", "_bs_vals"):
        db.execute(f"DROP TABLE IF EXISTS main.{table}")


def _judged_values_sql() -> str:
    """SQL: each distinct (entity, value) that may be evidence, judged once: its category and
    the reason shown; only the values that are evidence. The candidates are every value of
    those entities in the findings, the facts and the records' own fields, not only the ones
    of records' rows: a value's judgement depends on the value alone, and the distinct values
    are read without matching rows to records first."""
    unit_re = sensitive_unit_regex().replace("'", "''")
    entities = ", ".join(f"'{e}'" for e in _EVIDENCE_ENTITIES)
    return f"""
        WITH candidates AS (
            SELECT DISTINCT entity, value FROM (
                SELECT entity, value FROM plain_findings WHERE entity IN ({entities})
                UNION ALL
                -- a column's distinct values (its cells read only when it is of an entity
                -- that may be evidence)
                SELECT c.entity, f.value
                FROM (SELECT DISTINCT column_id, value FROM finding_cells
                      WHERE column_id IN (SELECT column_id FROM finding_columns
                                          WHERE entity IN ({entities}))) f
                    JOIN finding_columns c USING (column_id)
                UNION ALL
                SELECT entity, value FROM facts WHERE entity IN ({entities})
                UNION ALL
                SELECT 'CARE_UNIT', care_unit FROM records WHERE care_unit <> ''
                UNION ALL
                SELECT 'ICD10_CODE', unnest(icd10_codes) FROM records
            )
        ),
        judged AS (
            SELECT v.entity, v.value,
                CASE v.entity
                    WHEN 'ICD10_CODE' THEN {code_category_sql("v.value")}
                    WHEN 'PROCEDURE' THEN coalesce({code_category_sql("v.value")}, w.category)
                    WHEN 'MEDICATION' THEN d.category
                    WHEN 'DIAGNOSIS' THEN w.category
                    WHEN 'CARE_UNIT' THEN CASE
                        WHEN uv.status = 'unknown_code' THEN 'unknown_unit'
                        WHEN uv.value IS NOT NULL THEN uv.sensitive_category
                        WHEN regexp_matches(fold(v.value), '{unit_re}') THEN 'sensitive_unit'
                        END
                    END AS category,
                CASE WHEN v.entity = 'CARE_UNIT' THEN uv.status END AS unit_status,
                uv.label AS unit_label
            FROM candidates v
                -- plain equalities (hash joins); the CASE above reads each for its entity
                LEFT JOIN unit_values uv ON uv.value = v.value
                LEFT JOIN _bs_drugs d ON d.value = v.value
                LEFT JOIN _bs_words w ON w.value = v.value
        )
        SELECT entity, value, category,
            CASE entity
                WHEN 'ICD10_CODE' THEN 'ICD-10 code ' || value
                WHEN 'PROCEDURE' THEN CASE WHEN regexp_matches(value, '^[A-Z]{{4}}[0-9]{{3}}')
                    THEN 'CCAM act ' || value ELSE 'words "' || value || '"' END
                WHEN 'MEDICATION' THEN 'drug ' || value
                WHEN 'DIAGNOSIS' THEN 'words "' || value || '"'
                ELSE CASE WHEN unit_status = 'unknown_code'
                        THEN 'unit code ' || value || ': no unit table decodes it'
                     WHEN unit_status IN ('decoded', 'inferred')
                        THEN 'unit ' || value || ' = ' || coalesce(unit_label, '?')
                             || CASE WHEN unit_status = 'inferred'
                                     THEN ' (inferred from the code)' ELSE '' END
                     ELSE 'unit ' || value END
                END AS reason,
            category <> 'unknown_unit' AS decided
        FROM judged WHERE category IS NOT NULL
    """


def _row_hits_sql() -> str:
    """SQL: the findings that are evidence (``_bs_vals``) in a record's own table row (a
    record located ``[table x, ]row 12``: its row's findings are its own), with the record.
    Only those findings' locations are rebuilt and cut to their row, and matched to records;
    a column's cells are matched to the evidence values of its entity (a few per column)."""
    return f"""
        SELECT r.record_id, f.sha256, f.location, f.vid
        FROM (SELECT *, {row_location_sql('location')} AS row_location FROM (
                SELECT p.sha256, p.location, v.vid
                FROM plain_findings p JOIN _bs_vals v USING (entity, value)
                UNION ALL
                SELECT c.sha256, concat(c.loc_prefix, f.n, c.loc_suffix) AS location, v.vid
                FROM finding_cells f
                    JOIN (finding_columns c JOIN _bs_vals v USING (entity))
                    ON f.column_id = c.column_id AND f.value = v.value
            )) f
            JOIN records r ON r.sha256 = f.sha256 AND r.location = f.row_location
        WHERE regexp_matches(f.row_location, '{TABLE_ROW_RECORD}')
    """


def assess_people(case: Case) -> None:
    """Categories, sensitive flag and severity of every person, in SQL.

    The categories are those of the person's records (:func:`record_categories`'s rules) and
    of the facts attached to them (``facts``: joined table rows, a document's health
    findings); the sensitive flag comes from ``sensitive_evidence``
    (:func:`build_sensitive_evidence`: only decided evidence flags); the severity from
    :func:`~breachscope.assess.severity.severity`'s formula (the Python functions stay the
    reference the tests check the SQL against). ``people`` is written back whole
    (:func:`~breachscope.resolve.people.replace_people`)."""
    db = case.db
    install_severity_macros(db)
    build_sensitive_evidence(case)
    from breachscope.review.apply import apply_sensitive_decisions

    apply_sensitive_decisions(case)  # reviewers' confirmed and cleared flags (docs/review.md)
    # A staff member's unit and dates are the workplace's, unless the row says patient.
    staff = ("(role_hint IS NOT DISTINCT FROM 'STAFF' OR (p.role = 'STAFF' "
             "AND role_hint IS DISTINCT FROM 'PATIENT'))")
    # per fact a bit, OR-ed: plain aggregates, which spill (a list per record did not)
    fact_bit = _entity_bit_sql("f.entity").replace(
        "role_hint IS NOT DISTINCT FROM 'STAFF'", staff).replace("role_hint", "r.role_hint")
    # Three statements, each into a table of the store, then the people: as one statement
    # the joins of every record with its person and the aggregations were held at once (a
    # 10 GB dump, 77 M records: past a 30 GiB spill cap). Each alone spills.
    try:
        # A bit per entity: each record's entities once (12 M facts, 1 GB dump: 176 862
        # pairs of 36 107 records). Facts are attached to few records (a person's lowest):
        # stored first, so that DuckDB knows it and joins them with the records and their
        # people; as a subquery it joined the 77 M records with their people first, then
        # the few (1.3 s against 0.6 s at 1 GB).
        db.execute("CREATE OR REPLACE TABLE _bs_fact_ents AS "
                   "SELECT DISTINCT record_id, entity FROM facts")
        db.execute(
            f"""
            CREATE OR REPLACE TABLE _bs_fact_masks AS   -- facts take their record's role:
            SELECT f.record_id, bit_or({fact_bit}) AS mask   -- a shift is no stay
            FROM _bs_fact_ents f
                JOIN records r USING (record_id)
                JOIN person_records pr USING (record_id) JOIN people p USING (person_id)
            GROUP BY f.record_id, r.role_hint, p.role
            """
        )
        # Each record reduced to a few numbers before it meets its person: its mask as a
        # staff member's and as anyone else's, its file as a hash, its address as a flag.
        # Joined whole (its entities, a 64-digit sha256, its address), the 77 M records of a
        # 10 GB dump spilled 19 GB here. Then grouped by person and file before the person's
        # role is read: a record whose row says staff or patient has its mask whatever the
        # person's role; another's mask waits, as staff's and as other's, for the role
        # (the join with ``people`` on the groups, not on every record).
        db.execute(
            f"""
            CREATE OR REPLACE TABLE _bs_per_file AS   -- a person's records, file by file
            WITH {_list_masks_cte()}
            SELECT pr.person_id, r.file,
                bit_or(CASE WHEN r.role_hint = 'STAFF' THEN r.as_staff
                            WHEN r.role_hint = 'PATIENT' THEN r.as_other ELSE 0 END
                       | coalesce(fm.mask, 0)) AS fixed,
                bit_or(CASE WHEN r.role_hint IS DISTINCT FROM 'STAFF'
                            AND r.role_hint IS DISTINCT FROM 'PATIENT' THEN r.as_staff END)
                    AS if_staff,
                bit_or(CASE WHEN r.role_hint IS DISTINCT FROM 'STAFF'
                            AND r.role_hint IS DISTINCT FROM 'PATIENT' THEN r.as_other END)
                    AS if_other,
                bool_or(r.address) AS address
            FROM (SELECT r.record_id, r.role_hint,
                      coalesce({_staff_mask_sql("l.m")}, 0)::INTEGER AS as_staff,
                      coalesce({_other_mask_sql("l.m")}, 0)::INTEGER AS as_other,
                      CASE WHEN r.sha256 IS NOT NULL THEN hash(r.sha256) END AS file,
                      coalesce(r.address <> '', false) AS address
                  FROM records r LEFT JOIN lists l ON l.k = r.entities) r
                JOIN person_records pr USING (record_id)
                LEFT JOIN _bs_fact_masks fm USING (record_id)
            GROUP BY pr.person_id, r.file
            """
        )
        db.execute(
            f"""
            CREATE OR REPLACE TABLE _bs_per_person AS
            SELECT person_id,
                bit_or(coalesce(f.fixed, 0) | coalesce(CASE WHEN p.role = 'STAFF'
                                                            THEN f.if_staff
                                                            ELSE f.if_other END, 0)) AS mask,
                bool_or(f.address) AS address, count(f.file) >= {MANY_FILES} AS many_files
            FROM _bs_per_file f JOIN people p USING (person_id)
            GROUP BY person_id
            """
        )
        db.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _bs_assessed AS
            WITH per_person AS (SELECT * FROM _bs_per_person),
            flagged AS (
                SELECT DISTINCT person_id FROM sensitive_evidence WHERE decided
            ),
            assessed AS (
                SELECT p.*, {_categories_sql("coalesce(a.mask, 0)")} AS new_categories,
                    fl.person_id IS NOT NULL AS new_sensitive,
                    severity_score(
                        new_categories, new_sensitive,
                        coalesce(p.last_name <> '' AND p.first_name <> '', false),
                        coalesce(p.birth_date <> '', false), coalesce(p.nir <> '', false),
                        coalesce(a.address, false),
                        coalesce(len(p.phones) > 0 OR len(p.emails) > 0, false),
                        -- a minor: born less than 18 years before the assessment
                        coalesce(TRY_CAST(p.birth_date AS DATE)
                                 > current_date - INTERVAL 18 YEAR, false),
                        coalesce(a.many_files, false)) AS new_score
                FROM people p LEFT JOIN per_person a USING (person_id)
                    LEFT JOIN flagged fl USING (person_id)
            )
            SELECT * EXCLUDE (new_categories, new_sensitive, new_score)
                REPLACE (new_categories AS categories, new_sensitive AS sensitive,
                         severity_level(new_score) AS severity, new_score AS severity_score)
            FROM assessed
            """
        )
        with case.transaction():
            replace_people(db, "SELECT * FROM _bs_assessed")
    finally:
        db.execute("DROP TABLE IF EXISTS temp._bs_assessed")
        for table in ("_bs_fact_ents", "_bs_fact_masks", "_bs_per_file", "_bs_per_person"):
            db.execute(f"DROP TABLE IF EXISTS main.{table}")


def assess_documents(case: Case) -> None:
    """A first document class per content, from what was found in it."""
    case.db.execute(
        """
        UPDATE contents SET doc_class = CASE
            WHEN contents.status <> 'scanned' THEN NULL
            WHEN contents.type IN ('zip', '7z', 'tar', 'rar', 'gzip') THEN 'archive'
            WHEN s.n_patient > 0 THEN 'patient_list'
            WHEN s.n_staff > 0 THEN 'staff_directory'
            WHEN s.n_records > 0 THEN 'personal_data_table'
            WHEN s.n_findings > 0 THEN 'document_with_personal_data'
            ELSE 'no_personal_data' END
        FROM (
            SELECT c.sha256, coalesce(r.n_patient, 0) AS n_patient,
                coalesce(r.n_staff, 0) AS n_staff, coalesce(r.n_records, 0) AS n_records,
                coalesce(f.n_findings, 0) AS n_findings
            FROM contents c
            LEFT JOIN (
                SELECT sha256, count(*) AS n_records,
                    count(*) FILTER (WHERE role_hint = 'PATIENT') AS n_patient,
                    count(*) FILTER (WHERE role_hint = 'STAFF') AS n_staff
                FROM records GROUP BY sha256) r USING (sha256)
            LEFT JOIN (
                SELECT sha256, count(*) AS n_findings FROM findings GROUP BY sha256
            ) f USING (sha256)
        ) s
        WHERE contents.sha256 = s.sha256
        """
    )


def assess_case(case: Case) -> None:
    from breachscope.assess.roles import assess_roles
    from breachscope.assess.units import find_unit_tables, resolve_unit_values

    find_unit_tables(case)
    resolve_unit_values(case)
    from breachscope.review.apply import apply_role_decisions

    assess_roles(case)
    apply_role_decisions(case)  # roles set by reviewers (docs/review.md)
    assess_people(case)
    assess_documents(case)
