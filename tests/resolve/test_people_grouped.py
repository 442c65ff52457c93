"""People resolution's grouped statements (issue 15) give what the per-record ones gave.

At 1 GB a dump holds 7.6 M records but some 15 000 distinct ones, so ``resolve.people`` folds
names per distinct value, counts placeholders over grouped records, reads the mentions' flags
in one pass over the records and builds the NIR, name + birth date and name + contact keys
once per group of records with equal key inputs (``_bs_kgroups``). Here the statements as they
were before (copied verbatim below) and the current ones resolve the same generated case,
full of copies, placeholders, bare surnames in letters and table rows: the people, their
records, the linkage pairs and the counts kept in ``meta`` must be identical.
"""

from __future__ import annotations

import random

import pytest
from people_reference import insert_records

from breachscope.case import Case
from breachscope.resolve import linkage, people, placeholders

# ----------------------------------------------------------------- the statements as they were

OLD_RAW = """
CREATE OR REPLACE TEMP TABLE _bs_raw AS
WITH numbered AS (
    SELECT record_id, row_number() OVER (ORDER BY record_id) AS rn FROM records
)
SELECT n.rn, record_id, left(nir, 13) AS nir,
    birth_date, phones, emails, postal_code, trim(patient_id) AS patient_id,
    CASE WHEN last_name <> '' THEN fold(last_name)
         WHEN full_name <> '' THEN fold(full_name) END AS fold_last,
    CASE WHEN last_name <> '' THEN fold(coalesce(first_name, ''))
         WHEN full_name <> '' THEN ''
         -- Only a first name: no name key (fold_last is NULL), but the linkage sees it.
         WHEN first_name <> '' THEN fold(first_name) END AS fold_first
FROM records JOIN numbered n USING (record_id)
"""

OLD_MENTIONS = """
CREATE OR REPLACE TEMP TABLE _bs_context AS
WITH rec AS (
    SELECT b.rn, r.sha256, b.fold_last, b.fold_first,
        coalesce(b.fold_first, '') = '' AND coalesce(r.nir, '') = ''
            AND coalesce(r.birth_date, '') = '' AND coalesce(len(r.phones), 0) = 0
            AND coalesce(len(r.emails), 0) = 0 AND coalesce(r.patient_id, '') = ''
            AND coalesce(r.address, '') = ''
            AND NOT regexp_matches(coalesce(r.location, ''), '(^|, )row \\d+$') AS bare
    FROM _bs_rec b JOIN records r USING (record_id)
    WHERE r.sha256 IS NOT NULL AND coalesce(b.fold_last, '') <> ''
),
candidates AS (
    SELECT m.rn AS a, min(n.rn) AS b, count(DISTINCT n.fold_first) AS names
    FROM rec m JOIN rec n ON n.sha256 = m.sha256 AND n.fold_last = m.fold_last
        AND NOT n.bare AND n.fold_first <> ''
    WHERE m.bare GROUP BY m.rn
)
SELECT a, b FROM candidates WHERE names = 1
"""

OLD_KEYS = """
CREATE OR REPLACE TEMP TABLE _bs_keys AS
WITH named AS (
    SELECT rn, nir, birth_date, phones, emails,
        'n' || chr(31) || fold_last || chr(31) || fold_first AS name
    FROM _bs_rec
)
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
SELECT rn, name FROM named
    WHERE name IS NOT NULL AND coalesce(nir, '') = '' AND coalesce(birth_date, '') = ''
        AND coalesce(len(emails), 0) = 0 AND coalesce(len(phones), 0) = 0
        AND rn NOT IN (SELECT a FROM _bs_context)
        -- Only bare surname mentions ("Mme Moreau"): a first and last name with nothing
        -- else is no key, it may be any of the namesakes (the linkage weighs how common).
        AND ({bare_full} OR (ends_with(name, chr(31)) AND rn NOT IN (
            -- a surname with an address or a patient number: the linkage weighs them
            SELECT b.rn FROM _bs_rec b JOIN records r USING (record_id)
            WHERE coalesce(r.address, '') <> '' OR coalesce(r.patient_id, '') <> '')))
"""

OLD_EDGES = """
CREATE OR REPLACE TEMP TABLE _bs_edges AS
SELECT DISTINCT k.rn AS a, x.anchor AS b
FROM _bs_keys k JOIN (SELECT key, min(rn) AS anchor FROM _bs_keys GROUP BY key) x USING (key)
WHERE k.rn <> x.anchor
"""

OLD_UNRESOLVED = """
WITH bare AS (
    SELECT x.root, coalesce(b.fold_first, '') = '' AND coalesce(r.nir, '') = ''
        AND coalesce(r.birth_date, '') = '' AND coalesce(len(r.phones), 0) = 0
        AND coalesce(len(r.emails), 0) = 0 AS bare
    FROM _bs_root x JOIN _bs_rec b USING (rn) JOIN records r ON r.record_id = x.record_id
)
SELECT coalesce(sum(n), 0), count(*) FROM (
    SELECT root, count(*) AS n FROM bare GROUP BY root HAVING bool_and(bare))
"""

