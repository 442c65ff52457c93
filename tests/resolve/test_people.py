"""People resolution runs in DuckDB: each scenario goes through a real case store (records
inserted, ``rebuild_people`` called, ``people``/``person_records`` read back), and the SQL is
checked against the former Python union-find (``people_reference``) on random records."""

from __future__ import annotations

import hashlib
import itertools
import random
import unicodedata

import pytest
from people_reference import insert_records, reference_people

from breachscope.case import Case
from breachscope.detect.validators import fold
from breachscope.resolve import placeholders
from breachscope.resolve.people import install_fold_macro, rebuild_people

PEOPLE_FIELDS = ("person_id", "role", "last_name", "first_name", "birth_date", "nir",
                 "postal_code", "city", "phones", "emails")


@pytest.fixture()
def case(tmp_path):
    with Case(tmp_path / "case") as c:
        yield c


def rec(rid, last=None, first=None, birth=None, nir=None, phones=(), emails=(), full=None,
        **extra):
    return {"record_id": rid, "last_name": last, "first_name": first, "full_name": full,
            "birth_date": birth, "nir": nir, "phones": list(phones), "emails": list(emails),
            "role_hint": "PATIENT", **extra}


def resolve(case, records) -> list[list[str]]:
    """Load records, rebuild people; the groups of record ids, sorted."""
    insert_records(case.db, records)
    n = rebuild_people(case, linkage="exact")
    rows = case.db.execute(
        "SELECT list(record_id ORDER BY record_id) FROM person_records GROUP BY person_id"
    ).fetchall()
    assert n == len(rows) == case.db.execute("SELECT count(*) FROM people").fetchone()[0]
    return sorted(r[0] for r in rows)


def people_rows(case) -> dict[str, dict]:
    cols = ", ".join(PEOPLE_FIELDS)
    rows = case.db.execute(f"SELECT {cols} FROM people").fetchall()
    return {r[0]: dict(zip(PEOPLE_FIELDS[1:], r[1:], strict=True)) for r in rows}


# --------------------------------------------------------------------------- scenarios


def test_nir_bridges_a_record_without_nir_through_name_and_birth(case):
    assert resolve(case, [
        rec("a", "DUPONT", "Marie", "1954-03-12", nir="254037512345678"),
        rec("b", "Dupont", "MARIE", "1954-03-12"),           # case differs
        rec("c", "DUPONT", "Marié", "1954-03-12"),           # accent differs
        rec("d", None, None, None, nir="254037512345678"),   # NIR only
    ]) == [["a", "b", "c", "d"]]


def test_same_name_different_birth_dates_are_two_people(case):
    assert resolve(case, [
        rec("a", "MARTIN", "Jean", "1950-01-01"),
        rec("b", "MARTIN", "Jean", "1980-01-01"),
    ]) == [["a"], ["b"]]


def test_household_sharing_a_phone_stays_apart_but_same_name_and_phone_joins(case):
    assert resolve(case, [
        rec("a", "LEROY", "Marc", phones=["+33320000000"]),
        rec("b", "LEROY", "Anne", phones=["+33320000000"]),
        rec("c", "Leroy", "Marc", phones=["+33320000000"], emails=["m@x.fr"]),
        rec("d", "LEROY", "Marc", emails=["m@x.fr"]),
    ]) == [["a", "c", "d"], ["b"]]


def test_hyphen_and_apostrophe_folding(case):
    assert resolve(case, [
        rec("a", "LE GALL", "Jean-Pierre", "1960-05-05"),
        rec("b", "Le-Gall", "Jean Pierre", "1960-05-05"),
        rec("c", "D’Arc", "Jeanne", "1412-01-06"),
        rec("d", "d'arc", "JEANNE", "1412-01-06"),
        rec("e", "D  ARC", "Jeanne ", "1412-01-06"),
    ]) == [["a", "b"], ["c", "d", "e"]]


def test_name_only_records_join_only_name_only_records(case):
    assert resolve(case, [
        rec("a", "PETIT", "Luc"),
        rec("b", "Petit", "LUC"),
        rec("c", "PETIT", "Luc", "1970-01-01"),
        rec("d", "PETIT", "Luc", nir="170017512345699"),   # a NIR: no name-only key
        rec("e", "PETIT", "Léa"),
    ]) == [["a", "b"], ["c"], ["d"], ["e"]]


