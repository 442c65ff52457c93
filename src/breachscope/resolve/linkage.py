"""Probabilistic record linkage with Splink (DuckDB backend): the fuzzy edges of people.

:func:`breachscope.resolve.people.rebuild_people` groups records into people with exact keys;
with ``linkage="splink"`` it also adds the pairs this module scores above the threshold, and
the same label propagation turns the union of both edge sets into people (clusters, linked
transitively). Exact-key matches therefore always stay merged.

Method (Fellegi-Sunter, as implemented by Splink; see ``docs/resolution.md``):
- input: every record with a first name, or with a NIR, birth date, phone or e-mail. A record
  with only a surname (or only a ``full_name``) is a *mention*: it joins a person through the
  exact keys only (same folded name as another bare mention), never through Splink;
- comparisons on folded names (exact, first/last swapped, Jaro-Winkler typos, married name vs
  birth name through the name tokens of ``last_name`` + ``full_name``), birth date (exact,
  day/month swapped, one character off), NIR, phones, e-mails, postal code;
- blocking (only pairs sharing one of these are scored): NIR, birth date, first phone, first
  e-mail, consonant skeleton of the last name + birth year;
- parameters: documented defaults (m and u per level, prior), not re-estimated per case, so a
  small case and a large one are judged alike; :data:`THRESHOLD` on the match probability.

Splink runs in its own in-memory DuckDB connection (its working tables never reach the case
store); the records go in and the pairs come out as Arrow tables.
"""

from __future__ import annotations

import logging
import time

import duckdb

log = logging.getLogger(__name__)

#: Pairs with a match probability at or above this are the same person.
THRESHOLD = 0.5
#: Prior probability that two records picked at random are the same person. With it, the
#: threshold means a match weight (sum of the levels' log2(m/u)) of at least 13.3 bits.
PRIOR = 1e-4

# The records Splink sees: one row per record with its comparison columns. ``fold`` is the
# macro of breachscope.resolve.people (installed on the case connection by the caller).
_INPUT_SQL = r"""
SELECT rn AS unique_id,
    nullif(fold_last, '') AS last,
    nullif(fold_first, '') AS first,
    list_filter(
        string_split(fold(coalesce(r.last_name, '') || ' ' || coalesce(r.full_name, '')), ' '),
        t -> length(t) > 1 AND t NOT IN ('EPOUSE', 'EP', 'NEE', 'NE', 'VEUVE', 'VVE', 'DIT',
                                         'DITE', 'MME', 'MR', 'M', 'MLLE', 'DR'))
        AS name_tokens,
    CASE WHEN regexp_matches(r.birth_date, '^\d{4}-\d{2}-\d{2}$') THEN r.birth_date END
        AS birth,
    CASE WHEN regexp_matches(r.birth_date, '^\d{4}-\d{2}-\d{2}$')
         THEN r.birth_date[1:4] || '-' || r.birth_date[9:10] || '-' || r.birth_date[6:7]
    END AS birth_swapped,
    nullif(r.nir, '') AS nir,
    CASE WHEN regexp_matches(r.nir, '^[12]\d{4}') THEN r.nir[2:5] END AS nir_yymm,
    CASE WHEN regexp_matches(r.birth_date, '^\d{4}-\d{2}-\d{2}$')
         THEN r.birth_date[3:4] || r.birth_date[6:7] END AS birth_yymm,
    nullif(list_filter(r.phones, x -> x <> ''), []) AS phones,
    nullif(list_filter(r.emails, x -> lower(x) <> ''), []) AS emails,
    nullif(r.phones[1], '') AS phone1,
    nullif(lower(r.emails[1]), '') AS email1,
    nullif(r.postal_code, '') AS postal_code,
    CASE WHEN fold_last <> '' AND regexp_matches(r.birth_date, '^\d{4}')
         THEN left(regexp_replace(fold_last, '[AEIOUYH ]', '', 'g'), 4) || r.birth_date[1:4]
    END AS name_block
FROM _bs_rec b JOIN records r USING (record_id)
WHERE fold_first <> '' OR coalesce(r.nir, '') <> '' OR coalesce(r.birth_date, '') <> ''
    OR coalesce(len(r.phones), 0) > 0 OR coalesce(len(r.emails), 0) > 0
"""


def _level(sql: str, label: str, m: float, u: float, *, null: bool = False) -> dict:
    out = {"sql_condition": sql, "label_for_charts": label}
    if null:
        out["is_null_level"] = True
    else:
        out["m_probability"] = m
        out["u_probability"] = u
    return out


def _comparison(name: str, levels: list[dict]) -> dict:
    return {"output_column_name": name, "comparison_levels": levels,
            "comparison_description": name}


_JW = "jaro_winkler_similarity"


def _close(col: str) -> str:
    """Two folded names that differ by a typo: Jaro-Winkler >= 0.9, or one edit (insertion,
    deletion, substitution or transposition of adjacent letters)."""
    return (f"({_JW}({col}_l, {col}_r) >= 0.9 "
            f"OR damerau_levenshtein({col}_l, {col}_r) <= 1)")

