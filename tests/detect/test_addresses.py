"""Addresses: street lines, postal code + commune pairs checked against the shipped list."""

from __future__ import annotations

import pytest

from breachscope.detect import addresses as a
from breachscope.detect.text import scan_text
from breachscope.extract.units import TextUnit


def _values(scanner, text: str) -> list[str]:
    return [v for _, _, v, _, _ in scanner(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("demeurant 12 bis rue Victor Hugo 75013 Paris", "12 bis rue Victor Hugo"),
    ("3, avenue des Champs-Élysées, 75008 PARIS", "3, avenue des Champs-Élysées"),
    ("8 rue du 8 Mai 1945", "8 rue du 8 Mai 1945"),
    ("5 Bd de l'Hôpital", "5 Bd de l'Hôpital"),
    ("14 impasse des Lilas", "14 impasse des Lilas"),
    ("2 allée Jean-Baptiste Clément", "2 allée Jean-Baptiste Clément"),
    ("Lieu-dit Les Granges", "Lieu-dit Les Granges"),
    ("Résidence Les Pins", "Résidence Les Pins"),
    ("27 QUAI DE LA TOURNELLE", "27 QUAI DE LA TOURNELLE"),
    ("1 place Bellecour, Lyon", "1 place Bellecour"),
    ("10 chemin de la Croix Blanche", "10 chemin de la Croix Blanche"),
])
def test_street_lines(text, expected):
    assert _values(a.find_street_lines, text) == [expected]


@pytest.mark.parametrize("text", [
    "Il a suivi 3 cours de yoga.",
    "Il reste 2 places en salle d'attente.",
    "rue sans nom",
    "4 routes mènent au village",
    "la place du patient est réservée",
])
def test_street_traps(text):
    assert _values(a.find_street_lines, text) == []


def test_street_named_after_a_person_is_an_address_not_a_person():
    found = scan_text(TextUnit("Domicile : 12 rue Victor Hugo, 59000 Lille"))
    entities = [(f.entity, f.value) for f in found]
    assert ("ADDRESS", "12 rue Victor Hugo") in entities
    assert not any(f.entity in {"PERSON", "LAST_NAME", "FIRST_NAME"} for f in found)


@pytest.mark.parametrize(("text", "code", "city"), [
    ("75013 Paris", "75013", "Paris"),
    ("69003 LYON", "69003", "LYON"),
    ("42000 Saint-Étienne", "42000", "Saint-Étienne"),
    ("42000 St Etienne", "42000", "St Etienne"),
    ("24200 Sarlat-la-Canéda", "24200", "Sarlat-la-Canéda"),
    ("F-33000 Bordeaux", "33000", "Bordeaux"),
    ("13 005 Marseille", "13005", "Marseille"),
    ("20000 Ajaccio", "20000", "Ajaccio"),
    ("97400 Saint-Denis", "97400", "Saint-Denis"),
    ("59037 LILLE CEDEX", "59037", "LILLE"),
])
def test_postal_code_and_commune(text, code, city):
    assert _values(a.find_postal_codes, text) == [code]
    assert _values(a.find_cities, text) == [city]


@pytest.mark.parametrize("text", [
    "Le lot 75013 est livré.",          # five digits, no commune
    "12345 euros",
    "Code 99999 Paris",                 # not a postal code of Paris
    "75013 Lyon",                       # a commune, but not of this code
    "Dossier 59000 clos",
    "Doliprane 1000 mg",
    "Facture n° 33000 Bordeaux",        # a reference number before a commune name
    "lot 75013 Paris",
])
def test_postal_code_traps(text):
    assert _values(a.find_postal_codes, text) == []


def test_is_postal_code():
    assert a.is_postal_code("75013")
    assert not a.is_postal_code("99999")


@pytest.mark.parametrize(("text", "code", "city"), [
    ("Résidence : 18 rue de la Palombière, 33000, Bordeaux", "33000", "Bordeaux"),
    ("résidant à Marseille, 13006.", "13006", "Marseille"),
    # the commune without its code, after a locative word (context+city)
    ("85 rue de Rivoli, à Paris dans le 75001.", "75001", "Paris"),
    ("7 rue Blaise Pascal 65000 dans la périphérie de Tarbes", "65000", "Tarbes"),
    ("42 avenue du Général de Gaulle, 31020 TOULOUSE", "31020", "TOULOUSE"),
    ("12 Rue du Docteur Gachet 2B784 Levallois-Perret", "2B784", "Levallois-Perret"),
    ("28 ter, place de Beaubourg\n93000 THIELLES", "93000", "THIELLES"),
])
def test_postal_code_and_commune_in_any_order_or_alone(text, code, city):
    from breachscope.detect.addresses import find_cities, find_postal_codes

    assert [h[2] for h in find_postal_codes(text)] == [code]
    assert [h[2] for h in find_cities(text)] == ([city] if city else [])


@pytest.mark.parametrize("text", [
    "Facture 33000 Bordeaux", "il pèse 75001 grammes", "il pèse 75001.5 grammes",
    "dossier 75013", "lot 13006 Marseille",
])
def test_numbers_that_are_not_postal_codes(text):
    from breachscope.detect.addresses import find_postal_codes

    assert list(find_postal_codes(text)) == []


@pytest.mark.parametrize(
    ("text", "street", "code", "city"),
    [
        # a postal code written with a space after the street: not part of the street's name
        ("à 15 Avenue de la Gare 43 957 Nice", "15 Avenue de la Gare", "43957", "Nice"),
        ("12 RUE DU DOCTEUR GACHET 04 047 CERGY-PERRET", "12 RUE DU DOCTEUR GACHET", "04047",
         "CERGY-PERRET"),
        # the complement of the street line before the code
        ("170 RUE DU CALVAIRE, APPT 283, 29372 NANTES\n", "170 RUE DU CALVAIRE", "29372",
         "NANTES"),
        ("19 AVENUE DE LA REPUBLIQUE, STUDIO 25, 46 403 BOULOGNE-BILLANCOURT",
         "19 AVENUE DE LA REPUBLIQUE", "46403", "BOULOGNE-BILLANCOURT"),
        ("12 rue du 11 Novembre 1918 75015 Paris", "12 rue du 11 Novembre 1918", "75015",
         "Paris"),
    ],
)
def test_spaced_codes_and_complements_after_a_street(
    text: str, street: str, code: str, city: str
) -> None:
    found = {(f.entity, f.value) for f in scan_text(TextUnit(text))}
    assert {("ADDRESS", street), ("POSTAL_CODE", code), ("CITY", city)} <= found


@pytest.mark.parametrize(("text", "cities"), [
    ("Pas d'enfants, un neveu près de Toulouse.", ["Toulouse"]),
    ("Mes parents habitent à Marseille, ils viennent", ["Marseille"]),
    ("née le 14 septembre 1982 dans la ville de Nantes.", ["Nantes"]),
    ("Service de Dermatologie - CHU de Dijon", ["Dijon"]),
    ("rendez-vous à Nogent sur Marne prévu le 02/09/22", ["Nogent sur Marne"]),
    ("Lettre à Marie DUPONT", []),  # Marie is a commune, but a surname follows
    ("rendez-vous à Mars 2023", []),
    ("Dr A Belmont", []),  # an initial, not "à"
    ("42 avenue du G.al de Gaulle, 97 419 TOULOUSE  CHU AVICENNE", ["TOULOUSE"]),
])
def test_communes_after_a_locative_word(text, cities):
    from breachscope.detect.addresses import find_cities

    assert [h[2] for h in find_cities(text)] == cities
