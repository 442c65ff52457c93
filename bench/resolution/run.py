"""Benchmark: accuracy and speed of people resolution (exact keys vs Splink linkage).

Generates people, then records of them with realistic variations: first-name typos, accents and
case, married names (``nom_usage`` in one source, birth name in another, "DUPONT épouse MARTIN"
in a ``full_name``), first/last swapped, day/month swapped birth dates, missing fields
(NIR, birth date, phone, e-mail, postal code), households sharing an address and a phone, and
twins (same last name, birth date, address and phone, different first names and NIRs).
Names follow realistic French frequencies (``names.py``: INSEE gazetteers, Zipf-Mandelbrot
law), or with ``--names small`` are drawn uniformly from 93 surnames and 65 first names (a
stress test: far more namesakes than in any population). Half of the records carry the sex.
Resolves them in a real case store and reports pairwise precision / recall / F1 (pairs of
records put in the same person vs truly the same person) and the error on the number of
unique people, the time of ``rebuild_people`` and the memory it adds to the process. Exits 1
when Splink misses the issue's targets (pairwise F1 >= 0.98, count error <= 1 %).

    .venv/bin/python bench/resolution/run.py --people 20000 --linkage splink
    .venv/bin/python bench/resolution/run.py --people 40000 --linkage exact splink
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from breachscope.case import Case
from breachscope.resolve.people import rebuild_people

LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
        "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "García", "David", "Bertrand", "Roux",
        "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
        "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
        "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
        "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
        "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier",
        "Roger", "Le Gall", "N'Diaye", "Saint-Martin", "Benoît", "Brun", "Rey", "Lucas",
        "Meunier", "Jean", "Pérez", "Marchand", "Dufour", "Blanchard", "Barbier", "Brunet",
        "Caron", "Giraud", "Arnaud", "Rolland", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
        "Vidal", "Aubert", "Rémy", "Picard", "Roche", "Hoarau", "Lebrun", "Diallo", "Traoré"]
FIRST = ["Marie", "Jean", "Pierre", "Michel", "André", "Philippe", "Nathalie", "Isabelle",
         "Sylvie", "Catherine", "Françoise", "Jacques", "Christophe", "Stéphane", "Sandrine",
         "Valérie", "Céline", "Nicolas", "Julien", "Camille", "Léa", "Chloé", "Emma", "Inès",
         "Hugo", "Lucas", "Louis", "Gabriel", "Jules", "Raphaël", "Arthur", "Manon", "Sarah",
         "Laura", "Pauline", "Thomas", "Alexandre", "Antoine", "Maxime", "Mathieu", "Hélène",
         "Jean-Pierre", "Marie-Claire", "Anne-Sophie", "Agnès", "Bernadette", "Gérard", "René",
         "Monique", "Jacqueline", "Yvette", "Odile", "Noël", "Zoé", "Théo", "Éric", "Joël",
         "Aurélie", "Mélanie", "Élodie", "Benoît", "Sébastien", "Frédéric", "Jérôme", "Loïc"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 1)
    kind = rng.random()
    if kind < 0.33:
        return name[:i] + name[i + 1:]                     # deletion
    if kind < 0.66:
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]  # transposition
    return name[:i] + rng.choice(LETTERS) + name[i + 1:]   # substitution


def _strip_accents(name: str) -> str:
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFD", name)
                   if not unicodedata.combining(c))


def _nir(rng: random.Random, sex: int, birth: str) -> str:
    body = f"{sex}{birth[2:4]}{birth[5:7]}{rng.randrange(1, 96):02d}" \
           f"{rng.randrange(1, 990):03d}{rng.randrange(1, 999):03d}"
    return body + f"{97 - int(body) % 97:02d}"


class SmallLists:
    """The stress setting: names drawn uniformly from the short lists above (93 surnames,
    65 first names), so namesakes are far more frequent than in any real population."""

    def last(self, rng: random.Random) -> str:
        return rng.choice(LAST)

    def first(self, rng: random.Random) -> str:
        return rng.choice(FIRST)


def make_people(n: int, rng: random.Random, names=None, pid0: int = 0) -> list[dict]:
    """Truth: n people, in households (same last name, address, phone), 2 % twins.
    ``names``: where names come from (``names.NameSampler``: realistic frequencies, the
    default; ``SmallLists``: the stress setting); ``pid0``: the first person's number."""
    if names is None:
        from names import NameSampler
        names = NameSampler(LAST, FIRST)
    people: list[dict] = []
    while len(people) < n:
        last = names.last(rng)
        postal = f"{rng.choice([75, 92, 93, 94, 69, 13, 33, 59, 31, 67]):02d}" \
                 f"{rng.randrange(0, 20) * 10:03d}"
        phone = "0" + str(rng.choice([1, 6, 7])) + "".join(
            str(rng.randrange(10)) for _ in range(8))
        size = rng.choice([1, 1, 1, 2, 2, 3, 4])
        for k in range(size):
            if len(people) >= n:
                break
            year = rng.randrange(1930, 2020)
            birth = f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            if k > 0 and rng.random() < 0.1 and people[-1]["last"] == last:   # twins
                birth = people[-1]["birth"]
            sex = rng.choice([1, 2])
            first = names.first(rng)
            while k > 0 and any(p["first"] == first for p in people[-k:]):
                first = names.first(rng)
            pid = pid0 + len(people)
            married = names.last(rng) if sex == 2 and year < 1995 and rng.random() < 0.5 else None
            people.append({
                "pid": pid, "last": last, "first": first, "birth": birth, "sex": sex,
                "married": married, "nir": _nir(rng, sex, birth), "postal": postal,
                "phone": phone if rng.random() < 0.7 else "06" + "".join(
                    str(rng.randrange(10)) for _ in range(8)),
                "email": f"{_strip_accents(first).lower()}.{_strip_accents(last).lower()}"
                         f"{pid}@example.org".replace(" ", "").replace("'", ""),
            })
    return people


