from __future__ import annotations

from datetime import date

import pytest
from detect_helpers import make_nir

from breachscope.detect.columns import ColumnLabel, classify_columns
from breachscope.detect.headers import header_label, header_tokens
from breachscope.extract.units import TableUnit

TODAY = date(2024, 6, 1)


def labels(table: TableUnit) -> dict[str, str | None]:
    return {c.header: c.label for c in classify_columns(table, today=TODAY)}


def by_header(table: TableUnit) -> dict[str, ColumnLabel]:
    return {c.header: c for c in classify_columns(table, today=TODAY)}


ADMISSIONS = TableUnit(
    header=["IPP", "NOM", "Prénom", "Date_Naiss", "Sexe", "N° Sécu", "Tél portable", "Mail",
            "Adresse", "CP", "Ville", "Date d'entrée", "Service", "Commentaire"],
    rows=[
        ["100231", "DUPONT", "Marie", "12/03/1954", "F", make_nir("2540375123456"),
         "06 12 34 56 78", "marie.dupont@mail.fr", "12 rue des Lilas", "75011", "Paris",
         "05/01/2023", "Cardiologie", "Patiente anxieuse, rappeler la famille avant sortie"],
        ["100232", "MARTIN", "Jean", "01/02/1960", "M", make_nir("1600213055012"),
         "07 81 22 33 44", "jmartin@orange.fr", "3 avenue Foch", "13005", "Marseille",
         "06/01/2023", "Psychiatrie", "RAS"],
        ["100233", "LE GALL", "Anne-Sophie", "23/11/1987", "F", make_nir("2871129019003"),
         "+33 6 98 76 54 32", "as.legall@gmail.com", "1 place du Marché", "29200", "Brest",
         "07/01/2023", "Maternité", "Sortie prévue J+3 après accord du médecin traitant"],
    ],
)


def test_admissions_with_headers() -> None:
    assert labels(ADMISSIONS) == {
        "IPP": "PATIENT_ID",
        "NOM": "LAST_NAME",
        "Prénom": "FIRST_NAME",
        "Date_Naiss": "BIRTH_DATE",
        "Sexe": "SEX",
        "N° Sécu": "NIR",
        "Tél portable": "PHONE",
        "Mail": "EMAIL",
        "Adresse": "ADDRESS",
        "CP": "POSTAL_CODE",
        "Ville": "CITY",
        "Date d'entrée": "VISIT_DATE",
        "Service": "CARE_UNIT",
        "Commentaire": None,
    }
    columns = by_header(ADMISSIONS)
    assert columns["N° Sécu"].confidence >= 0.95
    assert columns["Date_Naiss"].confidence >= 0.9
    assert "upper case" in columns["NOM"].reason
    assert [c.index for c in classify_columns(ADMISSIONS)] == list(range(14))


def test_headerless_table_of_nirs_falls_back_to_values() -> None:
    nirs = [make_nir(f"{s}{y:02d}{m:02d}75{n:06d}") for s, y, m, n in
            [(1, 54, 3, 123456), (2, 61, 7, 1002), (1, 88, 12, 77), (2, 90, 1, 5)]]
    for header in (["col1", "col2"], ["", ""], ["A", "B"]):
        table = TableUnit(header=header, rows=[[n, str(i)] for i, n in enumerate(nirs)])
        columns = classify_columns(table)
        assert columns[0].label == "NIR"
        assert columns[0].confidence == pytest.approx(0.9)
        assert columns[1].label is None


def test_headerless_phone_and_email_columns() -> None:
    table = TableUnit(
        header=["A", "B", "C"],
        rows=[["06 12 34 56 78", "a@b.fr", "0612345678"],
              ["01 23 45 67 89", "c@d.com", "0123456789"],
              ["+33 7 81 22 33 44", "e.f@g.org", "1234"]],
    )
    result = labels(table)
    assert result["A"] == "PHONE"
    assert result["B"] == "EMAIL"
    assert result["C"] is None  # only 2/3 validate: not enough without a header


