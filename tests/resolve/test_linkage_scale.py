"""Linkage at scale: identical records are scored once (``resolve.linkage._COLLAPSE_SQL``), so
a dump that repeats each person hundreds of times costs Splink pairs in proportion to its
people, not to the square of its copies, and resolves into the same people as scoring every
pair would."""

from __future__ import annotations

import pytest
from people_reference import insert_records
from test_people import rec

from breachscope.case import Case
from breachscope.resolve import linkage, people
from breachscope.resolve.people import rebuild_people

pytest.importorskip("splink")

# Scoring every record, as before the collapse: one group per record.
_NO_COLLAPSE = """
CREATE OR REPLACE TEMP TABLE _bs_link_groups AS
SELECT unique_id, 1::BIGINT AS _n, [unique_id] AS _members, COLUMNS(c -> c <> 'unique_id')
FROM ({input})
""".replace("{input}", linkage._INPUT_SQL)


def _one_signature_per_record(monkeypatch) -> None:
    """Resolution over every record, as before records were grouped into signatures
    (``resolve.people._signature_sql``): the record id among the signature's columns."""
    monkeypatch.setattr(people, "_SIGNATURE_SQL",
                        people._signature_sql((*people._SIG_COLUMNS, "record_id")))


def _people(case: Case) -> list[list[str]]:
    rows = case.db.execute(
        "SELECT list(record_id ORDER BY record_id) FROM person_records GROUP BY person_id"
    ).fetchall()
    return sorted(r[0] for r in rows)


def _meta(case: Case, key: str) -> str:
    return case.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()[0]


def _copies(records: list[dict], n: int) -> list[dict]:
    return [dict(r, record_id=f"{r['record_id']}{k:03d}") for r in records for k in range(n)]


# A few people, each written several ways; and records whose copies are *not* one person
# for the model: a first name and a city only (no blocking key: never compared), a common
# full name with nothing else.
PEOPLE = [
    rec("a", "Lefèvre", "Hélène", "1961-04-07", phones=["0611223344"], postal_code="75011"),
    rec("b", "LEFEVRE", "Helen", "1961-04-07", postal_code="75011"),          # typo
    rec("c", "Lefevre", "Hélène", "1961-07-04"),                              # day/month
    rec("d", "Petit", "Jean", "1960-01-02", nir="160017512345678"),
    rec("e", "PETIT", "Jean", None, nir="160017512345678"),
    rec("f", "Moreau", "Julie", "1985-02-03", emails=["julie.moreau@example.org"]),
    rec("g", "Moreau", "Léa", "1985-02-03", postal_code="69003"),             # her twin
    rec("h", None, "Marie", city="Lyon"),
    rec("i", "Martin", "Jean"),
]


def test_two_hundred_copies_of_each_record_resolve_in_pairs_of_people(tmp_path):
    with Case(tmp_path / "case") as case:
        insert_records(case.db, _copies(PEOPLE, 200))
        rebuild_people(case, linkage="splink")
        people = _people(case)
        assert _meta(case, "people_linkage") == "splink"
        # Splink compared groups of identical records (9 here) and each group with a copy
        # of itself: a few dozen pairs, where the 1 800 records pair up by the hundred
        # thousand (200 copies of Hélène's three records alone: 179 700 pairs).
        candidates = int(_meta(case, "linkage_candidate_pairs"))
        assert 0 < candidates <= 50
        pairs = case.db.execute("SELECT count(*) FROM linkage_pairs").fetchone()[0]
        # Kept as edges between records, a few per record, not every pair of copies.
        assert 0 < pairs < 4 * 1800
    def ids(*letters):
        return sorted(f"{x}{k:03d}" for x in letters for k in range(200))
    assert ids("a", "b", "c") in people
    assert ids("d", "e") in people
    assert ids("f") in people and ids("g") in people      # twins stay two people
    # A first name and a city: no blocking key, each copy stays a person of its own.
    assert sum(1 for p in people if p[0].startswith("h")) == 200


@pytest.mark.parametrize("copies", [1, 7])
def test_collapsed_linkage_finds_the_people_that_scoring_every_pair_finds(tmp_path, monkeypatch,
                                                                        copies):
    records = _copies(PEOPLE, copies)
    with Case(tmp_path / "collapsed") as case:
        insert_records(case.db, records)
        rebuild_people(case, linkage="splink")
        collapsed, collapsed_pairs = _people(case), int(_meta(case, "linkage_candidate_pairs"))
    monkeypatch.setattr(linkage, "_COLLAPSE_SQL", _NO_COLLAPSE)
    _one_signature_per_record(monkeypatch)
    with Case(tmp_path / "every_pair") as case:
        insert_records(case.db, records)
        rebuild_people(case, linkage="splink")
        every, every_pairs = _people(case), int(_meta(case, "linkage_candidate_pairs"))
    assert collapsed == every
    if copies > 1:
        assert every_pairs > 10 * collapsed_pairs


def test_inputs_grouped_first_give_the_groups_of_preparing_every_record(tmp_path, monkeypatch):
    """Splink's collapsed input (records with equal inputs grouped, then prepared once) is the
    one preparing every record and grouping the prepared rows gives: same groups, members,
    counts and columns — copies, case variants ("Lefèvre"/"LEFEVRE" prepare alike) and
    records of one exact group with different contacts included."""
    records = [
        *_copies(PEOPLE, 3),
        rec("x1", "DUPONT", "Marie", "1970-01-02", phones=["0611111111"]),
        rec("x2", "Dupont", "MARIE", "1970-01-02", phones=["0611111111"]),
        rec("x3", "Dupont", "Marie", "1970-01-02", nir="270017512345621",
            emails=["m.dupont@example.org"]),
    ]
    seen: dict[str, list[tuple]] = {}

    def compare(db, **_kwargs):
        linkage._register_gazetteers(db)
        db.execute("CREATE OR REPLACE TEMP TABLE _ref AS SELECT min(unique_id) AS unique_id, "
                   "count(*) AS _n, list(unique_id ORDER BY unique_id) AS _members, "
                   f"COLUMNS(c -> c <> 'unique_id') FROM ({linkage._INPUT_SQL}) GROUP BY ALL")
        db.execute(linkage._RAW_SQL)
        seen["distinct_inputs"] = db.execute("SELECT count(*) FROM _bs_link_raw").fetchall()
        db.execute(linkage._COLLAPSE_SQL)
        for name in ("_ref", "_bs_link_groups"):
            seen[name] = db.execute(f"SELECT * FROM {name} ORDER BY unique_id").fetchall()
            seen[name + " types"] = db.execute(f"DESCRIBE {name}").fetchall()
        raise RuntimeError("compared")

    monkeypatch.setattr(linkage, "splink_edges", compare)
    _one_signature_per_record(monkeypatch)
    with Case(tmp_path / "case") as case:
        insert_records(case.db, records)
        rebuild_people(case, linkage="splink")
    assert seen["_bs_link_groups"] == seen["_ref"]
    assert seen["_bs_link_groups types"] == seen["_ref types"]
    # the copies were grouped before preparation, and some distinct inputs prepared alike
    assert seen["distinct_inputs"][0][0] < len(records)
    assert len(seen["_ref"]) < seen["distinct_inputs"][0][0]
    assert sum(row[1] for row in seen["_ref"]) <= len(records)
