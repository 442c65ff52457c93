"""Assess: per person the categories exposed, the sensitive flag and a severity; per content
a document class. Reads records and people, writes back into ``people`` and ``contents``."""

from __future__ import annotations

from breachscope.assess.sensitive import SENSITIVE_UNIT_PATTERNS, sensitive_code_regex
from breachscope.assess.severity import MANY_FILES, install_severity_macros
from breachscope.case import Case
from breachscope.resolve.people import install_fold_macro, replace_people

ENTITY_CATEGORY = {
    **dict.fromkeys(
        ["PERSON", "LAST_NAME", "FIRST_NAME", "BIRTH_DATE", "SEX", "AGE", "PATIENT_ID",
         "STAY_ID", "RPPS"], "IDENTITY"),
    **dict.fromkeys(["ADDRESS", "POSTAL_CODE", "CITY", "PHONE", "EMAIL"], "CONTACT"),
    **dict.fromkeys(["NIR", "ID_DOCUMENT"], "NATIONAL_ID"),
    **dict.fromkeys(["IBAN", "PAYMENT_CARD"], "FINANCIAL"),
    **dict.fromkeys(
        ["VISIT_DATE", "CARE_UNIT", "ICD10_CODE", "DIAGNOSIS", "MEDICATION", "PROCEDURE"],
        "HEALTH"),
    "CREDENTIAL": "CREDENTIALS",
}
CATEGORY_ORDER = ["IDENTITY", "CONTACT", "NATIONAL_ID", "HEALTH", "FINANCIAL", "CREDENTIALS"]
# For a staff row, the unit is the workplace and the date a shift: not health data about them.
STAFF_NOT_HEALTH = {"CARE_UNIT", "VISIT_DATE"}


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


def _record_mask_sql() -> str:
    """SQL: the categories of one record (columns ``entities``, ``role_hint``) as a bit mask,
    bit i for ``CATEGORY_ORDER[i]``; the rules of :func:`record_categories`."""
    whens = " ".join(f"WHEN '{entity}' THEN {1 << CATEGORY_ORDER.index(cat)}"
                     for entity, cat in ENTITY_CATEGORY.items())
    staff = ", ".join(f"'{e}'" for e in sorted(STAFF_NOT_HEALTH))
    bit = (f"CASE WHEN role_hint IS NOT DISTINCT FROM 'STAFF' AND e IN ({staff}) THEN 0 "
           f"ELSE CASE e {whens} ELSE 0 END END")
    return f"coalesce(list_aggregate(list_transform(entities, lambda e: {bit}), 'bit_or'), 0)"


def _categories_sql(mask: str) -> str:
    """SQL: the category list (in ``CATEGORY_ORDER``) of a bit mask."""
    return " || ".join(f"CASE WHEN {mask} & {1 << i} <> 0 THEN ['{cat}'] ELSE [] END"
                       for i, cat in enumerate(CATEGORY_ORDER))


def sensitive_unit_regex() -> str:
    """:data:`SENSITIVE_UNIT_PATTERNS` for DuckDB (RE2): Python's ``\\b`` is Unicode-aware and
    RE2's is ASCII-only, so each ``\\b`` (always next to a letter of the pattern) becomes "start,
    end, or a character that is neither a letter, a digit nor ``_``"."""
    return SENSITIVE_UNIT_PATTERNS.pattern.replace("\\b", r"(?:^|$|[^\pL\pN_])")


def assess_people(case: Case) -> None:
    """Categories, sensitive flag and severity of every person, in SQL.

    The same rules as :func:`record_categories`, :func:`~breachscope.assess.sensitive.
    is_sensitive_unit` on the folded unit, :func:`~breachscope.assess.sensitive.
    is_sensitive_code` on the ICD-10 codes and CCAM acts of the record's row (findings whose
    location is the record's plus ``, column ...``, and the record's ``icd10_codes`` when the
    ``records`` table has that column) and :func:`~breachscope.assess.severity.severity`
    (those stay the reference: the tests check the SQL against them). ``people`` is written
    back whole (:func:`~breachscope.resolve.people.replace_people`)."""
    db = case.db
    install_fold_macro(db)
    install_severity_macros(db)
    sensitive_re = sensitive_unit_regex().replace("'", "''")
    code_re = sensitive_code_regex().replace("'", "''")
    # A record also carries the codes found in its own table row: findings located at
    # "<record location>, column X" (see _coded_rows_sql).
    record_columns = {row[0] for row in db.execute("DESCRIBE records").fetchall()}
    own_codes = (f"list_bool_or(list_transform(coalesce(r.icd10_codes, []), "
                 f"lambda c: regexp_matches(c, '{code_re}')))"
                 if "icd10_codes" in record_columns else "false")
    try:
        db.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _bs_assessed AS
            WITH units AS (   -- a few distinct units: fold and match each once
                SELECT care_unit, regexp_matches(fold(care_unit), '{sensitive_re}') AS sensitive
                FROM (SELECT DISTINCT care_unit FROM records WHERE care_unit <> '')
            ),
            coded AS (   -- table rows whose cells hold a sensitive ICD-10 code or act
                SELECT DISTINCT sha256, regexp_replace(location, ', column .*$', '') AS location
                FROM findings
                WHERE entity IN ('ICD10_CODE', 'PROCEDURE')
                    AND regexp_matches(value, '{code_re}')
            ),
            per_person AS (
                SELECT pr.person_id, bit_or({_record_mask_sql()}) AS mask,
                    bool_or(coalesce((u.sensitive OR c.location IS NOT NULL OR {own_codes})
                                     AND r.role_hint IS DISTINCT FROM 'STAFF',
                                     false)) AS sensitive,
                    bool_or(coalesce(r.address <> '', false)) AS address,
                    count(DISTINCT r.sha256) >= {MANY_FILES} AS many_files
                FROM person_records pr JOIN records r USING (record_id)
                    LEFT JOIN units u USING (care_unit)
                    LEFT JOIN coded c ON c.sha256 = r.sha256 AND c.location = r.location
                GROUP BY pr.person_id
            ),
            assessed AS (
                SELECT p.*, {_categories_sql("coalesce(a.mask, 0)")} AS new_categories,
                    coalesce(a.sensitive, false) AS new_sensitive,
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

    assess_roles(case)
    assess_people(case)
    assess_documents(case)
