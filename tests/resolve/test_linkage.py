"""Probabilistic linkage (Splink) behind ``rebuild_people(linkage="splink")``: fuzzy matches
join people, exact keys stay merged, twins and bare surname mentions stay apart."""

from __future__ import annotations

import pytest
from people_reference import insert_records
from test_people import rec

from breachscope.case import Case
from breachscope.report.summary import build_summary
from breachscope.resolve.people import LINKAGE_ENV, linkage_method, rebuild_people

pytest.importorskip("splink")


@pytest.fixture()
def case(tmp_path):
    with Case(tmp_path / "case") as c:
        yield c


def groups(case, records, linkage="splink") -> list[list[str]]:
    insert_records(case.db, records)
    n = rebuild_people(case, linkage=linkage)
    rows = case.db.execute(
        "SELECT list(record_id ORDER BY record_id) FROM person_records GROUP BY person_id"
    ).fetchall()
    assert n == len(rows)
    return sorted(r[0] for r in rows)


def meta(case, key):
    return case.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()[0]


def test_typos_accents_and_swapped_day_month_join_one_person(case):
    assert groups(case, [
        rec("a", "Lefèvre", "Hélène", "1961-04-07", postal_code="75011", phones=["0611223344"]),
        rec("b", "LEFEVRE", "Helen", "1961-04-07", postal_code="75011"),      # first-name typo
        rec("c", "Lefebvre", "Hélène", "1961-07-04", phones=["0611223344"]),  # day/month swap
        rec("d", "Hélène", "Lefèvre", "1961-04-07"),                          # first/last swap
    ]) == [["a", "b", "c", "d"]]
    assert meta(case, "people_linkage") == "splink"
    # The pairs the linkage accepted are kept, with their probability, for the review UI.
    pairs = case.db.execute(
        "SELECT record_id_a, record_id_b, match_probability FROM linkage_pairs").fetchall()
    assert pairs and all(p >= 0.5 for _a, _b, p in pairs)
    assert {r for a, b, _p in pairs for r in (a, b)} <= {"a", "b", "c", "d"}
    # None with the exact keys alone.
    rebuild_people(case, linkage="exact")
    assert case.db.execute("SELECT count(*) FROM linkage_pairs").fetchone()[0] == 0


def test_married_name_joins_through_full_name(case):
    assert groups(case, [
        rec("a", "DUPONT", "Marie", "1954-03-12", postal_code="69003"),
        rec("b", "MARTIN", "Marie", "1954-03-12", full="DUPONT épouse MARTIN"),
    ]) == [["a", "b"]]


def test_twins_at_one_address_stay_two_people(case):
    assert groups(case, [
        rec("a", "Bernard", "Léa", "2001-05-05", postal_code="13006", phones=["0491000000"]),
        rec("b", "Bernard", "Hugo", "2001-05-05", postal_code="13006", phones=["0491000000"]),
        rec("c", "BERNARD", "LEA", "2001-05-05", postal_code="13006"),
    ]) == [["a", "c"], ["b"]]


def test_exact_keys_stay_merged_even_against_the_model(case):
    # Same NIR, different first names: the exact key wins (the model alone would split).
    assert groups(case, [
        rec("a", "Petit", "Jean", "1950-01-01", nir="150017512345678"),
        rec("b", "Petit", "Paul", None, nir="150017512345678"),
    ]) == [["a", "b"]]


def test_a_bare_surname_is_an_unresolved_mention(case):
    assert groups(case, [
        rec("a", "Moreau", "Julie", "1980-02-02", postal_code="33000"),
        rec("b", full="MOREAU"),
        rec("c", full="Moreau"),
    ]) == [["a"], ["b", "c"]]
    assert meta(case, "unresolved_mentions") == "2"
    assert meta(case, "unresolved_people") == "1"
    people = build_summary(case)["people"]
    assert people["total"] == 2 and people["identified"] == 1
    from breachscope.report.queries import PEOPLE_SQL
    flags = case.db.execute(f"SELECT last_name, identified FROM ({PEOPLE_SQL})").fetchall()
    assert sorted(flags) == [("MOREAU", False), ("Moreau", True)]
    assert people["unresolved_mentions"] == {"people": 1, "records": 2}