STAFF = TableUnit(
    header=["Matricule", "Nom", "Prénom", "Fonction", "Service", "Poste", "Tél. poste", "Email"],
    rows=[
        ["A0012", "BERNARD", "Luc", "IDE", "Cardiologie", "4512", "4512", "l.bernard@chu.fr"],
        ["A0013", "PETIT", "Julie", "Cadre de santé", "Urgences", "4520", "4520",
         "j.petit@chu.fr"],
        ["A0014", "ROUX", "Paul", "Aide-soignant", "Pédiatrie", "4533", "4533",
         "p.roux@chu.fr"],
    ],
)


def test_staff_directory_extensions_are_not_phones() -> None:
    result = labels(STAFF)
    assert result["Poste"] is None
    assert result["Tél. poste"] is None
    assert result["Email"] == "EMAIL"
    assert result["Nom"] == "LAST_NAME"
    assert result["Prénom"] == "FIRST_NAME"
    assert "phone numbers" in by_header(STAFF)["Tél. poste"].reason


def test_admission_date_without_birth_evidence_is_not_a_birth_date() -> None:
    table = TableUnit(
        header=["Nom", "Prénom", "Date admission", "Date"],
        rows=[["DUPONT", "Marie", "05/01/2023", "12/03/1954"],
              ["MARTIN", "Jean", "06/01/2023", "01/02/1971"],
              ["DURAND", "Paul", "07/01/2023", "23/11/1990"]],
    )
    result = labels(table)
    assert result["Date admission"] == "VISIT_DATE"
    assert result["Date"] is None  # a bare date column: no evidence of what date it is
    assert "BIRTH_DATE" not in result.values()


def test_ddn_column_is_birth_date() -> None:
    table = TableUnit(header=["Nom", "DDN"],
                      rows=[["DUPONT", "12/03/1954"], ["MARTIN", "01/02/1960"]])
    column = classify_columns(table)[1]
    assert column.label == "BIRTH_DATE"
    assert column.confidence >= 0.9


def test_birth_date_inferred_from_values_only_with_names_and_plausible_years() -> None:
    rows = [["DUPONT", "Marie", "12/03/1954"], ["MARTIN", "Jean", "01/02/1971"],
            ["DURAND", "Paul", "23/11/1990"], ["LEROY", "Anne", "30/06/2002"]]
    inferred = classify_columns(TableUnit(["Nom", "Prénom", "col3"], rows), today=TODAY)[2]
    assert inferred.label == "BIRTH_DATE"
    assert inferred.confidence < 0.9
    # no names in the table: no inference
    no_names = TableUnit(["x", "y", "col3"], [["1", "2", r[2]] for r in rows])
    assert classify_columns(no_names, today=TODAY)[2].label is None
    # recent dates all in one decade are not birth dates
    recent = [[r[0], r[1], f"0{i + 1}/01/2023"] for i, r in enumerate(rows)]
    assert classify_columns(TableUnit(["Nom", "Prénom", "col3"], recent), today=TODAY)[
        2].label is None
    # a future year is not a birth year
    future = [*rows[:3], ["LEROY", "Anne", "30/06/2030"]]
    assert classify_columns(TableUnit(["Nom", "Prénom", "col3"], future), today=TODAY)[
        2].label is None


def test_excel_serial_birth_dates_with_header() -> None:
    table = TableUnit(["NOM", "Date de naissance"], [["DUPONT", "19725"], ["MARTIN", "22000"]])
    assert classify_columns(table)[1].label == "BIRTH_DATE"