def test_full_name_is_the_last_name_when_last_name_is_empty(case):
    assert resolve(case, [
        rec("a", full="Marie Curie", birth="1867-11-07"),
        rec("b", "MARIE CURIE", None, "1867-11-07"),
        rec("c", "", "", "1867-11-07", full="marie-curie"),
        rec("d", "Curie", "Marie", "1867-11-07"),
    ]) == [["a", "b", "c"], ["d"]]
    people = people_rows(case)
    # a, b and c each say it differently: a tie, won by the smallest record (a).
    assert sorted(p["last_name"] for p in people.values()) == ["Curie", "Marie Curie"]


def test_a_chain_of_shared_keys_is_one_person_and_needs_no_python_loop(case):
    # r000 -- r001 -- ... -- r299 through pairwise shared phones: the longest path possible.
    records = [rec(f"r{i:03d}", "CHAIN", "Eve", phones=[f"+3360000{i:04d}", f"+3360000{i + 1:04d}"])
               for i in range(300)]
    random.Random(3).shuffle(records)
    assert resolve(case, records) == [sorted(r["record_id"] for r in records)]


def test_person_fields_person_id_and_rebuild(case):
    records = [
        rec("r2", "Durand", "Paul", "1980-02-02", phones=["+33600000002", "+33600000001"],
            postal_code="75001", city="PARIS", role_hint="STAFF"),
        rec("r1", "DURAND", "Paul", "1980-02-02", phones=["+33600000001"], emails=["p@x.fr"],
            postal_code="69001", city=None),
        rec("r3", "DURAND", "paul", "1980-02-02", postal_code="", city="LYON"),
    ]
    assert resolve(case, records) == [["r1", "r2", "r3"]]
    (pid, person), = people_rows(case).items()
    assert pid == "P" + hashlib.sha256(b"r1").hexdigest()[:12]
    assert person == {
        "role": "PATIENT", "last_name": "DURAND", "first_name": "Paul",
        "birth_date": "1980-02-02", "nir": None,
        "postal_code": "69001",   # a tie: the value of the smallest record id
        "city": "PARIS",          # a tie: r2 < r3
        "phones": ["+33600000001", "+33600000002"], "emails": ["p@x.fr"],
    }
    # A rebuild replaces everything and leaves no scratch table behind.
    assert rebuild_people(case, linkage="exact") == 1
    assert case.db.execute("SELECT count(*) FROM person_records").fetchone()[0] == 3
    assert case.db.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '\\_bs\\_%' ESCAPE '\\'"
    ).fetchone()[0] == 0


def test_empty_case(case):
    assert rebuild_people(case, linkage="exact") == 0


# --------------------------------------------------------------------------- vs. Python

_LAST = ["Martin", "MARTIN", "Martín", "Le Gall", "Le-Gall", "N'Diaye", "N’DIAYE", "Øster",
         "Œuvray", "Lefèvre", "LEFEVRE", "", None]
_FIRST = ["Jean", "JEAN", "Jean-Pierre", "Jean Pierre", "Zoé", "ZOE", "", None]