def test_linkage_method_defaults_to_splink_and_follows_env_and_meta(case, monkeypatch):
    monkeypatch.delenv(LINKAGE_ENV, raising=False)
    assert linkage_method(case) == "splink"
    case.db.execute("INSERT OR REPLACE INTO meta VALUES ('linkage', 'exact')")
    assert linkage_method(case) == "exact"
    monkeypatch.setenv(LINKAGE_ENV, "splink")
    assert linkage_method(case) == "splink"
    with pytest.raises(ValueError):
        linkage_method(case, "fuzzy")


def test_exact_mode_is_unchanged_by_linkage(case):
    assert groups(case, [
        rec("a", "Lefèvre", "Hélène", "1961-04-07"),
        rec("b", "LEFEVRE", "Helen", "1961-04-07"),
    ], linkage="exact") == [["a"], ["b"]]


@pytest.mark.slow
def test_scan_linkage_option_is_kept_for_the_case(tmp_path, cli, monkeypatch):
    """By default a typo'd record joins its person; `scan --linkage exact` keeps it apart, and
    the choice stays with the case."""
    monkeypatch.delenv(LINKAGE_ENV, raising=False)
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "a.csv").write_text("Nom;Prénom;Date de naissance;Code postal\n"
                                "DUPONT;Marie-Claire;12/03/1954;59280\n", encoding="utf-8")
    (dump / "b.csv").write_text("Nom;Prénom;Date de naissance;Code postal\n"
                                "DUPOND;Marie-Claire;12/03/1954;59280\n", encoding="utf-8")
    exact, fuzzy = tmp_path / "exact", tmp_path / "fuzzy"
    assert cli("scan", dump, "--case", fuzzy).exit_code == 0
    res = cli("scan", dump, "--case", exact, "--linkage", "exact")
    assert res.exit_code == 0, res.output
    assert " 1 people" in cli("scan", dump, "--case", fuzzy).output
    assert " 2 people" in cli("scan", dump, "--case", exact).output  # kept: no option now


def test_a_woman_with_another_last_name_joins_a_man_does_not(case):
    """Same first name and birth date, another last name: a married name for a woman, another
    person for a man (the sex from the record's field or the NIR)."""
    assert groups(case, [
        rec("a", "DURAND", "Claude", "1960-01-01", sex="F"),
        rec("b", "LEROY", "Claude", "1960-01-01", sex="Femme"),
        rec("c", "DURAND", "Dominique", "1961-02-02", sex="H"),
        rec("d", "LEROY", "Dominique", "1961-02-02", sex="M"),
    ]) == [["a", "b"], ["c"], ["d"]]


def test_married_name_from_nee_full_name(case):
    assert groups(case, [
        rec("a", "DUPONT", "Sylvie", "1954-03-12"),
        rec("b", "MARTIN", "Sylvie", "1954-03-12", full="MARTIN née DUPONT"),
    ]) == [["a", "b"]]


def test_a_name_borne_by_one_person_joins_a_record_without_birth_date(case):
    """A record without birth date joins the only person of the case with that name, but not
    one of two namesakes (two birth dates)."""
    assert groups(case, [
        rec("a", "QUELENNEC", "Anatole", "1950-01-01"),
        rec("b", "Quelennec", "Anatole"),
        rec("c", "MARTIN", "Jean", "1950-01-01"),
        rec("d", "MARTIN", "Jean", "1960-05-05"),
        rec("e", "Martin", "Jean"),
    ]) == [["a", "b"], ["c"], ["d"], ["e"]]


def test_the_ipp_tells_namesakes_apart(case):
    assert groups(case, [
        rec("a", "DUPONT", "Marie", "1954-03-12", patient_id="111"),
        rec("b", "DUPONT", "Marie", "1980-01-01", patient_id="222"),
        rec("c", "DUPONT", "Marie", patient_id="222"),
    ]) == [["a"], ["b", "c"]]


def test_contacts_are_pooled_over_the_exact_group(case):
    """c (married name, nothing but a first name and birth date in common with a) joins
    through the postal code that b, a's exact match, carries."""
    assert groups(case, [
        rec("a", "DUPONT", "Sylvie", "1954-03-12"),
        rec("b", "DUPONT", "Sylvie", "1954-03-12", postal_code="59280"),
        rec("c", "MARTIN", "Sylvie", "1954-03-12", postal_code="59280"),
        rec("d", "LEROY", "Agathe", "1990-01-01", postal_code="75011"),
    ]) == [["a", "b", "c"], ["d"]]