@pytest.mark.parametrize(
    ("header", "values", "expected"),
    [
        ("Nom prénom", ["DUPONT Marie", "MARTIN Jean"], "PERSON"),
        ("Patient", ["DUPONT Marie", "Jean MARTIN"], "PERSON"),
        ("Identité", ["DUPONT Marie", "MARTIN Jean"], "PERSON"),
        ("Nom complet", ["Marie Dupont", "Jean Martin"], "PERSON"),
        ("Nom", ["DUPONT Marie", "MARTIN Jean"], "PERSON"),  # values say full names
        ("Nom", ["DUPONT", "LE GALL"], "LAST_NAME"),
        ("nom_naissance", ["DUPONT", "MARTIN"], "LAST_NAME"),
        ("Nom d'usage", ["DUPONT", "MARTIN"], "LAST_NAME"),
        ("lastName", ["Dupont", "Martin"], "LAST_NAME"),
        ("first_name", ["Marie", "Jean"], "FIRST_NAME"),
        ("Prénom patient", ["Marie", "Jean"], "FIRST_NAME"),
        ("Nom du médecin", ["DR HOUSE", "DR WHO"], None),
        ("Nom", ["12", "13"], None),  # not names
        ("Observations", ["Patient DUPONT vu ce jour, douleur thoracique", "RAS"], None),
        ("Nom", ["Patient vu ce jour pour une douleur thoracique ancienne, à revoir "
                 "dans trois semaines avec bilan complet", "RAS et rien à signaler ce jour"],
         None),
        ("Lieu de naissance", ["Paris", "Brest"], None),
        ("Adresse mail", ["a@b.fr", "c@d.fr"], "EMAIL"),
        ("Adresse IP", ["10.0.0.1", "10.0.0.2"], None),
        ("Code postal", ["75001", "1000"], "POSTAL_CODE"),
        ("Code INSEE commune", ["75101", "29019"], None),
        ("Genre", ["Homme", "Femme"], "SEX"),
        ("Sexe", ["X", "Y"], None),
        ("Nombre", ["12", "13"], None),
        ("N° dossier", ["D123", "D124"], "PATIENT_ID"),
        ("NDA", ["2300123", "2300124"], "STAY_ID"),
        ("UF", ["2011", "2012"], "CARE_UNIT"),
        ("IBAN", ["FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"], "IBAN"),
        ("RIB", ["n/a", "en attente"], None),
    ],
)
def test_single_column_labels(header: str, values: list[str], expected: str | None) -> None:
    table = TableUnit([header], [[v] for v in values])
    assert classify_columns(table, today=TODAY)[0].label == expected


def test_empty_column_has_no_label() -> None:
    table = TableUnit(["Téléphone"], [[""], ["NULL"], ["-"]])
    column = classify_columns(table)[0]
    assert column.label is None
    assert column.reason == "empty column"


def test_employment_dates_in_staff_table_are_not_visits() -> None:
    table = TableUnit(["Matricule", "Nom", "Prénom", "Grade", "Date d'entrée"],
                      [["A1", "DUPONT", "Marie", "IDE", "01/09/2015"],
                       ["A2", "MARTIN", "Jean", "ASH", "01/02/2019"]])
    assert labels(table)["Date d'entrée"] is None


def test_sample_is_spread_over_the_column() -> None:
    # sorted export: first 300 rows are junk, the next 700 valid phones
    rows = [["inconnu " + str(i)] for i in range(300)] + [
        [f"06 12 34 {i // 100 % 100:02d} {i % 100:02d}"] for i in range(700)
    ]
    assert classify_columns(TableUnit(["Tel"], rows))[0].label == "PHONE"


@pytest.mark.parametrize(
    ("header", "tokens"),
    [
        ("N° Sécu_Social2", ("N", "SECU", "SOCIAL")),
        ("dateNaissance", ("DATE", "NAISSANCE")),
        ("DATE-NAISS.", ("DATE", "NAISS")),
        ("Né(e) le", ("NE", "E", "LE")),
        ("TEL1", ("TEL",)),
    ],
)
def test_header_tokens(header: str, tokens: tuple[str, ...]) -> None:
    assert header_tokens(header) == tokens


