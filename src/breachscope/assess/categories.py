"""Assess: per person the categories exposed, the sensitive flag and a severity; per content
a document class. Reads records and people, writes back into ``people`` and ``contents``."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from breachscope.assess.sensitive import is_sensitive_unit
from breachscope.assess.severity import severity
from breachscope.case import Case
from breachscope.detect.validators import fold

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
    cats = set()
    for entity in entities:
        if role_hint == "STAFF" and entity in STAFF_NOT_HEALTH:
            continue
        cat = ENTITY_CATEGORY.get(entity)
        if cat:
            cats.add(cat)
    return cats


def assess_people(case: Case) -> None:
    rows = case.db.execute(
        """
        SELECT pr.person_id, r.entities, r.role_hint, r.care_unit, r.address
        FROM person_records pr JOIN records r USING (record_id)
        """
    ).fetchall()
    cats: dict[str, set[str]] = defaultdict(set)
    sensitive: dict[str, bool] = defaultdict(bool)
    has_address: dict[str, bool] = defaultdict(bool)
    for person_id, entities, role_hint, care_unit, address in rows:
        cats[person_id] |= record_categories(entities or [], role_hint)
        if care_unit and role_hint != "STAFF" and is_sensitive_unit(fold(care_unit)):
            sensitive[person_id] = True
        has_address[person_id] |= bool(address)
    people = case.db.execute(
        "SELECT person_id, last_name, first_name, birth_date, nir, phones, emails FROM people"
    ).fetchall()
    out: dict[str, list] = defaultdict(list)
    for person_id, last, first, birth, nir, phones, emails in people:
        person_cats = cats[person_id]
        score, lvl = severity(
            person_cats, sensitive[person_id],
            has_full_name=bool(last and first), has_birth_date=bool(birth), has_nir=bool(nir),
            has_address=has_address[person_id], has_contact=bool(phones or emails),
        )
        out["person_id"].append(person_id)
        out["categories"].append([c for c in CATEGORY_ORDER if c in person_cats])
        out["sensitive"].append(sensitive[person_id])
        out["severity"].append(lvl)
        out["severity_score"].append(score)
    if not people:
        return
    table = pa.table({
        "person_id": pa.array(out["person_id"], pa.string()),
        "categories": pa.array(out["categories"], pa.list_(pa.string())),
        "sensitive": pa.array(out["sensitive"], pa.bool_()),
        "severity": pa.array(out["severity"], pa.string()),
        "severity_score": pa.array(out["severity_score"], pa.float64()),
    })
    with case.transaction() as db:
        db.register("assessed", table)
        db.execute(
            """
            UPDATE people SET categories = a.categories, sensitive = a.sensitive,
                severity = a.severity, severity_score = a.severity_score
            FROM assessed a WHERE people.person_id = a.person_id
            """
        )
        db.unregister("assessed")


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
