"""The SQL behind the review pages. Everything is paginated in DuckDB (keyset on
``person_id`` for the people list, LIMIT/OFFSET on a file's findings): a page never pulls a
whole table out of the case, whatever its size."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb

from breachscope import findings_store
from breachscope.case import entity_list_sql

PAGE = 50
RECORDS_SHOWN = 200
FINDINGS_SHOWN = 500

# A person known only by a surname ("Mme Moreau" in a letter): the people the report counts
# apart as unresolved mentions (breachscope.resolve.people, ``_UNRESOLVED``), recognised here
# from the person's own fields.
UNRESOLVED_SQL = (
    "(coalesce(p.first_name, '') = '' AND coalesce(p.nir, '') = '' "
    "AND coalesce(p.birth_date, '') = '' AND coalesce(len(p.phones), 0) = 0 "
    "AND coalesce(len(p.emails), 0) = 0)")

# The findings of a record: same content, at the record's location or inside it (a table
# row's location is ``row 2``, its cells' ``row 2, column nom``).
FINDING_IN_RECORD = ("x.sha256 = r.sha256 AND (x.location = r.location "
                     "OR starts_with(x.location, r.location || ', '))")


@dataclass(slots=True)
class PeopleFilter:
    role: str = ""
    category: str = ""
    sensitive: str = ""  # "", "yes", "no", "undecided"
    severity: str = ""
    file: str = ""
    unresolved: bool = False
    ids: list[str] | None = None  # the answer of a search

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if self.role:
            clauses.append("p.role = ?")
            args.append(self.role)
        if self.category:
            clauses.append("list_contains(p.categories, ?)")
            args.append(self.category)
        if self.sensitive == "yes":
            clauses.append("coalesce(p.sensitive, false)")
        elif self.sensitive == "no":
            clauses.append("NOT coalesce(p.sensitive, false)")
        elif self.sensitive == "undecided":
            clauses.append("NOT coalesce(p.sensitive, false) AND p.person_id IN "
                           "(SELECT person_id FROM sensitive_evidence WHERE NOT decided)")
        if self.severity:
            clauses.append("p.severity = ?")
            args.append(self.severity)
        if self.file:
            clauses.append(
                "p.person_id IN (SELECT pr.person_id FROM files f "
                "JOIN records r ON r.sha256 = f.sha256 "
                "JOIN person_records pr ON pr.record_id = r.record_id WHERE f.path = ?)")
            args.append(self.file)
        if self.unresolved:
            clauses.append(UNRESOLVED_SQL)
        if self.ids is not None:
            clauses.append("list_contains(?, p.person_id)")
            args.append(self.ids)
        return (" AND ".join(clauses) or "TRUE"), args


def people_page(
    db: duckdb.DuckDBPyConnection, flt: PeopleFilter, after: str = ""
) -> tuple[list[dict[str, Any]], int, str | None]:
    """One page of people (keyset after ``after``), the total matching, the next key."""
    where, args = flt.where()
    total = db.execute(f"SELECT count(*) FROM people p WHERE {where}", args).fetchone()[0]
    rows = db.execute(
        f"""
        WITH page AS (
            SELECT p.person_id, p.role, p.last_name, p.first_name, p.birth_date,
                   p.categories, coalesce(p.sensitive, false) AS sensitive, p.severity,
                   p.severity_score
            FROM people p WHERE {where} AND p.person_id > ?
            ORDER BY p.person_id LIMIT {PAGE + 1}
        )
        SELECT page.*, (SELECT count(*) FROM person_records pr
                        WHERE pr.person_id = page.person_id) AS n_records
        FROM page ORDER BY person_id
        """, [*args, after]).fetchall()
    cols = ["person_id", "role", "last_name", "first_name", "birth_date", "categories",
            "sensitive", "severity", "severity_score", "n_records"]
    people = [dict(zip(cols, r, strict=True)) for r in rows[:PAGE]]
    next_key = people[-1]["person_id"] if len(rows) > PAGE else None
    return people, int(total), next_key


def choices(db: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The values the people filters offer."""
    return {
        "role": [r for (r,) in db.execute(
            "SELECT DISTINCT role FROM people WHERE role IS NOT NULL ORDER BY 1").fetchall()],
        "severity": [r for (r,) in db.execute(
            "SELECT DISTINCT severity FROM people WHERE severity IS NOT NULL "
            "ORDER BY 1").fetchall()],
        "category": [r for (r,) in db.execute(
            "SELECT DISTINCT unnest(categories) FROM people ORDER BY 1").fetchall()],
    }


PERSON_COLS = ["person_id", "role", "last_name", "first_name", "birth_date", "nir", "phones",
               "emails", "postal_code", "city", "categories", "sensitive", "severity",
               "severity_score"]

RECORD_COLS = ["record_id", "sha256", "location", "last_name", "first_name", "full_name",
               "birth_date", "sex", "nir", "phones", "emails", "address", "postal_code",
               "city", "ibans", "patient_id", "care_unit", "visit_date", "role_hint",
               "entities", "icd10_codes"]


