"""Assess: per person the categories exposed, the sensitive flag and a severity; per content
a document class. Reads records and people, writes back into ``people`` and ``contents``."""

from __future__ import annotations

from breachscope.assess.sensitive import SENSITIVE_UNIT_PATTERNS
from breachscope.assess.severity import install_severity_macros
from breachscope.case import Case
from breachscope.resolve.people import install_fold_macro

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


def _entity_category_values() -> str:
    rows = [f"('{entity}', '{cat}', {CATEGORY_ORDER.index(cat)})"
            for entity, cat in ENTITY_CATEGORY.items()]
    return "(VALUES " + ", ".join(rows) + ") AS m(entity, category, rank)"


def sensitive_unit_regex() -> str:
    """:data:`SENSITIVE_UNIT_PATTERNS` for DuckDB (RE2): Python's ``\\b`` is Unicode-aware and
    RE2's is ASCII-only, so each ``\\b`` (always next to a letter of the pattern) becomes "start,
    end, or a character that is neither a letter, a digit nor ``_``"."""
    return SENSITIVE_UNIT_PATTERNS.pattern.replace("\\b", r"(?:^|$|[^\pL\pN_])")


def assess_people(case: Case) -> None:
    """Categories, sensitive flag and severity of every person, in SQL.

    The same rules as :func:`record_categories`, :func:`~breachscope.assess.sensitive.
    is_sensitive_unit` on the folded unit and :func:`~breachscope.assess.severity.severity`
    (those stay the reference: the tests check the SQL against them). The people are written
    back whole (delete and insert in one transaction): DuckDB updates list columns of a
    keyed table very slowly."""
    db = case.db
    install_fold_macro(db)
    install_severity_macros(db)
    staff_not_health = ", ".join(f"'{e}'" for e in sorted(STAFF_NOT_HEALTH))
    sensitive_re = sensitive_unit_regex().replace("'", "''")
    try:
        db.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _bs_assessed AS
            WITH per_record AS (
                SELECT pr.person_id, r.entities, r.role_hint, r.care_unit, r.address
                FROM person_records pr JOIN records r USING (record_id)
            ),
            cats AS (
                SELECT person_id, list(category ORDER BY rank) AS categories
                FROM (
                    SELECT DISTINCT x.person_id, m.category, m.rank
                    FROM (SELECT person_id, role_hint, unnest(entities) AS entity
                          FROM per_record) x
                    JOIN {_entity_category_values()} USING (entity)
                    WHERE NOT (x.role_hint IS NOT DISTINCT FROM 'STAFF'
                               AND x.entity IN ({staff_not_health}))
                )
                GROUP BY person_id
            ),
            units AS (   -- a few distinct units: fold and match each once
                SELECT care_unit, regexp_matches(fold(care_unit), '{sensitive_re}') AS sensitive
                FROM (SELECT DISTINCT care_unit FROM records WHERE care_unit <> '')
            ),
            flags AS (
                SELECT x.person_id,
                    bool_or(coalesce(u.sensitive AND x.role_hint IS DISTINCT FROM 'STAFF',
                                     false)) AS sensitive,
                    bool_or(coalesce(x.address <> '', false)) AS has_address
                FROM per_record x LEFT JOIN units u USING (care_unit)
                GROUP BY x.person_id
            ),
            assessed AS (
                SELECT p.person_id, coalesce(c.categories, []) AS categories,
                    coalesce(f.sensitive, false) AS sensitive,
                    severity_score(
                        coalesce(c.categories, []), coalesce(f.sensitive, false),
                        coalesce(p.last_name <> '' AND p.first_name <> '', false),
                        coalesce(p.birth_date <> '', false), coalesce(p.nir <> '', false),
                        coalesce(f.has_address, false),
                        coalesce(len(p.phones) > 0 OR len(p.emails) > 0, false)) AS score
                FROM people p LEFT JOIN cats c USING (person_id)
                    LEFT JOIN flags f USING (person_id)
            )
            SELECT p.* REPLACE (a.categories AS categories, a.sensitive AS sensitive,
                                severity_level(a.score) AS severity, a.score AS severity_score)
            FROM people p JOIN assessed a USING (person_id)
            """
        )
        with case.transaction():
            db.execute("DELETE FROM people")
            db.execute("INSERT INTO people BY NAME SELECT * FROM _bs_assessed")
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
    assess_people(case)
    assess_documents(case)
