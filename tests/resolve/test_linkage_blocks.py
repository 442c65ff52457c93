"""The cap on the pairs of one blocking block (``resolve.blocks``): the pairs each rule makes
of a block are counted exactly, and a block over the cap is not paired by its rule, so a dump
of thousands of distinct records under one key cannot make the linkage quadratic."""

from __future__ import annotations

import random

import duckdb
import pytest
from people_reference import insert_records
from test_people import rec

from breachscope.case import Case
from breachscope.resolve import blocks, linkage
from breachscope.resolve.people import rebuild_people

COLUMNS = ("nir", "ipp", "birth", "phone1", "email1", "name_block", "name_key", "last", "first",
           "postal_code", "name_birth", "name_used")


def test_every_blocking_rule_has_a_block_key():
    for rule in linkage.BLOCKING_RULES:
        key, pairs = blocks.block_sql(rule)
        assert key and pairs
    with pytest.raises(ValueError, match="not understood"):
        blocks.block_sql("l.last = r.last AND levenshtein(l.first, r.first) < 2")


def test_block_pairs_are_the_pairs_the_rule_makes():
    """On random records from small domains (many blocks, NULLs, swapped names), the pairs
    counted per block equal the pairs a self-join on the rule finds."""
    rng = random.Random(7)
    names = ["MARTIN", "JEAN", "MARIE", "PETIT", None]

    def pick(values):
        return rng.choice(values)

    rows = []
    for uid in range(1, 301):
        last, first = pick(names), pick(names)
        rows.append((uid, pick(["1", "2", None]), pick(["A", None]),
                     pick(["1960-01-01", "1970-02-02", None, None]), pick(["+331", None]),
                     pick(["e@x", None]), pick(["MRTN1960", None]),
                     f"{last} {first}" if last and first else None, last, first,
                     pick(["75011", "69003", None]), pick(names), pick(names)))
    db = duckdb.connect()
    db.execute(f"CREATE TABLE t (unique_id BIGINT, {', '.join(c + ' VARCHAR' for c in COLUMNS)})")
    db.executemany(f"INSERT INTO t VALUES ({', '.join('?' * (len(COLUMNS) + 1))})", rows)
    for rule in linkage.BLOCKING_RULES:
        key, pairs = blocks.block_sql(rule)
        joined = db.execute(f"SELECT count(*) FROM t l JOIN t r ON ({rule}) "
                            "AND l.unique_id < r.unique_id").fetchone()[0]
        counted = db.execute(f"SELECT coalesce(sum(p), 0) FROM (SELECT {key} AS k, {pairs} AS p "
                             "FROM t GROUP BY k) WHERE k IS NOT NULL").fetchone()[0]
        assert counted == joined, rule
        assert joined > 0, rule   # the data exercises every rule


def test_no_oversized_block_leaves_the_rules_as_they_were():
    assert linkage.settings(1e-4, twins=True)["blocking_rules_to_generate_predictions"] == \
        linkage.settings(1e-4, twins=True, capped=())["blocking_rules_to_generate_predictions"]
    capped = linkage.settings(1e-4, capped={2})["blocking_rules_to_generate_predictions"]
    assert capped[2]["blocking_rule"] == "l.birth = r.birth AND l._b2 = r._b2"
    assert capped[3]["blocking_rule"] == linkage.BLOCKING_RULES[3]


# 120 distinct people born the same day, nothing else in common: one block of 7 140 pairs on
# the birth-date rule. Among them a pair sharing a phone (found by another rule, capped or
# not) and a pair with a one-letter typo in the last name that only the birth date brings
# together.
def _same_birthday() -> list[dict]:
    rng = random.Random(3)
    records = [rec(f"x{i:03d}", f"NOM{i:03d}{rng.choice('ABCDEFGH')}", f"PRENOM{i:03d}",
                   "1961-04-07") for i in range(120)]
    return [
        *records,
        rec("a1", "Lefèvre", "Hélène", "1961-04-07", phones=["+33611223344"]),
        rec("a2", "LEFEVRE", "Helene", "1961-04-07", phones=["+33611223344"],
            postal_code="75011"),
        rec("b1", "Dupontel", "Marie-Noëlle", "1961-04-07", postal_code="69003"),
        rec("b2", "Dubontel", "Marie-Noëlle", "1961-04-07", postal_code="69003"),
    ]


def _resolve(tmp_path, name: str) -> tuple[dict[str, str], dict[str, str]]:
    with Case(tmp_path / name) as case:
        insert_records(case.db, _same_birthday())
        rebuild_people(case, linkage="splink")
        person = dict(case.db.execute(
            "SELECT record_id, person_id FROM person_records").fetchall())
        meta = dict(case.db.execute("SELECT key, value FROM meta WHERE key LIKE 'linkage_%'")
                    .fetchall())
    return person, meta


