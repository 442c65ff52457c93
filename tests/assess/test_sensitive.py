"""Sensitive care from drugs (ATC classes of the shipped list) and from explicit words; the
SQL (DuckDB, RE2) twins agree with Python."""

from __future__ import annotations

import re

import duckdb
import pytest

from breachscope.assess.sensitive import (
    NOT_SENSITIVE_ATC_PREFIXES,
    SENSITIVE_ATC_PREFIXES,
    TEXT_CATEGORIES,
    atc_sensitive_category,
    is_sensitive_code,
    is_sensitive_unit,
    sensitive_code_regex,
    sensitive_drug_category,
    sensitive_drug_table,
    sensitive_text_regex,
    sensitive_text_sql,
    text_sensitive_category,
)
from breachscope.detect import health
from breachscope.detect.validators import fold
from breachscope.resolve.people import fold_macro_sql

# --------------------------------------------------------------------------- drugs


@pytest.mark.parametrize(("name", "category"), [
    ("methadone", "addiction"), ("Méthadone", "addiction"), ("METHADONE AP-HP", "addiction"),
    ("Subutex", "addiction"), ("buprénorphine", "addiction"), ("SUBOXONE", "addiction"),
    ("Esperal", "addiction"), ("acamprosate", "addiction"), ("naltrexone", "addiction"),
    ("Selincro", "addiction"),
    ("BIKTARVY", "hiv"), ("emtricitabine", "hiv"), ("Truvada", "hiv"), ("dolutégravir", "hiv"),
    ("maraviroc", "hiv"), ("enfuvirtide", "hiv"), ("Norvir", "hiv"), ("efavirenz", "hiv"),
    ("olanzapine", "psychiatry"), ("Risperdal", "psychiatry"), ("lithium", "psychiatry"),
    ("Teralithe", "psychiatry"), ("aripiprazole", "psychiatry"), ("ABILIFY", "psychiatry"),
    ("clozapine", "psychiatry"), ("Mifegyne", "pregnancy_termination"),
    # not sensitive: other classes, or excluded inside a sensitive one
    ("paracétamol", None), ("amoxicilline", None), ("sertraline", None), ("Deroxat", None),
    ("valaciclovir", None), ("sofosbuvir", None), ("Incivo", None), ("entécavir", None),
    ("Zeffix", None), ("Baclocur", None), ("Temgesic", None), ("Droleptan", None),
    ("Nicorette", None), ("Champix", None), ("morphine", None), ("Doliprane", None),
    ("bictegravir", None),  # listed only inside its combination (BIKTARVY)
    ("not a drug", None), ("", None),
])
def test_drug_categories_from_the_shipped_list(name, category):
    assert sensitive_drug_category(name) == category


def test_drugs_are_looked_up_as_the_detector_finds_them():
    text = "Traitement : Subutex 8 mg, Biktarvy 1 cp/j, Zyprexa 10 mg, Doliprane 1 g."
    found = [v for _, _, v, _, _ in health.find_medications(text)]
    assert found == ["Subutex", "Biktarvy", "Zyprexa", "Doliprane"]
    assert [sensitive_drug_category(v) for v in found] == [
        "addiction", "hiv", "psychiatry", None]


@pytest.mark.parametrize(("atc", "category"), [
    ("J05AR20", "hiv"), ("J05AE10", "hiv"), ("J05AX09", "hiv"), ("J05AX31", "hiv"),
    ("J05AJ01", "hiv"), ("N07BC02", "addiction"), ("N07BB04", "addiction"),
    ("N05AN01", "psychiatry"), ("N05AH03", "psychiatry"), ("G03XB01", "pregnancy_termination"),
    ("J05AE11", None), ("J05AF10", None), ("J05AX15", None), ("J05AB11", None),
    ("N07BB", None), ("N07BA01", None), ("N06AB06", None), ("N05AD08", None), ("N05BA01", None),
])
def test_atc_classes(atc, category):
    assert atc_sensitive_category(atc) == category


def test_atc_constants_are_prefixes_of_real_codes():
    listed = set(health.drug_names().values())
    for category, prefix in SENSITIVE_ATC_PREFIXES:
        assert category in {"hiv", "addiction", "psychiatry", "pregnancy_termination"}
        assert prefix[0].isalpha() and len(prefix) >= 4
    for prefix in NOT_SENSITIVE_ATC_PREFIXES:
        assert any(code.startswith(prefix) for code in listed), prefix
        assert any(prefix.startswith(p) for _, p in SENSITIVE_ATC_PREFIXES), prefix