def test_swapped_names_are_put_back_only_when_the_gazetteers_are_clear(case):
    from breachscope.resolve.linkage import _INPUT_SQL, _register_gazetteers
    from breachscope.resolve.people import install_fold_macro, prepare_records
    insert_records(case.db, [rec("a", "Marie", "Dupont"), rec("b", "Thomas", "Martin"),
                             rec("c", "Dupont", "Marie")])
    db = case.db
    install_fold_macro(db)
    prepare_records(db)
    db.execute("CREATE TEMP TABLE _bs_exact AS SELECT rn, rn AS grp FROM _bs_rec")
    _register_gazetteers(db)
    rows = dict(db.execute(f"SELECT unique_id, name_key FROM ({_INPUT_SQL})").fetchall())
    assert rows == {1: "DUPONT MARIE", 2: "THOMAS MARTIN", 3: "DUPONT MARIE"}


@pytest.mark.slow
def test_people_made_with_another_method_are_remade_at_the_next_scan(tmp_path, cli, monkeypatch):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "a.csv").write_text("Nom;Prénom;Date de naissance\nDUPONT;Marie-Claire;12/03/1954\n"
                                "DUPOND;Marie-Claire;12/03/1954\n", encoding="utf-8")
    monkeypatch.setenv(LINKAGE_ENV, "exact")
    assert " 2 people" in cli("scan", dump, "--case", tmp_path / "case").output
    monkeypatch.delenv(LINKAGE_ENV)
    assert " 1 people" in cli("scan", dump, "--case", tmp_path / "case").output


def test_a_failing_linkage_falls_back_to_exact_keys(case, monkeypatch):
    import breachscope.resolve.linkage as linkage

    def out_of_memory(db, **kwargs):
        raise MemoryError("Out of Memory Error: failed to pin block near 'jean.dupont@example.org'"
                          " 180017512345699")
    monkeypatch.setattr(linkage, "splink_edges", out_of_memory)
    assert groups(case, [
        rec("a", "Lefèvre", "Hélène", "1961-04-07"),
        rec("b", "LEFEVRE", "Helen", "1961-04-07"),
        rec("c", "LEFEVRE", "Hélène", "1961-04-07"),
    ]) == [["a", "c"], ["b"]]
    assert meta(case, "people_linkage") == "exact"
    error = build_summary(case)["people"]["linkage_error"]
    assert error.startswith("MemoryError: Out of")
    assert "jean.dupont@example.org" not in error and "180017512345699" not in error


@pytest.mark.parametrize("linkage", ["exact", "splink"])
def test_a_bare_surname_joins_the_one_person_of_its_file_with_that_name(case, linkage):
    assert groups(case, [
        rec("a", "MOREAU", "Julie", "1980-02-02", sha256="letter"),
        rec("b", full="Moreau", sha256="letter"),            # "Mme Moreau" in the same letter
        rec("c", full="Moreau", sha256="other"),             # elsewhere: unresolved
        rec("d", "MARTIN", "Jean", "1950-01-01", sha256="list"),
        rec("e", "MARTIN", "Paul", "1952-01-01", sha256="list"),
        rec("f", full="Martin", sha256="list"),              # two Martins: unresolved
    ], linkage=linkage) == [["a", "b"], ["c"], ["d"], ["e"], ["f"]]
    assert meta(case, "unresolved_mentions") == "2"


@pytest.mark.parametrize("linkage", ["exact", "splink"])
def test_a_parents_nir_on_a_childs_record_does_not_merge_them(case, linkage):
    """One NIR covers an insured person and their dependants (REFERENCES.md): the child's
    record carries the mother's NIR, which is no key for the child."""
    mother_nir = "280057512345623"
    assert groups(case, [
        rec("a", "MARTIN", "Sophie", "1980-05-12", nir=mother_nir),
        rec("b", "MARTIN", "Léa", "2015-09-01", nir=mother_nir),
        rec("c", "Martin", "Sophie", "1980-12-05", nir=mother_nir),  # day/month swapped: hers
        rec("d", "MARTIN", "Sophie", nir=mother_nir),                 # no birth date: hers
    ], linkage=linkage) == [["a", "c", "d"], ["b"]]


