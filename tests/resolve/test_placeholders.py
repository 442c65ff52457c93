"""Placeholder values (01/01/1900, a switchboard's phone, inconnu@..., a NIR of all 1s) are no
linkage keys and no evidence, but stay in the records and people; resolution's spill is capped.
Every scenario goes through a real case store and ``rebuild_people``."""

from __future__ import annotations

import datetime as dt
import itertools

import duckdb
import pytest
from people_reference import insert_records
from test_people import rec

from breachscope.case import Case
from breachscope.resolve import placeholders
from breachscope.resolve.people import rebuild_people
from breachscope.resolve.spill import (
    SPILL_LIMIT_ENV,
    SpillCapReached,
    capped,
    parse_size,
    spill_cap,
)

pytest.importorskip("splink")

# Consonant-vowel syllables: 2 000 distinct last names of three syllables, and first names
# of two, none a real name's typo of another's (they are compared only when blocked).
_SYLLABLES = [c + v for c in "BDFGLMNPRSTVZ" for v in "AEIOU"]


def _name(i: int, parts: int) -> str:
    out = []
    for _ in range(parts):
        i, r = divmod(i, len(_SYLLABLES))
        out.append(_SYLLABLES[r])
    return "".join(out)


def _nir(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


@pytest.fixture()
def case(tmp_path):
    with Case(tmp_path / "case") as c:
        yield c


def meta(case, key):
    row = case.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def person_count(case) -> int:
    return case.db.execute("SELECT count(DISTINCT person_id) FROM person_records").fetchone()[0]


def groups(case) -> list[list[str]]:
    rows = case.db.execute(
        "SELECT list(record_id ORDER BY record_id) FROM person_records GROUP BY person_id"
    ).fetchall()
    return sorted(r[0] for r in rows)


# --------------------------------------------------------------------------- the cases


def test_thousands_born_on_01_01_1900_are_neither_merged_nor_one_block(case):
    # 2 000 people with distinct names, all "born" 01/01/1900; 500 of them twice (same name,
    # same postal code): the names still join those, the date joins nobody.
    records = []
    for i in range(2000):
        last, first = _name(i * 7 + 3, 3), _name(i, 2)
        postal = f"{75001 + i % 20}"
        records.append(rec(f"p{i:04d}a", last, first, "1900-01-01", postal_code=postal))
        if i % 4 == 0:
            records.append(rec(f"p{i:04d}b", last, first, "1900-01-01", postal_code=postal))
    insert_records(case.db, records)
    assert rebuild_people(case, linkage="splink") == 2000
    assert meta(case, "people_linkage") == "splink" and meta(case, "linkage_error") == ""
    assert [g for g in groups(case) if len(g) > 1] == [
        [f"p{i:04d}a", f"p{i:04d}b"] for i in range(0, 2000, 4)]
    # Blocking on the date would compare every pair of the 2 500 records (3.1 million pairs);
    # without it, only each person's own records (name blocks) and a few postal-code blocks.
    assert int(meta(case, "linkage_candidate_pairs")) < 5000
    assert meta(case, "linkage_placeholders") == "birth: 1 (2500 records)"
    # The date is still what leaked about each of them.
    assert case.db.execute("SELECT DISTINCT birth_date FROM people").fetchall() == [
        ("1900-01-01",)]


def test_a_switchboard_phone_shared_by_300_people_merges_none_of_them(case):
    # 300 women with their hospital's switchboard as phone and no birth date: ten first
    # names, distinct last names. With the phone as evidence (+9 bits) two women of one first
    # name would pass for one person under a married name; it must count for nothing.
    switchboard = "+33320445962"
    records = [rec(f"s{i:03d}", _name(i * 11 + 5, 3), ["Marie", "Nathalie", "Isabelle",
                   "Sylvie", "Catherine", "Christine", "Sandrine", "Valérie", "Martine",
                   "Nicole"][i % 10], phones=[switchboard], sex="F") for i in range(300)]
    # One family's own phone stays evidence and a key: the same person twice.
    records += [rec("f1", "Durand", "Léa", phones=["+33612131415"], postal_code="59000"),
                rec("f2", "DURAND", "Lea", phones=["+33612131415"])]
    insert_records(case.db, records)
    assert rebuild_people(case, linkage="splink") == 301
    assert ["f1", "f2"] in groups(case)
    assert meta(case, "linkage_placeholders") == "phone: 1 (300 records)"
    # The switchboard is still each person's phone in the case.
    assert case.db.execute("SELECT count(*) FROM people WHERE list_contains(phones, ?)",
                           [switchboard]).fetchone()[0] == 300


def test_same_nir_still_merges_with_a_placeholder_birth_date(case):
    # A woman under her birth and her married name, born "01/01/1900" in both systems, with
    # her NIR in both: the NIR (born May 1985) is her own, not a parent's: a default date is
    # no date to compare it with.
    nir = _nir("2850575123456")
    others = [rec(f"o{i:02d}", _name(i * 13 + 1, 3), "Marie", "1900-01-01") for i in range(60)]
    insert_records(case.db, [
        rec("a", "DUPONT", "Marie", "1900-01-01", nir=nir),
        rec("b", "MARTIN", "Marie", "1900-01-01", nir=nir),
        *others,
    ])
    assert rebuild_people(case, linkage="splink") == 61
    assert ["a", "b"] in groups(case)
    # and with the exact keys alone
    assert rebuild_people(case, linkage="exact") == 61
    assert ["a", "b"] in groups(case)


def test_a_placeholder_date_is_no_exact_key_for_namesakes(case):
    # Two MARTIN Paul "born 01/01/1900" at two ends of France, with their own phones: the
    # exact key name + birth date would make them one person.
    insert_records(case.db, [
        rec("a", "MARTIN", "Paul", "1900-01-01", phones=["+33611111112"], postal_code="59000"),
        rec("b", "MARTIN", "Paul", "1900-01-01", phones=["+33699999998"], postal_code="13008"),
    ])
    assert rebuild_people(case, linkage="exact") == 2
    # whereas a real date still is one
    case.db.execute("UPDATE records SET birth_date = '1951-03-02'")
    assert rebuild_people(case, linkage="exact") == 1


def test_placeholder_emails_and_nirs_are_no_keys(case):
    # "inconnu@..." and a NIR of all 1s (the shape of a NIR, nobody's number) on two people.
    insert_records(case.db, [
        rec("a", "Bernard", "Hugo", "1980-02-03", emails=["inconnu@chu-lille.fr"],
            nir="111111111111111"),
        rec("b", "Bernard", "Hugo", "1979-11-30", emails=["inconnu@chu-lille.fr"],
            nir="111111111111111"),
    ])
    assert rebuild_people(case, linkage="exact") == 2
    assert rebuild_people(case, linkage="splink") == 2
    assert meta(case, "linkage_placeholders") == "email: 1 (2 records), nir: 1 (2 records)"


# --------------------------------------------------------------------------- the rules


def _static(kind: str, value: str) -> bool:
    sql = placeholders.static_sql(kind, "?", today=dt.date(2026, 1, 1))
    return duckdb.sql(f"SELECT {sql.replace('?', '$v')}", params={"v": value}).fetchone()[0]


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("birth", "1900-01-01", True), ("birth", "9999-12-31", True), ("birth", "1850-06-01", True),
    ("birth", "2031-05-05", True), ("birth", "1970-01-01", False), ("birth", "1901-02-01", False),
    ("postal", "00000", True), ("postal", "99999", True), ("postal", "75011", False),
    ("phone", "+33600000000", True), ("phone", "+33111111111", True),
    ("phone", "+33123456789", True), ("phone", "+33612131415", False),
    ("email", "inconnu@chu-lille.fr", True), ("email", "NOMAIL@orange.fr", True),
    ("email", "jean.dupont@nomail.fr", True), ("email", "jean.inconnu@orange.fr", False),
    ("email", "jean.dupont@example.org", False),
    ("email", "marie@mail.com", False),
    ("nir", "111111111111111", True), ("nir", "2000000000000", True),
    ("nir", "1850575123000", True), ("nir", "2850575123456", False),
    ("ipp", "0", True), ("ipp", "inconnu", True), ("ipp", "4521877", False),
])
def test_static_placeholders(kind, value, expected):
    assert _static(kind, value) is expected


