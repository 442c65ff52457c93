"""Severity of a breach for one person: the ENISA 2013 method, SE = DPC × EI + CB.

- DPC, data-processing context (1–4), from the most serious data category exposed:
  simple identity/contact 1; national identifier 2 (enables identity fraud); financial 3;
  health 3, raised to 4 when the care is sensitive (psychiatry, addiction, HIV, sexual health,
  pregnancy termination, genetics) — ENISA rates "actual results" and sensitive health data 4.
- EI, ease of identification: 1 (maximum) with a NIR, or a full name with a birth date or a
  postal address; 0.75 with a full name and a phone or e-mail; 0.5 with a full name alone;
  0.25 otherwise.
- CB, circumstances: a published leak is a confidentiality loss to unknown recipients (+0.5)
  with malicious intent (+0.5): 1.0 for every person of a ransomware leak.
- DPC adjustments (ENISA: "vulnerable individuals", "volume of data"): +1 for a minor (a birth
  date less than 18 years ago), +1 when the person appears in at least
  :data:`MANY_FILES` distinct files (a history rather than a line in a list); at most 4.
- Levels: low < 2, medium 2–3, high 3–4, very high ≥ 4.
The full reasoning lives in docs/severity.md.
"""

from __future__ import annotations

import duckdb

CIRCUMSTANCES_PUBLISHED_MALICIOUS = 1.0
#: A person found in this many distinct files has a history exposed, not a line of a list.
MANY_FILES = 5


def data_processing_context(categories: set[str], sensitive: bool, *, minor: bool = False,
                            many_files: bool = False) -> float:
    if "HEALTH" in categories:
        base = 4.0 if sensitive else 3.0
    elif "FINANCIAL" in categories:
        base = 3.0
    elif "NATIONAL_ID" in categories or "CREDENTIALS" in categories:
        base = 2.0
    else:
        base = 1.0
    return min(4.0, base + minor + many_files)


def ease_of_identification(
    *, has_full_name: bool, has_birth_date: bool, has_nir: bool, has_address: bool,
    has_contact: bool,
) -> float:
    if has_nir or (has_full_name and (has_birth_date or has_address)):
        return 1.0
    if has_full_name and has_contact:
        return 0.75
    if has_full_name:
        return 0.5
    return 0.25


def level(score: float) -> str:
    if score < 2:
        return "low"
    if score < 3:
        return "medium"
    if score < 4:
        return "high"
    return "very high"


def severity(
    categories: set[str], sensitive: bool, *, has_full_name: bool, has_birth_date: bool,
    has_nir: bool, has_address: bool, has_contact: bool, minor: bool = False,
    many_files: bool = False, circumstances: float = CIRCUMSTANCES_PUBLISHED_MALICIOUS,
) -> tuple[float, str]:
    dpc = data_processing_context(categories, sensitive, minor=minor, many_files=many_files)
    ei = ease_of_identification(
        has_full_name=has_full_name, has_birth_date=has_birth_date, has_nir=has_nir,
        has_address=has_address, has_contact=has_contact,
    )
    score = round(dpc * ei + circumstances, 2)
    return score, level(score)


# The same formula as SQL macros, for assessing every person inside DuckDB
# (``assess.categories.assess_people``); the functions above are the reference and the tests
# check that both agree on every combination. ``categories`` is a VARCHAR[].
SEVERITY_MACROS_SQL = f"""
CREATE OR REPLACE TEMP MACRO severity_dpc(categories, sensitive, minor, many) AS least(4.0,
    CASE
    WHEN list_contains(categories, 'HEALTH') THEN CASE WHEN sensitive THEN 4.0 ELSE 3.0 END
    WHEN list_contains(categories, 'FINANCIAL') THEN 3.0
    WHEN list_contains(categories, 'NATIONAL_ID')
        OR list_contains(categories, 'CREDENTIALS') THEN 2.0
    ELSE 1.0 END + minor::INT + many::INT)::DOUBLE;
CREATE OR REPLACE TEMP MACRO severity_ei(full_name, birth_date, nir, address, contact) AS CASE
    WHEN nir OR (full_name AND (birth_date OR address)) THEN 1.0
    WHEN full_name AND contact THEN 0.75
    WHEN full_name THEN 0.5
    ELSE 0.25 END::DOUBLE;
CREATE OR REPLACE TEMP MACRO severity_score(categories, sensitive, full_name, birth_date, nir,
        address, contact, minor, many) AS
    round(severity_dpc(categories, sensitive, minor, many)
          * severity_ei(full_name, birth_date, nir, address, contact)
          + {CIRCUMSTANCES_PUBLISHED_MALICIOUS!r}::DOUBLE, 2);
CREATE OR REPLACE TEMP MACRO severity_level(score) AS CASE
    WHEN score < 2 THEN 'low' WHEN score < 3 THEN 'medium' WHEN score < 4 THEN 'high'
    ELSE 'very high' END;
"""


def install_severity_macros(db: duckdb.DuckDBPyConnection) -> None:
    """Define ``severity_dpc``, ``severity_ei``, ``severity_score`` and ``severity_level``
    (temporary macros, arguments are booleans that must not be NULL) on this connection."""
    db.execute(SEVERITY_MACROS_SQL)
