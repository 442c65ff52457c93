"""The SQL behind exports and the report: one place that says what a file, a finding and a
person look like outside the case store (CONTRACT.md columns)."""

from __future__ import annotations

from breachscope import findings_store

FILES_SQL = f"""
SELECT f.path AS file,
       CASE WHEN starts_with(f.sha256, 'unread:') THEN NULL ELSE f.sha256 END AS sha256,
       f.size AS size,
       c.type AS type,
       c.doc_class AS doc_class,
       coalesce(c.status, 'pending') AS status,
       c.reason AS reason,
       coalesce(nf.n, 0) AS n_findings,
       coalesce(np.n, 0) AS n_people
FROM files f
LEFT JOIN contents c USING (sha256)
LEFT JOIN (SELECT sha256, sum(n) AS n FROM {findings_store.COUNTS} GROUP BY sha256) nf
    USING (sha256)
LEFT JOIN (
    SELECT r.sha256, count(DISTINCT pr.person_id) AS n
    FROM records r JOIN person_records pr USING (record_id) GROUP BY r.sha256
) np USING (sha256)
ORDER BY f.path
"""

FINDINGS_SQL = f"""
SELECT f.path AS file, x.location, x.entity, x.value, x.confidence, x.detector
FROM {findings_store.IN_ORDER} x JOIN files f USING (sha256)
ORDER BY f.path, x._k1, x._k2, x._k3
"""

# After the contract's columns: ``mpi_*``, ``identified``, ``sensitive_reasons`` (the
# categories of the evidence that flags the person: ``addiction;hiv``) and
# ``sensitive_undecided`` (not flagged, but a coded unit no table decodes). The mpi_* columns
# come from `breachscope link` (tables of breachscope.resolve.mpi, empty until it runs): the
# hospital index's id and current contact details, for notification.
PEOPLE_SQL = """
WITH person_files AS (
    SELECT pr.person_id, string_agg(DISTINCT fl.path, ';' ORDER BY fl.path) AS files
    FROM person_records pr
    JOIN records r USING (record_id)
    JOIN files fl ON fl.sha256 = r.sha256
    GROUP BY pr.person_id
),
evidence AS (
    SELECT person_id,
        string_agg(DISTINCT category, ';' ORDER BY category) FILTER (WHERE decided) AS reasons,
        bool_or(NOT decided) AS undecided
    FROM sensitive_evidence GROUP BY person_id
)
SELECT p.person_id, p.role, p.last_name, p.first_name, p.birth_date, p.nir,
       nullif(array_to_string(p.phones, ';'), '') AS phones,
       nullif(array_to_string(p.emails, ';'), '') AS emails,
       p.postal_code, p.city,
       nullif(array_to_string(p.categories, ';'), '') AS categories,
       coalesce(p.sensitive, false) AS sensitive,
       p.severity,
       pf.files,
       ml.mpi_id,
       nullif(concat_ws(', ', mp.address, nullif(concat_ws(' ', mp.postal_code, mp.city), '')),
              '') AS mpi_address,
       mp.phone AS mpi_phone,
       mp.email AS mpi_email,
       -- false for an unresolved mention: a surname and nothing else (docs/resolution.md)
       NOT (coalesce(p.first_name, '') = '' AND coalesce(p.birth_date, '') = ''
            AND coalesce(p.nir, '') = '' AND len(p.phones) = 0 AND len(p.emails) = 0)
           AS identified,
       ev.reasons AS sensitive_reasons,
       coalesce(NOT coalesce(p.sensitive, false) AND ev.undecided, false)
           AS sensitive_undecided
FROM people p LEFT JOIN person_files pf USING (person_id)
LEFT JOIN evidence ev USING (person_id)
LEFT JOIN mpi_links ml USING (person_id)
LEFT JOIN mpi_people mp ON mp.mpi_id = ml.mpi_id
ORDER BY p.person_id
"""

QUERIES = {"files": FILES_SQL, "findings": FINDINGS_SQL, "people": PEOPLE_SQL}