# m: probability of the level for two records of the same person; u: for two different
# people. The log2(m/u) of a pair's levels add up to its match weight (see docs/resolution.md).
COMPARISONS = [
    _comparison("name", [
        _level("last_l IS NULL OR last_r IS NULL OR first_l IS NULL OR first_r IS NULL",
               "name missing", 0, 0, null=True),
        _level("last_l = last_r AND first_l = first_r", "exact", 0.85, 2e-4),
        _level("last_l = first_r AND first_l = last_r", "first/last swapped", 0.01, 1e-5),
        _level(f"{_close('last')} AND {_close('first')}", "typos", 0.08, 1e-4),
        _level(f"{_close('first')} AND "
               "(list_contains(name_tokens_r, last_l) OR list_contains(name_tokens_l, last_r))",
               "married name vs birth name", 0.03, 5e-5),
        _level(_close("first"), "same first name, other last name", 0.03, 0.01),
        _level("ELSE", "different first names", 1e-5, 0.99),
    ]),
    _comparison("birth", [
        _level("birth_l IS NULL OR birth_r IS NULL", "birth date missing", 0, 0, null=True),
        _level("birth_l = birth_r", "exact", 0.93, 3e-3),
        _level("birth_l = birth_swapped_r", "day/month swapped", 0.02, 1e-4),
        _level("levenshtein(birth_l, birth_r) = 1", "one character off", 0.03, 0.02),
        _level("ELSE", "different", 0.02, 0.977),
    ]),
    _comparison("nir", [
        _level("nir_l IS NULL OR nir_r IS NULL", "NIR missing", 0, 0, null=True),
        _level("nir_l = nir_r", "exact", 0.97, 1e-6),
        _level("ELSE", "different", 0.03, 0.999999),
    ]),
    _comparison("nir_vs_birth", [
        # Only a NIR without birth date against a birth date without NIR: otherwise the
        # birth dates (or NIRs) are compared directly and this would count them twice.
        _level("NOT ((nir_l IS NOT NULL AND birth_l IS NULL AND nir_r IS NULL "
               "AND birth_r IS NOT NULL) OR (nir_r IS NOT NULL AND birth_r IS NULL "
               "AND nir_l IS NULL AND birth_l IS NOT NULL))",
               "not a lone NIR against a lone birth date", 0, 0, null=True),
        _level("coalesce(nir_yymm_l, birth_yymm_l) = coalesce(nir_yymm_r, birth_yymm_r)",
               "NIR consistent with the birth date (year, month)", 0.95, 2e-3),
        _level("ELSE", "NIR inconsistent with the birth date", 0.05, 0.998),
    ]),
    _comparison("phones", [
        _level("phones_l IS NULL OR phones_r IS NULL", "phone missing", 0, 0, null=True),
        _level("len(list_intersect(phones_l, phones_r)) > 0", "shared phone", 0.6, 1e-3),
        _level("ELSE", "different", 0.4, 0.999),
    ]),
    _comparison("emails", [
        _level("emails_l IS NULL OR emails_r IS NULL", "e-mail missing", 0, 0, null=True),
        _level("len(list_intersect(emails_l, emails_r)) > 0", "shared e-mail", 0.7, 1e-4),
        _level("ELSE", "different", 0.3, 0.9999),
    ]),
    _comparison("postal_code", [
        _level("postal_code_l IS NULL OR postal_code_r IS NULL", "postal code missing", 0, 0,
               null=True),
        _level("postal_code_l = postal_code_r", "same", 0.85, 0.02),
        _level("ELSE", "different", 0.15, 0.98),
    ]),
]

BLOCKING_RULES = [
    "l.nir = r.nir",
    "l.birth = r.birth",
    "l.phone1 = r.phone1",
    "l.email1 = r.email1",
    "l.name_block = r.name_block",
]


def settings() -> dict:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": PRIOR,
        "comparisons": COMPARISONS,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule} for rule in BLOCKING_RULES],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


def splink_edges(db: duckdb.DuckDBPyConnection, *, threshold: float = THRESHOLD
                 ) -> tuple[int, int]:
    """Create ``temp._bs_splink_edges(a, b)`` (record numbers ``rn`` of ``_bs_rec``, a > b)
    with the pairs Splink scores at or above ``threshold``; returns (records in, pairs).
    Splink's connection gets the case connection's ``memory_limit`` and spill directory, so
    nothing is written outside the case."""
    from splink import DuckDBAPI, Linker

    start = time.perf_counter()
    records = db.execute(_INPUT_SQL).arrow()
    if hasattr(records, "read_all"):
        records = records.read_all()
    n = records.num_rows
    db.execute("CREATE OR REPLACE TEMP TABLE _bs_splink_edges (a BIGINT, b BIGINT)")
    if n < 2:
        return n, 0
    memory_limit, temp_dir = db.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    config = {"memory_limit": memory_limit, "autoinstall_known_extensions": False,
              "autoload_known_extensions": False}
    if temp_dir:
        config["temp_directory"] = str(temp_dir)
    con = duckdb.connect(":memory:", config=config)
    try:
        api = DuckDBAPI(connection=con)
        sdf = api.register(records, table_name="bs_records")
        linker = Linker(sdf, settings(), log_level=logging.WARNING)
        pairs = linker.inference.predict(threshold_match_probability=threshold,
                                         warning_mode="never") \
            if _accepts_warning_mode(linker) else \
            linker.inference.predict(threshold_match_probability=threshold)
        edges = con.execute(
            f"SELECT greatest(unique_id_l, unique_id_r) AS a, "
            f"least(unique_id_l, unique_id_r) AS b FROM {pairs.physical_name}").arrow()
        if hasattr(edges, "read_all"):
            edges = edges.read_all()
    finally:
        con.close()
    db.register("_bs_splink_arrow", edges)
    try:
        db.execute("INSERT INTO _bs_splink_edges SELECT a, b FROM _bs_splink_arrow")
    finally:
        db.unregister("_bs_splink_arrow")
    log.debug("linkage: %d records, %d pairs in %.1f s", n, edges.num_rows,
              time.perf_counter() - start)
    return n, edges.num_rows


def _accepts_warning_mode(linker) -> bool:
    import inspect
    return "warning_mode" in inspect.signature(linker.inference.predict).parameters