@pytest.mark.parametrize(
    ("header", "label"),
    [("Né(e) le", "BIRTH_DATE"), ("DOB", "BIRTH_DATE"), ("date_of_birth", "BIRTH_DATE"),
     ("Matricule INSEE", "NIR"), ("num_secu", "NIR"), ("INS", "NIR"),
     ("Numéro de sécurité sociale", "NIR"), ("courriel", "EMAIL"), ("e-mail", "EMAIL"),
     ("Portable", "PHONE"), ("fixe", "PHONE"), ("date_visite", "VISIT_DATE"),
     ("RDV", "VISIT_DATE"), ("Date de sortie", "VISIT_DATE"), ("pôle", "CARE_UNIT"),
     ("Unité", "CARE_UNIT"), ("id_patient", "PATIENT_ID"), ("N° patient", "PATIENT_ID"),
     ("patronyme", "LAST_NAME"), ("rue", "ADDRESS"), ("commune", "CITY"), ("Date", None),
     ("Matricule", None), ("Poste", None)],
)
def test_header_vocabulary(header: str, label: str | None) -> None:
    assert header_label(header_tokens(header)) == label


@pytest.mark.parametrize(
    ("header", "values", "expected"),
    [
        ("Durée séjour", ["3", "12", "5"], None),
        ("Nb jours hospitalisation", ["3", "12", "5"], None),
        ("Date de sortie", ["3", "12", "5"], None),  # small integers are not Excel dates
        ("Date de sortie", ["44927", "44930", "45000"], "VISIT_DATE"),
        ("Mode de sortie", ["domicile", "transfert", "décès"], None),
        ("Service d'entrée", ["Cardiologie", "Urgences", "Pédiatrie"], "CARE_UNIT"),
        ("Heure d'entrée", ["10:00", "11:30", "23:15"], None),
        ("Date_entree", ["20230105", "20230106", "20230107"], "VISIT_DATE"),
    ],
)
def test_stay_columns_that_are_not_visit_dates(
    header: str, values: list[str], expected: str | None
) -> None:
    table = TableUnit(["IPP", header], [[str(i), v] for i, v in enumerate(values)])
    assert classify_columns(table, today=TODAY)[1].label == expected


# Issue 11: labels confirmed by values; FEBRL / Splink / Chinook headers.

def test_a_price_column_is_no_care_unit() -> None:
    table = TableUnit(["TrackId", "UnitPrice"], [[str(i), "0.99"] for i in range(10)])
    assert labels(table)["UnitPrice"] is None


def test_song_titles_are_no_surnames() -> None:
    titles = ["Balls to the Wall", "For Those About To Rock", "Restless and Wild",
              "Princess of the Dawn", "Put The Finger On You", "Let's Get It Up",
              "Inject The Venom", "Snowballed", "Evil Walks", "Breaking the Rules"]
    table = TableUnit(["Name"], [[t] for t in titles])
    assert labels(table)["Name"] is None


def test_febrl_headers() -> None:
    rows = [["john", "smith", "12", "main street", "bittern", "4814", "19600210", "7364009"],
            ["mary", "jones", "4", "giblin street", "killarney", "2776", "19710305", "2635962"],
            ["paul", "brown", "69", "tullaroop street", "st james", "4011", "19810909",
             "6988048"]] * 4
    table = TableUnit(["given_name", "surname", "street_number", "address_1", "suburb",
                       "postcode", "date_of_birth", "soc_sec_id"], rows)
    got = labels(table)
    assert got["given_name"] == "FIRST_NAME" and got["surname"] == "LAST_NAME"
    assert got["suburb"] == "CITY" and got["soc_sec_id"] == "PATIENT_ID"


def test_first_and_surname_is_a_full_name_not_the_surname() -> None:
    assert header_label(header_tokens("first_and_surname")) == "PERSON"
    assert header_label(header_tokens("given_name")) == "FIRST_NAME"


def test_a_column_mixing_countries_postal_codes_is_kept() -> None:
    codes = ["75011", "SW1A 1AA", "EC1A 1BB", "69003", "M1 1AE", "13006", "B33 8TH",
             "W1A 0AX", "33000", "CR2 6XH"]
    table = TableUnit(["postcode"], [[c] for c in codes])
    assert labels(table)["postcode"] == "POSTAL_CODE"