def _random_records(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pick = rng.random
        last = rng.choice(_LAST)
        first = rng.choice(_FIRST)
        out.append({
            "record_id": f"{rng.choice('abc')}{i:05d}",
            "last_name": last,
            "first_name": first,
            "full_name": rng.choice(["Jean Martin", "MARTIN", "zoé le gall", ""])
            if pick() < 0.3 else None,
            "birth_date": rng.choice(["1950-01-01", "1960-06-06", ""]) if pick() < 0.4 else None,
            "nir": rng.choice(["150017512345611", "260067512345622", ""])
            if pick() < 0.1 else None,
            "phones": rng.sample(["+33100000001", "+33100000002", "+33100000003"],
                                 rng.choice([0, 0, 1, 2])) if pick() < 0.8 else None,
            "emails": rng.sample(["a@x.fr", "b@x.fr"], rng.choice([0, 0, 1]))
            if pick() < 0.8 else None,
            "postal_code": rng.choice(["75001", "69001", "", None]),
            "city": rng.choice(["PARIS", "LYON", None]),
            "role_hint": rng.choice(["PATIENT", "STAFF", "UNKNOWN", None]),
        })
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_matches_the_python_reference_on_random_records(case, seed, monkeypatch):
    # Three phones and two e-mails shared by every name of the set: placeholders by the
    # frequency rule, which the reference does not know (tested in test_placeholders.py).
    monkeypatch.setattr(placeholders, "MAX_OWNER_NAMES", 10**9)
    records = _random_records(seed, 1500)
    insert_records(case.db, records)
    rebuild_people(case, linkage="exact")
    expected = reference_people(records)
    got = people_rows(case)
    links = dict(case.db.execute(
        "SELECT person_id, list(record_id ORDER BY record_id) FROM person_records "
        "GROUP BY person_id").fetchall())
    assert len(expected) > 50   # a real mix of groups, not one blob
    assert got.keys() == expected.keys()
    for pid, person in expected.items():
        assert {**got[pid], "records": links[pid]} == person, pid


# --------------------------------------------------------------------------- fold in SQL

_NAME_PARTS = [
    "Lefèvre", "LÉVÊQUE", "Müller", "Ñúñez", "Çelik", "Åsa", "Ærø", "Øyvind", "Œdipe",
    "cœur", "Straße", "İbrahim", "ılgaz", "Şükrü", "Ğöktürk", "Łukasz", "Đorđe", "Þórður",
    "Dvořák", "Björk", "Ångström", "Saint-Étienne", "D’Artagnan", "d'Artagnan", "O`Neil",
    "Mc´Kay", "Jean‐Luc", "Jean–Luc", "Jean—Luc", "Jean‑Luc", "  double  space ",
    "tab\there", "nbsp\u00a0name", "thin\u2009space", "ĳsselmeer", "ﬁnn", "Ŀlull", "ǅemal",
    "ＦＵＬＬ", "Ἀθηνᾶ", "Ωμέγα", "Дмитрий", "Йохан", "Ёлкин", "ŉame", "Ø-øst", "Æsop",
    "ẞig", "ǿdegaard", "ǽlfric", "Zoë", "Noël", "naïve", "Hélène-Marie", "L'Hôpital",
    "X\u0301Y", "\u00b4acute", "a\u00a8b", "Ǆ", "½", "ª", "¹²³", "‥",
]


def _sql_fold(db, values: list[str]) -> list[str]:
    install_fold_macro(db)
    return [r[0] for r in db.execute(
        "SELECT fold(s) FROM unnest(?) WITH ORDINALITY AS t(s, i) ORDER BY i", [values]
    ).fetchall()]


def test_sql_fold_matches_python_fold_on_varied_names(case):
    rng = random.Random(5)
    names = list(_NAME_PARTS)
    names += [" ".join(p) for p in itertools.combinations(_NAME_PARTS[:20], 2)]
    names += [rng.choice(["", " ", "-", "'", "’ "]).join(rng.sample(_NAME_PARTS, 3))
              for _ in range(300)]
    assert len(names) > 500
    got = _sql_fold(case.db, names)
    assert [(n, g) for n, g in zip(names, got, strict=True) if g != fold(n)] == []


def test_sql_fold_matches_python_fold_character_by_character(case):
    """Every Latin, Greek, Cyrillic, punctuation, ligature and full-width character, and every
    separator Python's fold knows. Known difference: DuckDB's strip_accents drops every mark
    (category M) while Python drops only those with a combining class (Indic vowel signs...)."""
    ranges = itertools.chain(range(0x20, 0x530), range(0x1E00, 0x2070), range(0x2100, 0x2190),
                             range(0x3000, 0x3001), range(0xFB00, 0xFB18),
                             range(0xFF01, 0xFF5F))
    chars = [chr(cp) for cp in ranges
             if not (unicodedata.category(chr(cp)).startswith("M")
                     and not unicodedata.combining(chr(cp)))
             and unicodedata.category(chr(cp)) not in ("Cn", "Cs")]
    values = [f"a{c}b" for c in chars] + chars
    got = _sql_fold(case.db, values)
    assert [(v, g, fold(v)) for v, g in zip(values, got, strict=True) if g != fold(v)] == []