def person(db: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, Any] | None:
    row = db.execute(f"SELECT {', '.join(PERSON_COLS)} FROM people WHERE person_id = ?",
                     [person_id]).fetchone()
    return dict(zip(PERSON_COLS, row, strict=True)) if row else None


def person_records(db: duckdb.DuckDBPyConnection, person_id: str) -> tuple[list[dict], int]:
    """The person's records (the first :data:`RECORDS_SHOWN`), each with one path of its
    file, and how many there are."""
    total = db.execute("SELECT count(*) FROM person_records WHERE person_id = ?",
                       [person_id]).fetchone()[0]
    cols = ", ".join(entity_list_sql("r.entities") if c == "entities" else f"r.{c}"
                     for c in RECORD_COLS)
    rows = db.execute(
        f"""
        SELECT {cols}, (SELECT min(path) FROM files f WHERE f.sha256 = r.sha256) AS path
        FROM person_records pr JOIN records r USING (record_id)
        WHERE pr.person_id = ? ORDER BY path, r.location, r.record_id LIMIT {RECORDS_SHOWN}
        """, [person_id]).fetchall()
    return [dict(zip([*RECORD_COLS, "path"], r, strict=True)) for r in rows], int(total)


def all_record_ids(db: duckdb.DuckDBPyConnection, person_id: str) -> list[str]:
    return [r for (r,) in db.execute(
        "SELECT record_id FROM person_records WHERE person_id = ? ORDER BY record_id",
        [person_id]).fetchall()]


def person_of_record(db: duckdb.DuckDBPyConnection, record_id: str) -> str | None:
    row = db.execute("SELECT person_id FROM person_records WHERE record_id = ?",
                     [record_id]).fetchone()
    return row[0] if row else None


def record_findings(db: duckdb.DuckDBPyConnection, record_ids: list[str]) -> list[dict]:
    """The findings inside the given records, with the record they belong to."""
    rows = db.execute(
        f"""
        SELECT r.record_id, x.sha256, x.location, x.entity, x.value, x.confidence, x.detector
        FROM records r JOIN findings x ON {FINDING_IN_RECORD}
        WHERE list_contains(?, r.record_id)
        ORDER BY r.record_id, x.location, x.entity LIMIT {FINDINGS_SHOWN}
        """, [record_ids]).fetchall()
    cols = ["record_id", "sha256", "location", "entity", "value", "confidence", "detector"]
    return [dict(zip(cols, r, strict=True)) for r in rows]


def record_facts(db: duckdb.DuckDBPyConnection, record_ids: list[str]) -> list[dict]:
    """Facts attached to the records from other rows (a stay, a diagnosis in a child table)."""
    rows = db.execute(
        f"""
        SELECT fa.record_id, fa.sha256, fa.location, fa.entity, fa.value, fa.via, fa.hops,
               (SELECT min(path) FROM files f WHERE f.sha256 = fa.sha256) AS path
        FROM facts fa WHERE list_contains(?, fa.record_id)
        ORDER BY fa.record_id, path, fa.location LIMIT {FINDINGS_SHOWN}
        """, [record_ids]).fetchall()
    cols = ["record_id", "sha256", "location", "entity", "value", "via", "hops", "path"]
    return [dict(zip(cols, r, strict=True)) for r in rows]


def sensitive_evidence(db: duckdb.DuckDBPyConnection, person_id: str) -> list[dict]:
    rows = db.execute(
        """
        SELECT e.record_id, e.location, e.category, e.reason, e.decided,
               (SELECT min(path) FROM files f WHERE f.sha256 = e.sha256) AS path
        FROM sensitive_evidence e WHERE e.person_id = ?
        ORDER BY e.decided DESC, e.category, path, e.location LIMIT 200
        """, [person_id]).fetchall()
    cols = ["record_id", "location", "category", "reason", "decided", "path"]
    return [dict(zip(cols, r, strict=True)) for r in rows]


def find_finding(
    db: duckdb.DuckDBPyConnection, sha256: str, location: str, entity: str,
) -> list[str]:
    """The values found at one place (the form names a finding without its value: the page
    must not carry it in clear)."""
    return [v for (v,) in db.execute(
        "SELECT value FROM findings WHERE sha256 = ? AND location = ? AND entity = ?",
        [sha256, location, entity]).fetchall()]


def meta(db: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


FILE_COLS = ["path", "sha256", "size", "parent", "depth", "type", "doc_class", "status",
             "reason", "n_units", "seconds"]


def file_info(db: duckdb.DuckDBPyConnection, path: str) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT f.path, f.sha256, f.size, f.parent, f.depth, c.type, c.doc_class, "
        "coalesce(c.status, 'pending'), c.reason, c.n_units, c.seconds "
        "FROM files f LEFT JOIN contents c USING (sha256) WHERE f.path = ?", [path]).fetchone()
    return dict(zip(FILE_COLS, row, strict=True)) if row else None