def test_drug_table_joins_in_sql_on_fold():
    table = sensitive_drug_table()
    assert table == sorted(set(table))
    assert len({name for name, _ in table}) == len(table)
    rows = dict(table)
    assert rows["SUBUTEX"] == "addiction"
    assert rows["METHADONE"] == "addiction"
    assert rows["BIKTARVY"] == "hiv"
    assert rows["OLANZAPINE"] == "psychiatry"
    assert "SERTRALINE" not in rows and "PARACETAMOL" not in rows
    # Every listed drug: in the table (folded by SQL fold()) exactly when Python says sensitive.
    for name in health.drug_names():
        assert rows.get(fold(name)) == sensitive_drug_category(name), name
    values = ["Subutex", "méthadone", "Biktarvy", "Risperdal", "Seroplex", "Doliprane",
              "lithium", "Zeffix", "Mifegyne"]
    con = duckdb.connect()
    con.execute(fold_macro_sql())
    con.execute("CREATE TEMP TABLE drugs (name VARCHAR, category VARCHAR)")
    con.executemany("INSERT INTO drugs VALUES (?, ?)", [list(r) for r in table])
    con.execute("CREATE TEMP TABLE findings (value VARCHAR)")
    con.executemany("INSERT INTO findings VALUES (?)", [[v] for v in values])
    got = dict(con.execute(
        "SELECT f.value, d.category FROM findings f LEFT JOIN drugs d ON d.name = fold(f.value)"
    ).fetchall())
    assert got == {v: sensitive_drug_category(v) for v in values}
    assert got["Subutex"] == "addiction" and got["Seroplex"] is None


# --------------------------------------------------------------------------- words

POSITIVES = [
    ("Patiente ayant eu une IVG médicamenteuse en 2019.", "pregnancy_termination"),
    ("Interruption volontaire de grossesse à 8 SA.", "pregnancy_termination"),
    ("interruption médicale de grossesse", "pregnancy_termination"),
    ("Hospitalisée pour sevrage alcoolique.", "addiction"),
    ("sevrage en alcool", "addiction"),
    ("Sevrage aux opiacés", "addiction"),
    ("Toxicomanie active à l'héroïne.", "addiction"),
    ("traitement de substitution aux opiacés", "addiction"),
    ("Éthylisme chronique", "addiction"),
    ("Orienté vers le CSAPA.", "addiction"),
    ("Infection VIH connue.", "hiv"),
    ("Patient séropositif depuis 2005.", "hiv"),
    ("Séropositivité VIH.", "hiv"),
    ("sous trithérapie", "hiv"),
    ("Sous PrEP depuis 6 mois.", "hiv"),
    ("PrEP", "hiv"),
    ("Sérologie VIH positive en 2010.", "hiv"),
    ("TROD VIH réactif.", "hiv"),
    ("VIH+", "hiv"),
    ("Antécédent d'IST.", "sti"),
    ("Syphilis secondaire.", "sti"),
    ("Dépistage au CeGIDD.", "sti"),
    ("Tentative de suicide par phlébotomie.", "self_harm"),
    ("TS médicamenteuse le 12/03.", "self_harm"),
    ("intoxication médicamenteuse volontaire", "self_harm"),
    ("Schizophrénie paranoïde stabilisée.", "psychiatry"),
    ("Trouble bipolaire de type I.", "psychiatry"),
    ("Dépression sévère.", "psychiatry"),
    ("Hospitalisation sous contrainte (SDRE).", "psychiatry"),
    ("Admis en SDT le 3 mars.", "psychiatry"),
    ("soins psychiatriques à la demande d'un tiers", "psychiatry"),
    ("Suivi au CMP de Bobigny.", "psychiatry"),
    ("Victime de viol en 2015.", "sexual_abuse"),
    ("Agression sexuelle dans l'enfance.", "sexual_abuse"),
    ("Trisomie 21", "chromosomal"),
    ("Caryotype 47,XY,+21.", "genetic_testing"),
    ("test génétique BRCA", "genetic_testing"),
    ("Consultation de conseil génétique.", "genetic_counselling"),
    # a negation elsewhere does not clear another mention
    ("Pas de fièvre. Schizophrénie connue.", "psychiatry"),
    ("Pas de VIH, toxicomanie active.", "addiction"),
    ("Sans domicile fixe, toxicomanie active.", "addiction"),
    ("Toxicomanie sevrée, sérologie négative.", "addiction"),  # not a result of its own
]
NEGATIVES = [
    "Pas de VIH.", "Sérologie VIH négative.", "Sérologies VIH, VHB et VHC négatives.",
    "Sérologie VIH demandée.", "Dépistage des IST.", "Absence de toxicomanie.",
    "Pas d'antécédent de tentative de suicide.", "Toxicomanie : non.", "Ni VIH ni hépatite.",
    "Absence de syndrome de sevrage alcoolique.", "pas de VIH ni de syphilis",
    "Sérologies VIH, VHB, VHC et HTLV négatives.", "VIH : négatif",
    "Dépistage de la trisomie 21 au premier trimestre.",
    # not sensitive care
    "Sevrage tabagique en cours.", "Sevrage ventilatoire difficile.", "Sevrage de l'oxygène.",
    "Hépatite C chronique.", "Dépression.", "Syndrome dépressif.",
    "Trithérapie anti-Helicobacter pylori pendant 14 jours.", "Trithérapie antihypertensive.",
    "Éradication d'Helicobacter pylori par trithérapie.",
    "Séropositive pour la toxoplasmose.", "CMP dilatée à FEVG altérée.",
    "prép. magistrale", "Le TS du service.", "Violences conjugales.", "Violet.",
    "Patient sous sertraline, paracétamol.", "Une istre", "",
]