def test_a_birth_date_is_a_placeholder_only_far_above_the_case_spread(case):
    # 200 dates of 1 to 3 people each; one date for 30 last names (a default typed by one
    # service): 30 > 20 names and > 10 x the median. A real date, two people: not one.
    records = [rec(f"r{i:03d}", _name(i, 3), "Jean", f"19{40 + i % 50}-0{1 + i % 9}-1{i % 10}")
               for i in range(300)]
    records += [rec(f"d{i:02d}", _name(500 + i, 3), "Paul", "1955-05-05") for i in range(30)]
    insert_records(case.db, records)
    rebuild_people(case, linkage="exact")
    assert meta(case, "linkage_placeholders") == "birth: 1 (30 records)"


def test_a_phone_of_a_family_is_no_placeholder_but_one_of_eleven_names_is(case):
    family = [rec(f"f{i}", last, first, phones=["+33612131415"]) for i, (last, first) in
              enumerate(itertools.product(["Durand", "Petit", "Moreau"], ["Léa", "Hugo"]))]
    home = [rec(f"h{i:02d}", _name(i, 3), "Jeanne", phones=["+33320000001"]) for i in range(11)]
    insert_records(case.db, family + home)
    rebuild_people(case, linkage="exact")
    assert meta(case, "linkage_placeholders") == "phone: 1 (11 records)"


