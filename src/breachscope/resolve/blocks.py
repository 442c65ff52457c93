"""A cap on the pairs one blocking block gives the linkage.

Splink scores the pairs of records that share a block of one of its blocking rules
(:data:`breachscope.resolve.linkage.BLOCKING_RULES`): the pairs of a block grow with the square
of its records. Placeholders (:mod:`breachscope.resolve.placeholders`) and the collapse of
identical records keep the blocks of a real dump small (a birth date: some 330 distinct
records in 10 M; the largest block of the bench's 2 M records: a few thousand pairs), but a
dump can still hold thousands of *distinct* records under one key that is no placeholder: a
hostile dump built for it, a test-patient name typed with thousands of dates, one common last
name at the postal code of a hospital's own town in a case of tens of millions of records.
Unbounded, one block of 100 000 such records is 5 × 10⁹ pairs: hours of scoring and
gigabytes of spill for one key.

So a block whose rule would make more than :func:`max_block_pairs` pairs (1 000 000 by
default, about 1 400 distinct records; ``BREACHSCOPE_LINKAGE_MAX_BLOCK_PAIRS``) is not used by
that rule: its records are still compared through every other rule (and joined by the exact
keys), but not with each other through that key. Each record then meets at most a bounded
number of others per rule, so the linkage's work grows linearly with the records whatever the
dump. Done by a column ``_b<i>`` per rule concerned (0, or for a record of an oversized block
its own ``unique_id``) added to the equality of the rule: DuckDB joins on it, so the pairs of
an oversized block are never generated (a filter after the join would still enumerate them).
A twin row (the copy of a representative, :data:`~breachscope.resolve.linkage._TWIN_RULE`)
carries its representative's id, so identical records are still matched with each other.
When no block is over the cap, the rules and the input are exactly those of before.
"""

from __future__ import annotations

import logging
import os
import re

import duckdb

log = logging.getLogger(__name__)

#: Pairs above which a block of one rule is not used by that rule.
DEFAULT_MAX_BLOCK_PAIRS = 1_000_000
MAX_BLOCK_PAIRS_ENV = "BREACHSCOPE_LINKAGE_MAX_BLOCK_PAIRS"

_TERM = re.compile(r"l\.(\w+(?:\[\d+\])?) = r\.(\w+(?:\[\d+\])?)")


def _choose2(n: str) -> str:
    return f"({n}) * (({n}) - 1) // 2"


# The conditions of a rule beyond its equalities, and the pairs they let through in a block
# (an aggregate over the block's records). A rule with another condition is refused (at
# import, by the tests), so a new rule cannot escape the cap unnoticed.
_RESIDUALS = {
    "": _choose2("count(*)"),
    "(l.birth IS NULL OR r.birth IS NULL)":
        f"{_choose2('count(*)')} - {_choose2('count(birth)')}",
    "(l.birth IS NULL) <> (r.birth IS NULL)":
        "count(*) FILTER (WHERE birth IS NULL) * count(birth)",
    "l.birth IS NULL AND r.birth IS NULL": _choose2("count(*) FILTER (WHERE birth IS NULL)"),
}


def block_sql(rule: str) -> tuple[str, str]:
    """``(key, pairs)`` for a blocking rule: the SQL of a record's block key (NULL: in no block
    of this rule; the block of two records that the rule pairs is the same) and an aggregate
    over a block's records giving the pairs the rule makes of them. Equalities ``l.x = r.x``
    are the key; ``l.a = r.b AND l.b = r.a`` (names swapped) pairs the records of ``(a, b)``
    with those of ``(b, a)``: the key is the unordered pair, the pairs are counted across."""
    same, cross = [], []
    for left, right in _TERM.findall(rule):
        (same if left == right else cross).append((left, right))
    residual = " AND ".join(p for p in _TERM.sub("", rule).split(" AND ") if p.strip())
    if residual not in _RESIDUALS or (cross and residual):
        raise ValueError(f"blocking rule not understood by the block cap: {rule!r}")
    parts = [f"{col}::VARCHAR" for col, _ in same]
    pairs = _RESIDUALS[residual]
    if cross:
        (a, b), (b2, a2) = cross
        if (a, b) != (a2, b2):
            raise ValueError(f"blocking rule not understood by the block cap: {rule!r}")
        parts.append(f"CASE WHEN {a} IS NOT NULL AND {b} IS NOT NULL "
                     f"THEN least({a}, {b}) || chr(31) || greatest({a}, {b}) END")
        pairs = (f"count(*) FILTER (WHERE {a} < {b}) * count(*) FILTER (WHERE {a} > {b}) + "
                 f"{_choose2(f'count(*) FILTER (WHERE {a} = {b})')}")
    return " || chr(31) || ".join(parts), pairs


def max_block_pairs() -> int:
    """The cap: ``BREACHSCOPE_LINKAGE_MAX_BLOCK_PAIRS`` (a positive integer) or 1 000 000."""
    configured = os.environ.get(MAX_BLOCK_PAIRS_ENV, "").strip()
    if not configured:
        return DEFAULT_MAX_BLOCK_PAIRS
    if not configured.isdigit() or int(configured) <= 0:
        raise ValueError(f"{MAX_BLOCK_PAIRS_ENV} must be a positive number of pairs")
    return int(configured)


def cap_blocks(db: duckdb.DuckDBPyConnection, table: str, rules: list[str],
               cap: int | None = None) -> dict[int, tuple[int, int]]:
    """Mark the records of ``table`` (one row per distinct record, ``unique_id``) that are in
    a block over the cap: a column ``_b<i>`` for each rule ``i`` with such a block, holding 0
    or the record's ``unique_id``. Returns ``{i: (blocks, records)}`` for those rules (empty:
    the table is unchanged)."""
    cap = max_block_pairs() if cap is None else cap
    over: dict[int, tuple[int, int]] = {}
    for i, rule in enumerate(rules):
        key, pairs = block_sql(rule)
        big = f"_bs_link_big{i}"
        db.execute(f"CREATE OR REPLACE TEMP TABLE {big} AS SELECT k, n FROM ("
                   f"SELECT {key} AS k, count(*) AS n, {pairs} AS pairs FROM {table} "
                   f"GROUP BY k) WHERE k IS NOT NULL AND pairs > {int(cap)}")
        try:
            blocks, records = db.execute(
                f"SELECT count(*), coalesce(sum(n), 0) FROM {big}").fetchone()
            if blocks:
                over[i] = (blocks, int(records))
                db.execute(f"ALTER TABLE {table} ADD COLUMN _b{i} BIGINT DEFAULT 0")
                db.execute(f"UPDATE {table} SET _b{i} = unique_id "
                           f"WHERE ({key}) IN (SELECT k FROM {big})")
        finally:
            db.execute(f"DROP TABLE IF EXISTS temp.{big}")
    for i, (blocks, records) in over.items():
        # Counts and the rule's number only: a block's key is a name, a date, a phone.
        log.warning("linkage: %d block(s) of blocking rule %d over %d pairs (%d distinct "
                    "records) not used by that rule", blocks, i, cap, records)
    return over


def capped_rules(rules: list[str], over: dict[int, tuple[int, int]] | set[int]) -> list[str]:
    """``rules`` with ``AND l._b<i> = r._b<i>`` added to each rule ``i`` in ``over``."""
    return [f"{rule} AND l._b{i} = r._b{i}" if i in over else rule
            for i, rule in enumerate(rules)]