def file_findings(
    db: duckdb.DuckDBPyConnection, sha256: str, offset: int
) -> tuple[list[dict], int]:
    total = db.execute("SELECT count(*) FROM findings WHERE sha256 = ?", [sha256]).fetchone()[0]
    rows = db.execute(
        f"SELECT sha256, location, entity, value, confidence, detector "
        f"FROM {findings_store.IN_ORDER} WHERE sha256 = ? ORDER BY _k1, _k2, _k3 "
        f"LIMIT {PAGE * 2} OFFSET ?", [sha256, offset]).fetchall()
    cols = ["sha256", "location", "entity", "value", "confidence", "detector"]
    return [dict(zip(cols, r, strict=True)) for r in rows], int(total)


def file_people(db: duckdb.DuckDBPyConnection, sha256: str) -> tuple[list[dict], int]:
    total = db.execute(
        "SELECT count(DISTINCT pr.person_id) FROM records r JOIN person_records pr "
        "USING (record_id) WHERE r.sha256 = ?", [sha256]).fetchone()[0]
    rows = db.execute(
        f"""
        SELECT p.person_id, p.role, p.last_name, p.first_name, p.birth_date,
               coalesce(p.sensitive, false), p.severity
        FROM people p WHERE p.person_id IN (
            SELECT pr.person_id FROM records r JOIN person_records pr USING (record_id)
            WHERE r.sha256 = ?)
        ORDER BY p.person_id LIMIT {PAGE * 2}
        """, [sha256]).fetchall()
    cols = ["person_id", "role", "last_name", "first_name", "birth_date", "sensitive",
            "severity"]
    return [dict(zip(cols, r, strict=True)) for r in rows], int(total)


def files_page(
    db: duckdb.DuckDBPyConnection, after: str = "", status: str = "", only_found: bool = False,
) -> tuple[list[dict], str | None]:
    """A page of the dump's files by path (keyset), with their status and finding count."""
    clauses, args = ["f.path > ?"], [after]
    if status:
        clauses.append("coalesce(c.status, 'pending') = ?")
        args.append(status)
    if only_found:
        clauses.append("EXISTS (SELECT 1 FROM findings x WHERE x.sha256 = f.sha256)")
    rows = db.execute(
        f"""
        WITH page AS (
            SELECT f.path, f.sha256, f.size, c.type, c.doc_class,
                   coalesce(c.status, 'pending') AS status
            FROM files f LEFT JOIN contents c USING (sha256)
            WHERE {' AND '.join(clauses)} ORDER BY f.path LIMIT {PAGE + 1}
        )
        SELECT page.*, (SELECT count(*) FROM findings x WHERE x.sha256 = page.sha256)
        FROM page ORDER BY path
        """, args).fetchall()
    cols = ["path", "sha256", "size", "type", "doc_class", "status", "n_findings"]
    out = [dict(zip(cols, r, strict=True)) for r in rows[:PAGE]]
    return out, (out[-1]["path"] if len(rows) > PAGE else None)


def path_of(db: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    row = db.execute("SELECT min(path) FROM files WHERE sha256 = ?", [sha256]).fetchone()
    return row[0] if row else None


def members(db: duckdb.DuckDBPyConnection, path: str) -> tuple[list[dict], int]:
    """The members of an archive or the attachments of a message (the first 100)."""
    total = db.execute("SELECT count(*) FROM files WHERE parent = ?", [path]).fetchone()[0]
    rows = db.execute(
        f"SELECT f.path, c.type, coalesce(c.status, 'pending') FROM files f "
        f"LEFT JOIN contents c USING (sha256) WHERE f.parent = ? ORDER BY f.path "
        f"LIMIT {PAGE * 2}", [path]).fetchall()
    return [dict(zip(["path", "type", "status"], r, strict=True)) for r in rows], int(total)


def qc_values(db: duckdb.DuckDBPyConnection, item_ids: list[int]) -> dict[int, str]:
    """The values of drawn findings (the QC page shows them masked)."""
    if not item_ids:
        return {}
    return dict(db.execute(
        "SELECT item_id, value FROM qc_samples WHERE list_contains(?, item_id) "
        "AND value IS NOT NULL", [item_ids]).fetchall())


def linkage_pairs(db: duckdb.DuckDBPyConnection, record_ids: list[str]) -> list[dict]:
    """The pairs of these records the probabilistic linkage accepted, most probable first."""
    if not record_ids:
        return []
    rows = db.execute(
        "SELECT record_id_a, record_id_b, match_probability FROM linkage_pairs "
        "WHERE record_id_a IN (SELECT unnest(?)) AND record_id_b IN (SELECT unnest(?)) "
        "ORDER BY match_probability DESC, record_id_a, record_id_b LIMIT 200",
        [record_ids, record_ids]).fetchall()
    # Splink's match weight is log2 of the posterior odds: log2(p / (1 - p)).
    return [{"a": a, "b": b, "probability": prob,
             "weight": math.log2(prob / (1 - prob)) if 0 < prob < 1 else None}
            for a, b, prob in rows]