# Issue 11: public record-linkage benchmarks (FEBRL, Splink's fake_1000).

@pytest.mark.slow
def test_a_record_with_one_name_part_joins_through_its_other_identifiers(case):
    assert groups(case, [
        rec("a", "Green", "Thomas", "1974-10-05", emails=["thomas.green@clark.org"],
            city="London"),
        rec("b", None, "Thomas", "1974-10-05", emails=["thomas.green@clark.org"]),  # no surname
        rec("c", "Green", None, "1974-10-05", city="London",
            emails=["thomas.green@clark.org"]),                                    # no first name
    ]) == [["a", "b", "c"]]


@pytest.mark.slow
def test_one_name_part_alone_makes_no_person_with_namesakes(case):
    # Two first-name-only records with nothing else in common: two people.
    assert groups(case, [
        rec("a", None, "Thomas", "1974-10-05", city="London"),
        rec("b", None, "Thomas", "1981-02-11", city="Leeds"),
    ]) == [["a"], ["b"]]


@pytest.mark.slow
def test_common_name_without_birth_date_or_contact_never_merges(case):
    # Many MARTIN Marie at several postal codes, none dated, no contact: no merging on the
    # name alone.
    records = [rec(f"r{i}", "MARTIN", "Marie", postal_code=f"750{i:02d}") for i in range(8)]
    assert groups(case, records) == [[f"r{i}"] for i in range(8)]


def test_address_and_patient_number_join_a_renamed_record(case):
    # FEBRL: a duplicate whose first name was replaced, same social security number, address.
    assert groups(case, [
        rec("a", "kluske", "daniel", "1982-07-27", address="40 hawkesbury crescent triton units",
            city="oakhurst", postal_code="3175", patient_id="7413438"),
        rec("b", "kluske", "louis", "1982-07-27", address="40 hawkesbury crescent tritonc jnits",
            city="oakhurst", postal_code="3157", patient_id="7413438"),
    ]) == [["a", "b"]]


def test_twins_at_one_street_address_stay_two_people(case):
    home = {"address": "12 rue des Lilas", "city": "Marseille", "postal_code": "13006",
            "phones": ["0491000000"]}
    assert groups(case, [
        rec("a", "Bernard", "Léa", "2001-05-05", **home),
        rec("b", "Bernard", "Hugo", "2001-05-05", **home),
    ]) == [["a"], ["b"]]


@pytest.mark.slow
def test_birth_dates_years_apart_keep_parent_and_child_apart(case):
    # Same name (a son named after his father), same address, phone and postal code.
    home = {"address": "3 place du Marché", "city": "Lyon", "postal_code": "69003",
            "emails": ["famille.roux@example.org"]}
    assert groups(case, [
        rec("a", "Roux", "Jean", "1958-03-02", **home),
        rec("b", "Roux", "Jean", "1989-11-20", **home),
    ]) == [["a"], ["b"]]


@pytest.mark.slow
def test_a_surname_only_row_of_a_table_is_no_mention_of_its_namesake_row(case):
    # Two rows of one CSV export: "stephenson | thomas | 86 ..." and "stephenson | | 52 ...":
    # two patients, each a row (a table's rows are its entities), not a letter's "M. Stephenson".
    assert groups(case, [
        rec("a", "stephenson", "thomas", address="86 boas place", postal_code="6630",
            patient_id="3727893", sha256="export", location="row 2"),
        rec("b", full="stephenson", address="52 florey drive", postal_code="2259",
            patient_id="1797144", sha256="export", location="row 3"),
    ]) == [["a"], ["b"]]


@pytest.mark.slow
def test_twins_with_consecutive_patient_numbers_stay_two_people(case):
    # Twins registered one after the other at the maternity: numbers one digit apart.
    home = {"address": "27 rue des Lilas", "postal_code": "13006", "city": "Marseille"}
    assert groups(case, [
        rec("a", "Reid", "Kieren", "1979-01-21", patient_id="2428295", **home),
        rec("b", "Reid", "Allegra", "1979-01-21", patient_id="2428296", **home),
    ]) == [["a"], ["b"]]


