"""The people aggregation in stages over signatures (``resolve.people._build_people``: one
statement per stage, each written to a temp table, so DuckDB spills each alone: 10 M records
under the 1 GB memory_limit) gives the people of the one-statement ``_SELECT_PEOPLE`` over every
record (the review's regrouping uses it) and of the Python reference, here under a small memory
limit."""

from __future__ import annotations

import pytest
from people_reference import insert_records, reference_people
from test_people import PEOPLE_FIELDS, _random_records

from breachscope.case import Case
from breachscope.resolve import people, placeholders


def _rows(db, sql: str) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in db.execute(
        f"SELECT {', '.join(PEOPLE_FIELDS)} FROM ({sql})").fetchall()}


@pytest.mark.parametrize(("seed", "part_rows"), [(4, 10**6), (5, 10**6), (4, 400)])
def test_stages_give_the_people_of_one_statement_and_of_the_reference(tmp_path, seed,
                                                                      part_rows, monkeypatch):
    """``part_rows`` 400: the contact lists written in several parts of the people (as at
    10 M records, where one aggregation of them ran out of memory)."""
    monkeypatch.setattr(placeholders, "MAX_OWNER_NAMES", 10**9)   # as in test_people
    monkeypatch.setattr(people, "LIST_PART_ROWS", part_rows)
    parts = []
    write = people._write_in_parts
    monkeypatch.setattr(people, "_write_in_parts", lambda db, target, sql: (
        parts.append(db.execute(
            "SELECT count(*) FROM _bs_p_base WHERE shared").fetchone()[0] // part_rows),
        write(db, target, sql)))
    records = _random_records(seed, 3000)
    with Case(tmp_path / "case", memory_limit="32MB") as case:
        db = case.db
        insert_records(db, records)
        db.execute("SET threads = 1")
        rebuild = people.rebuild_people(case, linkage="exact")
        staged = _rows(db, "SELECT * FROM people")
        leftovers = {t for (t,) in db.execute(
            "SELECT table_name FROM duckdb_tables() "
            "WHERE starts_with(table_name, '_bs_p_')").fetchall()}
        # The same people by the one statement, over a root of every record (as a review
        # decision's regrouping builds it: review.apply._insert_people).
        db.execute("""
            CREATE TEMP TABLE _bs_root AS
            WITH numbered AS (
                SELECT person_id, record_id, row_number() OVER (ORDER BY record_id) AS rn
                FROM person_records)
            SELECT rn, record_id, min(rn) OVER (PARTITION BY person_id) AS root,
                count(*) OVER (PARTITION BY person_id) > 1 AS shared, person_id
            FROM numbered""")
        one_statement = _rows(db, people._SELECT_PEOPLE)
    expected = reference_people(records)
    assert len(expected) > 100
    assert staged == one_statement
    assert rebuild == len(staged)
    assert leftovers == set()      # each stage's inputs dropped once used
    assert (parts[0] >= 2) == (part_rows < 10**6), parts
    fields = PEOPLE_FIELDS[1:]
    for pid, person in expected.items():
        assert dict(zip(fields, staged[pid], strict=True)) == {
            k: v for k, v in person.items() if k in fields}, pid