OLD_FREQUENT = """
CREATE OR REPLACE TEMP TABLE _bs_placeholders AS
WITH _raw AS (
    SELECT nir, birth_date, phones, emails, postal_code, patient_id,
        coalesce(nullif(fold_last, ''), fold_first) AS who
    FROM _bs_raw
),
vals AS MATERIALIZED (
    SELECT 'birth' AS kind, birth_date AS value, who FROM _raw WHERE birth_date <> ''
    UNION ALL SELECT 'nir', nir, who FROM _raw WHERE nir <> ''
    UNION ALL SELECT 'ipp', patient_id, who FROM _raw WHERE patient_id <> ''
    UNION ALL SELECT 'postal', postal_code, who FROM _raw WHERE postal_code <> ''
    UNION ALL SELECT 'phone', unnest(phones), who FROM _raw WHERE len(phones) > 0
    UNION ALL SELECT 'email', lower(unnest(emails)), who FROM _raw WHERE len(emails) > 0
),
counts AS (SELECT kind, value, count(*) AS records FROM vals WHERE value <> '' GROUP BY ALL),
spread AS (SELECT kind, median(records) AS median_records FROM counts GROUP BY kind),
-- A value needs more records than names: distinct names are counted only for the values
-- with enough records (counting them for every value costs more than the rest).
candidates AS (
    SELECT c.*, {static} AS known, s.median_records
    FROM counts c JOIN spread s USING (kind)
    WHERE {static}
       OR (kind <> 'birth' AND kind <> 'postal' AND records > {max_owner})
       OR (kind = 'birth' AND records > greatest({max_date}, {ratio} * median_records))
),
names AS (
    SELECT v.kind, v.value, count(DISTINCT v.who) AS names
    FROM vals v SEMI JOIN candidates c ON c.kind = v.kind AND c.value = v.value
    GROUP BY ALL
)
SELECT kind, value, records, names, CASE WHEN known THEN 'known' ELSE 'shared' END AS why
FROM candidates JOIN names USING (kind, value)
WHERE known
   OR (kind <> 'birth' AND kind <> 'postal' AND names > {max_owner})
   OR (kind = 'birth' AND names > greatest({max_date}, {ratio} * median_records))
"""



OLD_LINK_RAW = """
CREATE OR REPLACE TEMP TABLE _bs_link_raw AS
SELECT min(b.rn) AS rn, count(*) AS _raw_n, list(b.rn) AS _raw_members, e.grp,
    b.* EXCLUDE (rn, record_id),
    r.address AS r_address, r.birth_date AS r_birth_date, r.city AS r_city,
    r.emails AS r_emails, r.full_name AS r_full_name, r.nir AS r_nir,
    r.patient_id AS r_patient_id, r.phones AS r_phones, r.sex AS r_sex
FROM _bs_rec b JOIN _bs_exact e USING (rn) JOIN records r USING (record_id)
GROUP BY ALL
"""


def _old_exact_components(db, max_rounds: int) -> int:
    """The bare surnames' edges added to every record's key edges, all propagated (before
    people._exact_components propagated over the groups of equal keys)."""
    db.execute("INSERT INTO _bs_edges SELECT a, b FROM _bs_context")
    return people._propagate(db, max_rounds)


def _old_link_components(db, max_rounds: int) -> int:
    """The linkage's pairs added to the records' exact-key edges, all propagated again (before
    people._link_components contracted the exact groups)."""
    db.execute("INSERT INTO _bs_edges SELECT a, b FROM _bs_splink_edges "
               "EXCEPT SELECT a, b FROM _bs_edges")
    return people._propagate(db, max_rounds)


# ---------------------------------------------------------------------------------- the case

_LAST = ["Martin", "MARTIN", "Martín", "Le Gall", "Le-Gall", "Moreau", "MOREAU", "Petit", "",
         "Durand", "Dubois", "Lambert", "Bonnet", "Girard", "Roux", "Fournier", "Mercier",
         "Blanc", "Faure", "Chevalier", "Robin", "Gauthier", "Perrin", "Morel", "Renaud"]
_FIRST = ["Jean", "JEAN", "Zoé", "ZOE", "Julie", "Léa", "", None]
_FILES = [f"{i:064x}" for i in range(12)]