# --------------------------------------------------------------------------- the spill cap


def test_spill_cap_setting(tmp_path, monkeypatch):
    monkeypatch.delenv(SPILL_LIMIT_ENV, raising=False)
    assert 0 < spill_cap(tmp_path) <= 10 * 2**30
    # relations and assessment: a larger default, still at most half the free disk
    from collections import namedtuple

    from breachscope.resolve import spill
    usage = namedtuple("usage", "total used free")
    for free in (200 * 2**30, 30 * 2**30):
        monkeypatch.setattr(spill.shutil, "disk_usage", lambda _p, f=free: usage(0, 0, f))
        assert spill_cap(tmp_path, spill.TABLES_CAP) == min(spill.TABLES_CAP, free // 2)
        assert spill_cap(tmp_path) == min(10 * 2**30, free // 2)
    monkeypatch.setenv(SPILL_LIMIT_ENV, "512MiB")
    assert spill_cap(tmp_path) == 512 * 2**20 == spill_cap(tmp_path, spill.TABLES_CAP)
    assert parse_size("1.5 GB") == 1_500_000_000 and parse_size("90% of disk") is None


def test_reaching_the_spill_cap_is_a_clear_error_and_the_setting_is_restored(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv(SPILL_LIMIT_ENV, "1MiB")
    with Case(tmp_path / "case", memory_limit="16MB") as c:
        before = c.db.execute("SELECT current_setting('max_temp_directory_size')").fetchone()
        with pytest.raises(SpillCapReached) as err, capped(c.db) as cap:
            assert cap == 2**20
            c.db.execute("SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS s "
                         "FROM range(2000000) t(i) ORDER BY s").fetchall()
        assert str(err.value) == (
            "people resolution: the spill folder spill reached its cap of 1.0 MiB; free disk "
            f"space or set {SPILL_LIMIT_ENV} higher (e.g. 20GiB), then run the scan again")
        after = c.db.execute("SELECT current_setting('max_temp_directory_size')").fetchone()
        assert after != ("1.0 MiB",) and (before == after or "%" in before[0])


@pytest.mark.slow
def test_a_linkage_that_reaches_its_cap_falls_back_to_the_exact_keys(tmp_path, monkeypatch):
    import breachscope.resolve.linkage as linkage

    # The linkage's own connection (spill/linkage) gets a 1 MiB cap; a query on it that
    # spills more (an ORDER BY over 4 million rows under 100 MB, run where Splink would
    # estimate its prior) stops with DuckDB's error, which the case reports in one line.
    monkeypatch.setattr(linkage, "spill_cap", lambda directory: 2**20)
    real_prior = linkage.estimate_prior

    def heavy_prior(con, table, n):
        con.execute("CREATE TABLE big AS SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) "
                    "AS s FROM range(4000000) t(i) ORDER BY s")
        return real_prior(con, table, n)

    monkeypatch.setattr(linkage, "estimate_prior", heavy_prior)
    with Case(tmp_path / "case", memory_limit="100MB") as c:
        insert_records(c.db, [rec("a", "Dupont", "Marie", "1954-03-12"),
                              rec("b", "DUPONT", "Marie", "1954-03-12", phones=["+33612131415"]),
                              rec("c", "Petit", "Jean", "1960-01-02")])
        assert rebuild_people(c, linkage="splink") == 2
        assert meta(c, "people_linkage") == "exact"
        assert meta(c, "linkage_error") == (
            "SpillCapReached: people resolution: the spill folder spill/linkage reached its cap "
            f"of 1.0 MiB; free disk space or set {SPILL_LIMIT_ENV} higher (e.g. 20GiB), then "
            "run the scan again")


def test_an_index_row_born_01_01_1900_is_no_name_and_birth_date_match():
    from breachscope.resolve.mpi import MpiRow, _Person, match

    def person(pid, dob):
        return _Person(pid, "PATIENT", "DUPONT", "Marie", dob, None, {"DUPONT"}, {"MARIE"},
                       {dob}, set(), set())

    rows = [MpiRow(mpi_id="IPP1", last_name="DUPONT", first_name="Marie",
                   birth_date="1900-01-01"),
            MpiRow(mpi_id="IPP2", last_name="DUPONT", first_name="Marie",
                   birth_date="1954-03-12")]
    assert match([person("P1", "1900-01-01"), person("P2", "1954-03-12")], rows) == {
        "P2": ("IPP2", "name_birth_date", 0.95)}


@pytest.mark.slow
def test_a_scan_whose_resolution_reaches_the_cap_stops_cleanly_and_the_next_resolves(
        tmp_path, cli, monkeypatch):
    import breachscope.pipeline as pipeline
    from breachscope.resolve.spill import reached

    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "a.csv").write_text("Nom;Prénom;Date de naissance\nDUPONT;Marie;12/03/1954\n"
                                "DUPONT;Marie;12/03/1954\n", encoding="utf-8")
    real = pipeline.rebuild_people

    def capped_out(case, **kwargs):
        raise reached(2**20, "spill")

    monkeypatch.setattr(pipeline, "rebuild_people", capped_out)
    result = cli("scan", dump, "--case", tmp_path / "case")
    assert result.exit_code != 0
    assert "the spill folder spill reached its cap of 1.0 MiB" in result.output
    assert "Traceback" not in result.output and "DUPONT" not in result.output
    monkeypatch.setattr(pipeline, "rebuild_people", real)
    assert " 1 people" in cli("scan", dump, "--case", tmp_path / "case").output


def test_resolution_on_the_case_connection_takes_the_tables_cap(tmp_path, monkeypatch):
    """The exact keys and the people spill in proportion to the records (9.1 GB at 10 M
    distinct records): on the case's connection resolution takes TABLES_CAP (at most half the
    free disk), not the linkage's 10 GiB, and restores the setting after."""
    from collections import namedtuple

    from breachscope.resolve import people, spill
    monkeypatch.delenv(SPILL_LIMIT_ENV, raising=False)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(spill.shutil, "disk_usage", lambda _p: usage(0, 0, 200 * 2**30))
    seen = []
    build = people._build_people
    monkeypatch.setattr(people, "_build_people", lambda db: (seen.append(db.execute(
        "SELECT current_setting('max_temp_directory_size')").fetchone()[0]), build(db)))
    with Case(tmp_path / "case") as c:
        insert_records(c.db, [rec(f"r{i}", "DUPONT", "Marie", "1980-01-02") for i in (1, 2)])
        before = c.db.execute("SELECT current_setting('max_temp_directory_size')").fetchone()
        assert rebuild_people(c, linkage="exact") == 1
        after = c.db.execute("SELECT current_setting('max_temp_directory_size')").fetchone()
    assert seen == [spill.format_size(spill.TABLES_CAP)] and spill.TABLES_CAP > spill.DEFAULT_CAP
    assert after == before
