"""Benchmark: resolve and assess at scale, inside DuckDB with a bounded memory.

Generates N synthetic records with SQL (in a child process, so its memory does not count),
~20 % of them sharing a key with an earlier record (same NIR, same name + birth date with
another case or accents, same name + phone, same name + e-mail), then times
``rebuild_people`` and ``assess_case`` in this process under ``SET memory_limit`` and prints
the peak RSS of the process (``resource.getrusage``).

    .venv/bin/python bench/people_scale.py --records 1000000 --memory-limit 1GB
    nice -n 10 .venv/bin/python bench/people_scale.py --records 10000000 --linkage exact \
        --case /big/case10m        # 10 M records: docs/performance.md, "Linkage at scale"
"""

from __future__ import annotations

import argparse
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from breachscope.assess.categories import assess_case
from breachscope.case import Case, entities_text_sql
from breachscope.resolve.people import rebuild_people

LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "García", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
        "Dupont", "Lambert", "Bonnet", "François", "Le Gall", "N'Diaye", "Œuvrard", "Müller",
        "Çelik", "Øster", "D’Arc", "Saint-Éloi"]
FIRST = ["Marie", "Jean", "Zoé", "Léa", "Chloé", "Hélène", "Jean-Pierre", "Anaïs", "Noël",
         "Paul", "Inès", "Jérôme", "Françoise", "Loïc", "Maëlle", "Théo", "Ève", "Ahmed"]