def _person(rng: random.Random, i: int) -> dict:
    last, first = rng.choice(_LAST), rng.choice(_FIRST)
    return {
        "last_name": last, "first_name": first,
        "full_name": f"{last} épouse Petit" if rng.random() < 0.1 else None,
        # 1900-01-01: a static placeholder; the others shared by a few people each.
        "birth_date": rng.choice(["1950-01-01", "1960-06-06", "1900-01-01", "1985-05-12", "",
                                  None]),
        "nir": rng.choice(["185057512345611", "260067512345622", "111111111111111",
                           "1850575123456", "", None]) if rng.random() < 0.3 else None,
        # +33100000009 is everyone's (a switchboard: a placeholder by its many names); a
        # phone twice in one list counts twice.
        "phones": rng.choice([[], [f"+3310000{i % 50:04d}"], ["+33100000009"],
                              [f"+3310000{i % 7:04d}", f"+3310000{i % 7:04d}"], None]),
        "emails": rng.choice([[], [f"p{i % 40}@x.fr"], ["INCONNU@x.fr"], [None], None]),
        "postal_code": rng.choice(["75001", "00000", "", None]),
        "city": rng.choice(["PARIS", "Lyon", None]),
        "address": rng.choice(["3 rue des Lilas", "", None]),
        "patient_id": rng.choice([f" {i % 90} ", "0", "", None]) if rng.random() < 0.3 else None,
        "sex": rng.choice(["F", "M", None]), "role_hint": rng.choice(["PATIENT", None]),
    }


def _records(seed: int) -> list[dict]:
    """People copied several times (the copies of an export), each copy in some file, at a
    table row or not, and bare surnames ("Mme Moreau") in the same files."""
    rng = random.Random(seed)
    out: list[dict] = []
    for i in range(400):
        person = _person(rng, i)
        for _ in range(rng.choice([1, 1, 2, 5, 12])):
            where = rng.random()
            out.append({**person, "sha256": rng.choice(_FILES) if where > 0.05 else None,
                        "location": rng.choice(["export.csv, row 3", "lettre.txt", None])})
        if rng.random() < 0.3:
            # Mostly in the file of one of the person's records (the letter's patient block).
            file = out[-1]["sha256"] if rng.random() < 0.7 else rng.choice(_FILES)
            out.append({"last_name": person["last_name"], "sha256": file,
                        "location": rng.choice(["lettre.txt", "export.csv, row 9", None]),
                        "address": rng.choice(["", None, "1 place X"]),
                        "patient_id": rng.choice([None, "", "123"])})
    rng.shuffle(out)
    return [{**r, "record_id": f"r{n:05d}"} for n, r in enumerate(out)]


def _resolve(tmp_path, name: str, records: list[dict], linkage: str) -> dict:
    with Case(tmp_path / name) as case:
        insert_records(case.db, records)
        count = people.rebuild_people(case, linkage=linkage)
        db = case.db
        return {
            "count": count,
            "people": sorted(db.execute("SELECT * FROM people").fetchall(), key=repr),
            "records": sorted(db.execute("SELECT * FROM person_records").fetchall()),
            "pairs": sorted(db.execute("SELECT * FROM linkage_pairs").fetchall()),
            "meta": db.execute("SELECT key, value FROM meta WHERE key LIKE 'linkage%' "
                               "OR key LIKE 'unresolved%' ORDER BY key").fetchall(),
        }


@pytest.mark.parametrize(("seed", "method"), [(1, "exact"), (2, "exact"), (3, "splink"),
                                             (4, "splink")])
def test_grouped_statements_resolve_as_the_per_record_ones(tmp_path, monkeypatch, seed,
                                                           method):
    records = _records(seed)
    new = _resolve(tmp_path, "new", records, method)
    for name, sql in (("_STEP_RAW", OLD_RAW), ("_STEP_MENTIONS", OLD_MENTIONS),
                      ("_STEP_KEYS", OLD_KEYS), ("_STEP_EDGES", OLD_EDGES),
                      ("_UNRESOLVED", OLD_UNRESOLVED)):
        monkeypatch.setattr(people, name, sql)
    monkeypatch.setattr(placeholders, "FREQUENT_SQL", OLD_FREQUENT)
    monkeypatch.setattr(people, "_exact_components", _old_exact_components)
    monkeypatch.setattr(people, "_link_components", _old_link_components)
    monkeypatch.setattr(linkage, "_RAW_SQL", OLD_LINK_RAW)
    old = _resolve(tmp_path, "old", records, method)
    # A case that exercises every rewritten part: copies merged, placeholders set aside,
    # bare surnames placed by their file or left unresolved.
    meta = dict(new["meta"])
    assert len(records) > 1500 and 50 < new["count"] < len(records) / 2
    assert "phone" in meta["linkage_placeholders"] and "birth" in meta["linkage_placeholders"]
    assert int(meta["unresolved_mentions"]) > 0
    assert meta["linkage_error"] == "" and (method == "exact") == (not new["pairs"])
    assert new == old


def test_the_generated_case_places_bare_surnames_by_their_file(tmp_path):
    """The case above has mentions that _STEP_MENTIONS places (and so tests that step)."""
    with Case(tmp_path / "case") as case:
        insert_records(case.db, _records(1))
        people.install_fold_macro(case.db)
        people.prepare_records(case.db)
        case.db.execute(people._STEP_MENTIONS)
        assert case.db.execute("SELECT count(*) FROM _bs_context").fetchone()[0] >= 3
