"""Benchmark: relational reconstruction at the scale of a 1 GB hospital database dump.

A 1 GB SQL dump of a patient-administration system holds about 10 million rows: patients,
three times as many stays, four times as many diagnoses. This bench writes into a case store
what the workers would have stored for such a dump (in a child process, so its memory does
not count): the patients as records, the key cells of every row (``row_keys``: ipp, nda, uf)
and the findings of the child rows (unit, dates, ICD-10 codes). Then it times, in this
process, under DuckDB's ``memory_limit``: people (exact keys), the key graph
(``build_key_links``), rows and facts attached (``attach_facts``) and the assessment, and
prints the peak RSS of the process (``resource.getrusage``) and the figures to check (every
stay and diagnosis of a known patient attached, orphans counted).

    .venv/bin/python bench/relations_scale.py --patients 1250000 --memory-limit 1GB
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from breachscope.assess.categories import assess_case
from breachscope.case import Case
from breachscope.relate.attach import attach_facts
from breachscope.relate.keys import build_key_links
from breachscope.resolve.people import rebuild_people

STAYS_PER_PATIENT = 3
DIAGNOSES_PER_PATIENT = 4
ORPHAN_SHARE = 100  # one stay in 100 references a patient missing from the dump
UNITS = ["3201", "U45", "PSYA", "CARDIO", "URG", "2104", "ADDICTO", "PED"]
CODES = ["I10", "E11.9", "F20.0", "J18.9", "B20", "F10.2", "K35.8", "O04.9", "S72.0"]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def generate(case_dir: Path, n: int, memory_limit: str) -> None:
    n_stays = n * STAYS_PER_PATIENT
    n_diag = n * DIAGNOSES_PER_PATIENT
    with Case(case_dir) as case:
        db = case.db
        db.execute(f"SET memory_limit = '{memory_limit}'")
        # patients: one record per row (table patient of dump.sql)
        db.execute(f"""
        INSERT INTO records (record_id, sha256, location, last_name, first_name, birth_date,
            patient_id, role_hint, entities)
        SELECT 'R' || range, 'dump', 'table patient, row ' || (range + 1),
            'NOM' || range, 'Prenom' || (range % 1000),
            strftime(DATE '1930-01-01' + (hash(range) % 30000)::INT, '%Y-%m-%d'),
            (100000000 + range)::VARCHAR, 'PATIENT',
            'BIRTH_DATE,FIRST_NAME,LAST_NAME,PATIENT_ID'
        FROM range({n})
        """)
        db.execute(f"""
        INSERT INTO row_keys SELECT 'dump', 'table patient', 'table patient, row ' || (range + 1),
            'ipp', (100000000 + range)::VARCHAR FROM range({n})
        """)
        # stays: nda, ipp (1 in ORPHAN_SHARE unknown), uf; findings unit, date, DP
        db.execute(f"""
        CREATE TEMP TABLE stays AS SELECT range AS s,
            CASE WHEN range % {ORPHAN_SHARE} = 0 THEN 900000000 + range
                 ELSE 100000000 + (hash(range) % {n})::BIGINT END AS ipp,
            {_sql_list(UNITS)}[(1 + hash(range + 7) % {len(UNITS)})::BIGINT] AS uf,
            {_sql_list(CODES)}[(1 + hash(range + 3) % {len(CODES)})::BIGINT] AS dp
        FROM range({n_stays})
        """)
        db.execute("""
        INSERT INTO row_keys
        SELECT 'dump', 'table sejour', 'table sejour, row ' || (s + 1), c, v FROM (
            SELECT s, unnest(['nda', 'ipp', 'uf']) AS c,
                unnest([(500000000 + s)::VARCHAR, ipp::VARCHAR, uf]) AS v FROM stays)
        """)
        db.execute("""
        INSERT INTO plain_findings
        SELECT 'dump', 'table sejour, row ' || (s + 1) || ', column ' || c, e, v, 0.9, 'bench'
        FROM (SELECT s, unnest(['uf', 'date_entree', 'dp']) AS c,
                  unnest(['CARE_UNIT', 'VISIT_DATE', 'ICD10_CODE']) AS e,
                  unnest([uf, '2023-01-01', dp]) AS v FROM stays)
        """)
        # diagnoses: nda of a stay, a code
        db.execute(f"""
        INSERT INTO row_keys
        SELECT 'dump', 'table diagnostic', 'table diagnostic, row ' || (range + 1), 'nda',
            (500000000 + (hash(range) % {n_stays})::BIGINT)::VARCHAR FROM range({n_diag})
        """)
        db.execute(f"""
        INSERT INTO plain_findings
        SELECT 'dump', 'table diagnostic, row ' || (range + 1) || ', column code', 'ICD10_CODE',
            {_sql_list(CODES)}[(1 + hash(range + 11) % {len(CODES)})::BIGINT], 0.95, 'bench'
        FROM range({n_diag})
        """)
        db.execute("INSERT INTO files VALUES ('dump.sql', 'dump', 0, 0, NULL, 0, 1)")
        db.execute("CHECKPOINT")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=1_250_000)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--case", type=Path, help="keep the case here (default: a temp dir)")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        generate(args.case, args.patients, args.memory_limit)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        case_dir = args.case or Path(tmp) / "case"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate-only", "--case", str(case_dir),
                        "--patients", str(args.patients), "--memory-limit", args.memory_limit],
                       check=True)
        t_gen = time.perf_counter() - t0
        with Case(case_dir, memory_limit=args.memory_limit) as case:
            db = case.db
            db.execute("SET preserve_insertion_order = false")
            n_rows = db.execute(
                "SELECT count(DISTINCT row_location) FROM row_keys").fetchone()[0]
            db.execute("INSERT OR REPLACE INTO meta VALUES ('linkage', 'exact')")
            timings = {}
            t0 = time.perf_counter()
            rebuild_people(case)
            timings["people (exact keys)"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            links = build_key_links(case)
            timings["build_key_links"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            counts = attach_facts(case)
            timings["attach_facts"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            assess_case(case)
            timings["assess_case"] = time.perf_counter() - t0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            attached = dict(db.execute(
                "SELECT split_part(row_location, ', row', 1), count(*) FROM attached_rows "
                "GROUP BY 1").fetchall())
            sensitive = db.execute("SELECT count(*) FROM people WHERE sensitive").fetchone()[0]
        db_size = (case_dir / "case.duckdb").stat().st_size
    n = args.patients
    orphans = len(range(0, n * STAYS_PER_PATIENT, ORPHAN_SHARE))
    print(f"table rows       {n_rows:,} ({n:,} patients; generated in {t_gen:.0f} s; "
          f"store {db_size / 2**20:.0f} MiB)")
    print(f"key links        {links} accepted")
    print(f"attached         {attached} (expected sejour {n * STAYS_PER_PATIENT - orphans:,})")
    print(f"orphan rows      {counts['orphan_rows']:,} (expected at least {orphans:,}: the "
          "orphan stays and their diagnoses)")
    print(f"facts            {counts.get('row_link', 0):,}; sensitive people {sensitive:,}")
    for name, seconds in timings.items():
        print(f"{name:<16} {seconds:.1f} s")
    print(f"peak RSS         {peak / 1024:.0f} MiB (memory_limit {args.memory_limit})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