UNITS = ["Cardiologie", "Urgences", "Psychiatrie adulte", "Addictologie", "Médecine interne",
         "Pédiatrie", "CeGIDD", "Orthogénie", "Chirurgie", "Génétique", "Gériatrie"]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generate(case_dir: Path, n: int, memory_limit: str) -> None:
    n_dup = n // 5
    n_base = n - n_dup
    with Case(case_dir) as case:
        db = case.db
        db.execute(f"SET memory_limit = '{memory_limit}'")
        db.execute(f"""
        CREATE TEMP TABLE persons AS
        SELECT p, h,
            {_sql_list(LAST)}[1 + h % {len(LAST)}]
                || CASE WHEN (h >> 8) % 4 = 0 THEN '-' || {_sql_list(LAST)}[1 + (h >> 12)
                   % {len(LAST)}] ELSE '' END
                || ' ' || chr(65 + ((h >> 16) % 26)::INT) || chr(65 + ((h >> 21) % 26)::INT)
                AS last_name,
            {_sql_list(FIRST)}[1 + (h >> 26) % {len(FIRST)}] AS first_name,
            strftime(DATE '1930-01-01' + ((h >> 31) % 30000)::INT, '%Y-%m-%d') AS birth_date,
            CASE WHEN (h >> 46) % 2 = 0 THEN '1' || lpad(p::VARCHAR, 14, '0') END AS nir,
            CASE WHEN (h >> 47) % 5 < 3 THEN ['+336' || lpad(p::VARCHAR, 8, '0')]
                 ELSE [] END AS phones,
            CASE WHEN (h >> 48) % 5 < 2 THEN ['p' || p || '@mail.fr'] ELSE [] END AS emails,
            lpad(((h >> 50) % 95000 + 1000)::VARCHAR, 5, '0') AS postal_code,
            'VILLE ' || ((h >> 52) % 500) AS city,
            (h >> 40) % 100 || ' rue de la Paix' AS address,
            {_sql_list(UNITS)}[1 + (h >> 55) % {len(UNITS)}] AS care_unit,
            CASE WHEN (h >> 59) % 10 = 0 THEN 'STAFF' ELSE 'PATIENT' END AS role_hint
        FROM (SELECT range AS p, (hash(range) >> 1)::BIGINT AS h FROM range({n_base}))
        """)
        entities = ("['LAST_NAME', 'FIRST_NAME', 'BIRTH_DATE', 'CARE_UNIT', 'VISIT_DATE', "
                    "'ADDRESS', 'POSTAL_CODE', 'CITY'] || CASE WHEN nir IS NOT NULL THEN "
                    "['NIR'] ELSE [] END || CASE WHEN len(phones) > 0 THEN ['PHONE'] ELSE [] "
                    "END || CASE WHEN len(emails) > 0 THEN ['EMAIL'] ELSE [] END")
        db.execute(f"""
        INSERT INTO records (record_id, sha256, location, last_name, first_name, birth_date,
            nir, phones, emails, address, postal_code, city, care_unit, role_hint, entities)
        SELECT 'R' || lpad(p::VARCHAR, 9, '0'), 'file' || (p // 10000), 'row ' || p,
            last_name, first_name, birth_date, nir, phones, emails, address, postal_code, city,
            care_unit, role_hint, {entities_text_sql(entities)}
        FROM persons
        """)
        # Duplicates: another mention of an earlier person, through one kind of key each.
        db.execute(f"""
        INSERT INTO records (record_id, sha256, location, last_name, first_name, full_name,
            birth_date, nir, phones, emails, role_hint, entities)
        SELECT 'D' || lpad(d::VARCHAR, 9, '0'), 'dup' || (d // 10000), 'row ' || d,
            CASE k WHEN 0 THEN NULL WHEN 1 THEN lower(strip_accents(last_name))
                 ELSE last_name END,
            CASE k WHEN 0 THEN NULL WHEN 1 THEN upper(first_name) ELSE first_name END,
            NULL,
            CASE k WHEN 1 THEN birth_date END,
            CASE k WHEN 0 THEN coalesce(nir, '2' || lpad(d::VARCHAR, 14, '0')) END,
            CASE k WHEN 2 THEN phones ELSE [] END,
            CASE k WHEN 3 THEN emails ELSE [] END,
            'PATIENT', 'FIRST_NAME,LAST_NAME,NIR,VISIT_DATE'
        FROM (SELECT range AS d, hash(range + {n}) % {n_base} AS p, range % 4 AS k
              FROM range({n_dup})) JOIN persons USING (p)
        """)
        db.execute("CHECKPOINT")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--threads", type=int, default=0, help="0: DuckDB's default")
    parser.add_argument("--linkage", choices=["exact", "splink"], default=None,
                        help="the resolution method (default: the product's, splink)")
    parser.add_argument("--case", type=Path, help="keep the case here (default: a temp dir)")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        generate(args.case, args.records, args.memory_limit)
        return 0
    logging.basicConfig(level=logging.DEBUG, format="  %(name)s: %(message)s")
    logging.getLogger("breachscope").setLevel(logging.DEBUG)
    with tempfile.TemporaryDirectory() as tmp:
        case_dir = args.case or Path(tmp) / "case"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate-only", "--case", str(case_dir),
                        "--records", str(args.records), "--memory-limit", args.memory_limit],
                       check=True)
        t_gen = time.perf_counter() - t0
        with Case(case_dir) as case:
            db = case.db
            db.execute(f"SET memory_limit = '{args.memory_limit}'")
            if args.threads:
                db.execute(f"SET threads = {args.threads}")
            threads = db.execute("SELECT current_setting('threads')").fetchone()[0]
            n_records = db.execute("SELECT count(*) FROM records").fetchone()[0]
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t0 = time.perf_counter()
            n_people = rebuild_people(case, linkage=args.linkage)
            t_resolve = time.perf_counter() - t0
            t0 = time.perf_counter()
            assess_case(case)
            t_assess = time.perf_counter() - t0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            levels = db.execute(
                "SELECT severity, count(*) FROM people GROUP BY ALL ORDER BY ALL").fetchall()
            biggest = db.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM person_records "
                                 "GROUP BY person_id)").fetchone()[0]
        db_size = (case_dir / "case.duckdb").stat().st_size
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"records          {n_records:,} (generated in {t_gen:.1f} s, generator peak RSS "
          f"{child_peak / 1024:.0f} MiB)")
    print(f"memory_limit     {args.memory_limit}, threads {threads}, "
          f"store {db_size / 2**20:.0f} MiB")
    print(f"people           {n_people:,} (largest: {biggest} records); severity {levels}")
    print(f"rebuild_people   {t_resolve:.1f} s")
    print(f"assess_case      {t_assess:.1f} s")
    print(f"peak RSS         {peak / 1024:.0f} MiB (before resolve: {rss0 / 1024:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