def make_records(people: list[dict], rng: random.Random, rid0: int = 0
                 ) -> tuple[list[dict], list[int]]:
    """1 to 5 records per person (mean ~2.5), each from a 'source' with its own quirks;
    ``rid0``: the first record's number."""
    records, truth = [], []
    for p in people:
        for _ in range(rng.choice([1, 1, 2, 2, 3, 3, 4, 5])):
            r = rng.random
            last = p["married"] if p["married"] and r() < 0.5 else p["last"]
            full = None
            first = p["first"]
            if p["married"] and r() < 0.3:
                full = f"{p['last']} épouse {p['married']}".upper()
            if r() < 0.08:
                first = _typo(rng, first)
            if r() < 0.05:
                last = _typo(rng, last)
            if r() < 0.3:
                last, first = last.upper(), first.upper()
            if r() < 0.2:
                last, first = _strip_accents(last), _strip_accents(first)
            birth = p["birth"]
            if r() < 0.03 and int(birth[8:10]) <= 12:
                birth = f"{birth[:4]}-{birth[8:10]}-{birth[5:7]}"
            if r() < 0.05:
                birth = None
            if r() < 0.02:
                last, first = first, last
            records.append({
                "record_id": f"r{rid0 + len(records):08d}",
                "last_name": last, "first_name": first, "full_name": full,
                "birth_date": birth,
                "nir": p["nir"] if r() < 0.4 else None,
                "phones": [p["phone"]] if r() < 0.5 else [],
                "emails": [p["email"]] if r() < 0.3 else [],
                "postal_code": p["postal"] if r() < 0.6 else None,
                "sex": ("F" if p["sex"] == 2 else "M") if r() < 0.5 else None,
                "role_hint": "PATIENT",
            })
            truth.append(p["pid"])
    return records, truth


FIELDS = {"record_id": pa.string(), "last_name": pa.string(), "first_name": pa.string(),
          "full_name": pa.string(), "birth_date": pa.string(), "nir": pa.string(),
          "phones": pa.list_(pa.string()), "emails": pa.list_(pa.string()),
          "postal_code": pa.string(), "sex": pa.string(), "role_hint": pa.string()}


def _table(records: list[dict]) -> pa.Table:
    return pa.table({k: pa.array([rec.get(k) for rec in records], t) for k, t in FIELDS.items()})


def load(case: Case, records: list[dict] | Path) -> None:
    """Insert the records (dicts, or a folder of Parquet files written by :func:`generate`)."""
    if isinstance(records, Path):
        case.db.execute(f"INSERT INTO records ({', '.join(FIELDS)}) SELECT {', '.join(FIELDS)} "
                        f"FROM read_parquet('{records}/records_*.parquet')")
        return
    case.db.register("bench_records", _table(records))
    case.db.execute(f"INSERT INTO records ({', '.join(FIELDS)}) "
                    f"SELECT {', '.join(FIELDS)} FROM bench_records")
    case.db.unregister("bench_records")


def generate(n: int, rng: random.Random, names, chunk: int, folder: Path) -> list[int]:
    """``n`` people in chunks of ``chunk`` (households end at a chunk's edge), their records
    written to Parquet files in ``folder`` (a 10 M-record corpus does not fit in memory as
    Python dicts); returns the truth (person of each record, in record order). With ``n <=
    chunk``, the same corpus as ``make_records(make_people(n))``."""
    truth: list[int] = []
    done = 0
    while done < n:
        people = make_people(min(chunk, n - done), rng, names, pid0=done)
        records, part = make_records(people, rng, rid0=len(truth))
        pq.write_table(_table(records), folder / f"records_{done:09d}.parquet")
        truth.extend(part)
        done += len(people)
        del people, records
    return truth