@pytest.mark.slow
def test_a_renamed_row_without_birth_date_joins_through_its_patient_number(case):
    # FEBRL1: the first name replaced in a duplicate, the same number and street address.
    assert groups(case, [
        rec("a", "kimmonth", "amelia", address="25 grace place welikrak", city="barwon heads",
            postal_code="2012", patient_id="5751890"),
        rec("b", "kimmonth", "mitchell", address="25 grace place welikeak",
            city="barwon heads", postal_code="2022", patient_id="5751890"),
    ]) == [["a", "b"]]


def test_a_typo_in_a_patient_number_is_not_a_neighbouring_number(case):
    # FEBRL4: the first name replaced, the number one typo apart in its middle digits (a slip),
    # against twins whose numbers differ in the last digits (registered together): the slip
    # joins, the twins stay two.
    home = {"address": "4 rue Haute", "postal_code": "59000", "city": "Lille"}
    assert groups(case, [
        rec("a", "Swiggs", "Jenna", "1946-04-20", patient_id="5517234", **home),
        rec("b", "Swiggs", "Kristin", "1946-04-20", patient_id="5518234", **home),
        rec("c", "Dent", "Emily", "1996-01-12", patient_id="7730012", **home),
        rec("d", "Dent", "Melissa", "1996-01-12", patient_id="7730021", **home),
    ]) == [["a", "b"], ["c"], ["d"]]


@pytest.mark.parametrize("linkage", ["exact", "splink"])
def test_a_nir_without_its_key_is_the_same_nir(case, linkage):
    # A letter's "N° SS 2 85 05 75 123 456" (13 digits) and the export's full NIR.
    assert groups(case, [
        rec("a", "DURAND", "Claire", "1985-05-14", nir="285057512345640"),
        rec("b", "Durand", "Claire", nir="2850575123456"),
        rec("c", "DURAND", "Paul", "1983-02-01", nir="183027512345611"),
    ], linkage=linkage) == [["a", "b"], ["c"]]


def test_splink_is_not_set_up_when_no_pair_meets_a_blocking_rule(case, monkeypatch, tmp_path):
    """A letter's patient and its signatory share no key: no pair for Splink to score, so its
    set-up (a third of a one-letter scan after the files) is skipped; the people are those
    Splink would have made, and the case records the method."""
    from breachscope.resolve import linkage

    calls = []

    def splink_set_up(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("Splink set up")

    monkeypatch.setattr(linkage, "_score", splink_set_up)
    assert groups(case, [
        rec("a", "Moreau", "Julie", "1980-02-02", postal_code="33000"),
        rec("b", "Lambert", "Paul", "1961-11-30", phones=["0556000000"]),
    ]) == [["a"], ["b"]]
    assert calls == [] and meta(case, "people_linkage") == "splink"
    # a pair meeting a rule (the same birth date): Splink is set up (and here fails, so the
    # people fall back to the exact keys)
    with Case(tmp_path / "other") as other:
        assert groups(other, [rec("a", "Moreau", "Julie", "1980-02-02"),
                              rec("b", "Lambert", "Paul", "1980-02-02")]) == [["a"], ["b"]]
        assert calls == [1] and meta(other, "people_linkage") == "exact"


@pytest.mark.parametrize("few", [0, 1000])
def test_people_are_the_same_whether_or_not_pairs_are_asked_first(case, monkeypatch, few):
    """The shortcut changes nothing: with it (1 000 inputs) and without it (0), the same
    people, twins of identical records included."""
    from breachscope.resolve import linkage

    monkeypatch.setattr(linkage, "FEW_INPUTS", few)
    assert groups(case, [
        rec("a", "Lefèvre", "Hélène", "1961-04-07", postal_code="75011", phones=["0611223344"]),
        rec("b", "LEFEVRE", "Helen", "1961-04-07", postal_code="75011"),
        rec("c", "Moreau", "Julie", "1980-02-02", postal_code="33000"),
        rec("d", "Moreau", "Julie", "1980-02-02", postal_code="33000"),   # identical: a twin
        rec("e", "Lambert", "Paul", "1955-12-01"),
    ]) == [["a", "b"], ["c", "d"], ["e"]]