def test_a_block_over_the_cap_is_not_paired(tmp_path, monkeypatch):
    monkeypatch.delenv(blocks.MAX_BLOCK_PAIRS_ENV, raising=False)
    person, meta = _resolve(tmp_path, "uncapped")
    assert meta["linkage_capped_blocks"] == "0"
    uncapped_pairs = int(meta["linkage_candidate_pairs"])
    assert uncapped_pairs >= 124 * 123 // 2            # the whole birthday block
    assert person["a1"] == person["a2"] and person["b1"] == person["b2"]

    monkeypatch.setenv(blocks.MAX_BLOCK_PAIRS_ENV, "1000")
    person, meta = _resolve(tmp_path, "capped")
    assert meta["linkage_capped_blocks"] == "1"
    assert meta["linkage_error"] == ""
    assert int(meta["linkage_candidate_pairs"]) < 1000  # the block's pairs are not generated
    assert person["a1"] == person["a2"]                 # still paired by their phone
    assert person["b1"] != person["b2"]                 # the birth date was their only block


def test_the_cap_must_be_a_number(monkeypatch):
    monkeypatch.setenv(blocks.MAX_BLOCK_PAIRS_ENV, "lots")
    with pytest.raises(ValueError, match=blocks.MAX_BLOCK_PAIRS_ENV):
        blocks.max_block_pairs()
    monkeypatch.setenv(blocks.MAX_BLOCK_PAIRS_ENV, "")
    assert blocks.max_block_pairs() == blocks.DEFAULT_MAX_BLOCK_PAIRS


def test_prior_of_a_collapsed_input_counts_the_pairs_of_a_join():
    """estimate_prior on groups of identical records counts the same pairs as the join on
    "rule 1 OR rule 2" it replaced (a nested loop, quadratic), by inclusion-exclusion."""
    db = duckdb.connect()
    db.execute("""CREATE TABLE g AS SELECT range + 1 AS unique_id, 1 + (hash(range) % 4) AS _n,
        NULL::BIGINT AS twin_of,
        CASE WHEN range % 2 = 0 THEN 'N' || (range // 3) END AS nir,
        CASE WHEN range % 7 > 0 THEN 'NAME' || (range // 5) END AS name_key,
        CASE WHEN range % 5 > 0 THEN '1960-01-' || (range % 3) END AS birth
        FROM range(3000)""")
    db.execute("INSERT INTO g SELECT -unique_id, _n, unique_id, nir, name_key, birth "
               "FROM g WHERE _n > 1")      # twin rows: not counted
    rules = " OR ".join(f"({rule})" for rule in linkage.DETERMINISTIC_RULES)
    rows = "(SELECT * FROM g WHERE twin_of IS NULL)"
    found = db.execute(f"SELECT sum(l._n * r._n) FROM {rows} l JOIN {rows} r ON ({rules}) "
                       "AND l.unique_id < r.unique_id").fetchone()[0]
    found += db.execute(f"SELECT sum(l._n * (l._n - 1) // 2) FROM {rows} l JOIN {rows} r "
                        f"ON l.unique_id = r.unique_id AND ({rules})").fetchone()[0]
    n = db.execute("SELECT sum(_n) FROM g WHERE twin_of IS NULL").fetchone()[0]
    expected = found / linkage.DETERMINISTIC_RECALL / (n * (n - 1) / 2)
    assert found > n / 4                      # neither the floor of the prior ...
    assert linkage.PRIOR_BOUNDS[0] < expected < linkage.PRIOR_BOUNDS[1]   # ... nor its bounds
    assert linkage.estimate_prior(db, "g", n) == pytest.approx(expected, rel=1e-12)


def test_a_jvm_failure_keeps_its_java_cause_masked() -> None:
    from breachscope.resolve.people import linkage_error_text

    class Py4JJavaError(Exception):
        pass

    exc = Py4JJavaError(
        "An error occurred while calling o123.collectToPython.\n"
        ": org.apache.spark.SparkException: Job aborted due to stage failure\n"
        "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages\n"
        "Caused by: java.lang.OutOfMemoryError: Java heap space for jean.dupont@example.org\n"
        "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)\n")
    text = linkage_error_text(exc)
    assert text.startswith("Py4JJavaError: An error occurred while calling o123")
    assert "cause: java.lang.OutOfMemoryError: Java heap space" in text
    assert "jean.dupont@example.org" not in text and "\n" not in text
    plain = linkage_error_text(MemoryError("out of memory"))
    assert plain == "MemoryError: out of memory"