def score(case: Case, truth: list[int]) -> dict:
    """Pairwise precision / recall over record pairs, and the people count error."""
    db = case.db
    db.register("bench_truth", pa.table({
        "record_id": pa.array([f"r{i:08d}" for i in range(len(truth))]),
        "pid": pa.array(truth, pa.int64())}))
    tp, pred_pairs, true_pairs, n_people = db.execute("""
        WITH j AS (SELECT pr.person_id, t.pid FROM person_records pr
                   JOIN bench_truth t USING (record_id)),
        both_ AS (SELECT count(*) AS n FROM j GROUP BY person_id, pid),
        pred AS (SELECT count(*) AS n FROM j GROUP BY person_id),
        tru AS (SELECT count(*) AS n FROM j GROUP BY pid)
        SELECT (SELECT sum(n * (n - 1) / 2) FROM both_), (SELECT sum(n * (n - 1) / 2) FROM pred),
               (SELECT sum(n * (n - 1) / 2) FROM tru), (SELECT count(*) FROM pred)
    """).fetchone()
    db.unregister("bench_truth")
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n_true = len(set(truth))
    return {"precision": precision, "recall": recall, "f1": f1, "people": n_people,
            "true_people": n_true, "count_error": (n_people - n_true) / n_true}


def _reset_peak_rss() -> None:
    """Reset the kernel's peak-RSS counter (VmHWM) of this process (Linux >= 4.0)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _rss_mib(field: str = "VmHWM") -> float:
    """Peak (``VmHWM``) or current (``VmRSS``) resident memory of this process, MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--linkage", nargs="+", default=["exact", "splink"],
                    choices=["exact", "splink"])
    ap.add_argument("--memory-limit", default="1GB",
                    help="the case's DuckDB memory limit (the product's default is 1GB)")
    ap.add_argument("--names", choices=["realistic", "small"], default="realistic",
                    help="realistic: INSEE name frequencies (default); small: 93 surnames x "
                         "65 first names drawn uniformly, a stress test with many namesakes")
    ap.add_argument("--backend", choices=["duckdb", "spark"], default="duckdb",
                    help="where Splink scores pairs (resolve.spark for spark)")
    ap.add_argument("--chunk-people", type=int, default=500_000,
                    help="people generated at a time (households end at a chunk's edge)")
    ap.add_argument("--corpus", type=Path, default=None,
                    help="keep the generated corpus (Parquet) in this folder, or reuse it if it "
                         "is there (same --people, --seed and --names)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where the corpus and the cases go (default: the system temp folder)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("breachscope.resolve").setLevel(logging.DEBUG)
    rng = random.Random(args.seed)
    corpus = tempfile.TemporaryDirectory(dir=args.workdir)
    records = Path(corpus.name) if args.corpus is None else args.corpus
    start = time.perf_counter()
    if (records / "truth.parquet").exists():
        truth = pq.read_table(records / "truth.parquet").column("pid").to_pylist()
    else:
        records.mkdir(parents=True, exist_ok=True)
        truth = generate(args.people, rng, SmallLists() if args.names == "small" else None,
                         args.chunk_people, records)
        pq.write_table(pa.table({"pid": pa.array(truth, pa.int64())}),
                       records / "truth.parquet")
    print(f"{args.people} people, {len(truth)} records "
          f"(generated or read in {time.perf_counter() - start:.0f} s)", flush=True)
    ok = True
    for method in args.linkage:
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp, \
                Case(Path(tmp) / "case", memory_limit=args.memory_limit) as case:
            load(case, records)
            gc.collect()
            _reset_peak_rss()
            base = _rss_mib("VmRSS")
            start, cpu = time.perf_counter(), time.process_time()
            rebuild_people(case, linkage=method, backend=args.backend)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            peak = _rss_mib() - base
            s = score(case, truth)
            mentions = case.db.execute(
                "SELECT value FROM meta WHERE key = 'unresolved_mentions'").fetchone()[0]
            error = case.db.execute(
                "SELECT value FROM meta WHERE key = 'linkage_error'").fetchone()[0]
            if error:
                print(f"linkage failed, people from exact keys: {error}", flush=True)
        if method == "splink" and args.backend == "spark":
            # Spark's JVM is a child process: its peak apart (its CPU: /usr/bin/time).
            from breachscope.resolve import spark
            print(f"spark JVM: peak {spark.last_jvm_peak_mib:.0f}MiB", flush=True)
        print(f"{method:7s} records={len(truth)} time={seconds:.1f}s cpu={cpu:.1f}s "
              f"precision={s['precision']:.4f} recall={s['recall']:.4f} f1={s['f1']:.4f} "
              f"people={s['people']} true={s['true_people']} "
              f"count_error={s['count_error']:+.2%} unresolved_mentions={mentions} "
              f"resolution_memory=+{peak:.0f}MiB", flush=True)
        if method == "splink":
            ok = ok and s["f1"] >= 0.98 and abs(s["count_error"]) <= 0.01
    corpus.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