@pytest.mark.parametrize(("text", "category"), POSITIVES)
def test_words_of_sensitive_care(text, category):
    assert text_sensitive_category(text) == category


@pytest.mark.parametrize("text", NEGATIVES)
def test_negated_tested_or_ordinary_words(text):
    assert text_sensitive_category(text) is None


def test_every_category_has_words():
    assert set(TEXT_CATEGORIES) == {category for _, category in POSITIVES}


def test_every_detector_cue_is_sensitive_words():
    """The prose cues of detect/health.py are all classified (their values become findings
    that assess reads with these rules)."""
    for forms in health._SENSITIVE_CUES.values():
        for form in forms:
            assert text_sensitive_category(form) is not None, form


_EDGES = [
    "ЖVIH", "VIH_2", "VIHA", "l'IVG", "CSAPA\tB", "  sida  ", "sous PrEP.", "VIH 1 et 2 : positif",
    "Toxicomanie = non", "IST/VIH", "(CEGIDD)", "ATCD de TS", "pas de notion de viol",
]


def test_python_and_sql_agree():
    phrases = [text for text, _ in POSITIVES] + NEGATIVES + _EDGES
    con = duckdb.connect()
    con.execute(fold_macro_sql())
    con.execute("CREATE TEMP TABLE phrases (i INTEGER, p VARCHAR)")
    con.executemany("INSERT INTO phrases VALUES (?, ?)", list(enumerate(phrases)))
    rows = con.sql(
        f"SELECT i, {sensitive_text_sql('fold(p)')} AS full_rule, "
        f"regexp_matches(fold(p), '{sensitive_text_regex()}') AS words "
        f"FROM phrases ORDER BY i"
    ).fetchall()
    assert len(rows) == len(phrases)
    words_re = re.compile(sensitive_text_regex(), re.ASCII)
    for i, full_rule, words in rows:
        assert full_rule == (text_sensitive_category(phrases[i]) is not None), phrases[i]
        assert words == bool(words_re.search(fold(phrases[i]))), phrases[i]
    # The bare regex sees the words, negated or not: "Pas de VIH" has words, no care.
    by_phrase = {phrases[i]: words for i, _, words in rows}
    assert by_phrase["Pas de VIH."] is True
    assert by_phrase["Sevrage tabagique en cours."] is False


def test_sql_regex_names_the_category():
    """Its only capturing groups are the categories, in TEXT_CATEGORIES order."""
    con = duckdb.connect()
    con.execute(fold_macro_sql())
    names = ", ".join(f"'{c}'" for c in TEXT_CATEGORIES)
    for text, category in POSITIVES[:30]:
        got = con.execute(
            f"SELECT regexp_extract(fold(?), '{sensitive_text_regex()}', [{names}])", [text]
        ).fetchone()[0]
        assert [c for c, v in got.items() if v] == [category], text


# --------------------------------------------------------------------------- unchanged API


def test_units_and_codes_still_work():
    assert is_sensitive_unit("CMP ENFANTS")
    assert not is_sensitive_unit("CARDIOLOGIE")
    assert is_sensitive_code("F20.0") == "psychiatry"
    assert sensitive_code_regex().startswith("^(?:")
