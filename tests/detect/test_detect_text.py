from __future__ import annotations

import pytest
from detect_helpers import make_nir

from breachscope.detect.model import Finding
from breachscope.detect.text import scan_text
from breachscope.extract.units import TextUnit

NIR = make_nir("2540375123456")
IBAN = "FR7630006000011234567890189"


def entities(text: str, entity: str | None = None) -> list[str]:
    return [f.value for f in scan_text(TextUnit(text)) if entity is None or f.entity == entity]


def only(text: str, entity: str) -> Finding:
    found = [f for f in scan_text(TextUnit(text)) if f.entity == entity]
    assert len(found) == 1, found
    return found[0]


# ----------------------------------------------------------------------------- birth dates


@pytest.mark.parametrize(
    "text",
    [
        "Mme DUPONT Marie, née le 12 mars 1954, demeurant à Paris",
        "M. DUPONT né le 12/03/1954",
        "Patient(e) né(e) le 12.03.1954",
        "DDN : 12/03/1954",
        "DDN 1954-03-12",
        "Date de naissance : 12-03-1954",
        "Naissance : 12/03/54",
        "Patient born on 12/03/1954",
        "NEE LE 12 MARS 1954",
    ],
)
def test_birth_date_with_cue(text: str) -> None:
    finding = only(text, "BIRTH_DATE")
    assert finding.value == "1954-03-12"
    assert finding.detector == "context+date"
    assert finding.confidence == pytest.approx(0.9)


@pytest.mark.parametrize(
    "text",
    [
        "12 mars 1954",
        "Consultation du 12/03/1954 en cardiologie",
        "RDV le 12/03/2024",
        "née en 1954",
        "né le 31/02/1954",  # not a calendar date
        "né à Paris. Le 12/03/1954 il est venu",  # cue is not right before the date
    ],
)
def test_no_birth_date_without_cue(text: str) -> None:
    assert entities(text, "BIRTH_DATE") == []


def test_first_of_month_with_cue() -> None:
    assert only("née le 1er février 1960", "BIRTH_DATE").value == "1960-02-01"


# ----------------------------------------------------------------------------- NIR / IBAN


@pytest.mark.parametrize(
    "text",
    [
        f"NIR : {NIR}.",
        f"N° SS {NIR[0]} {NIR[1:3]} {NIR[3:5]} {NIR[5:7]} {NIR[7:10]} {NIR[10:13]} {NIR[13:]}",
        f"sécu {NIR[:13]} {NIR[13:]} ok",
        f"({NIR[0]}.{NIR[1:3]}.{NIR[3:5]}.{NIR[5:7]}.{NIR[7:10]}.{NIR[10:13]}.{NIR[13:]})",
    ],
)
def test_nir_in_text(text: str) -> None:
    finding = only(text, "NIR")
    assert finding.value == NIR
    assert finding.detector == "regex+nir_key"
    assert finding.confidence == pytest.approx(0.99)


def test_nir_corsica_and_probable_in_text() -> None:
    corsica = make_nir("1600220A12345".replace("20A", "2A0"))
    assert corsica[5:7] == "2A"
    text = f"INS {corsica[:5]} {corsica[5:7]} {corsica[7:]} / NIA {make_nir('7543075123456')}"
    found = [f for f in scan_text(TextUnit(text)) if f.entity == "NIR"]
    assert [f.value for f in found] == [corsica, make_nir("7543075123456")]
    assert [f.confidence for f in found] == [pytest.approx(0.99), pytest.approx(0.9)]


def test_nir_wrong_key_and_longer_runs_not_reported() -> None:
    wrong = NIR[:13] + f"{(int(NIR[13:]) % 97) + 1:02d}"
    assert entities(f"NIR {wrong}", "NIR") == []
    assert entities(f"ref 9{NIR}", "NIR") == []
    assert entities(f"ref {NIR}7", "NIR") == []


@pytest.mark.slow
def test_iban_in_text() -> None:
    finding = only("Virement IBAN : FR76 3000 6000 0112 3456 7890 189 BIC AGRIFRPP", "IBAN")
    assert finding.value == IBAN
    assert finding.detector == "regex+iban_mod97"
    assert only(f"RIB {IBAN} CODE BANQUE", "IBAN").value == IBAN
    broken = IBAN[:10] + "9" + IBAN[11:]
    assert entities(f"IBAN {broken}", "IBAN") == []


def test_iban_digits_not_reported_as_nir_or_phone() -> None:
    assert entities("IBAN FR76 3000 6000 0112 3456 7890 189") == [IBAN]


# ----------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    "raw",
    ["06 12 34 56 78", "06.12.34.56.78", "0612345678", "+33 6 12 34 56 78",
     "+33 (0)6 12 34 56 78", "0033612345678", "06-12-34-56-78"],
)
def test_phone_formats_in_text(raw: str) -> None:
    finding = only(f"Joindre Mme X au {raw}, merci.", "PHONE")
    assert finding.value == "+33612345678"
    assert finding.detector == "phonenumbers"
    assert finding.confidence == pytest.approx(0.9)


@pytest.mark.parametrize(
    "text",
    [
        "lot 0612345678",
        "Lot n° 0612345678",
        "n° de lot : 06 12 34 56 78",
        "commande 0612345678",
        "Commande n°0612345678",
        "réf. 0123456789",
        "Réf : 01 23 45 67 89",
        "code 06 12 34 56 78 90",  # longer run
        "0612345678901",
        "9 06 12 34 56 78",
        "612345678",  # 9-digit run
        "id 123456789",
        "poste 1234",
        "composer le 12345",
    ],
)
def test_not_phones(text: str) -> None:
    assert entities(text, "PHONE") == []


def test_phone_with_extension_reports_only_the_number() -> None:
    assert entities("Standard 01 23 45 67 89 poste 1234", "PHONE") == ["+33123456789"]


def test_two_phones_on_a_line() -> None:
    text = "Tél : 06 12 34 56 78 / 01 23 45 67 89"
    assert entities(text, "PHONE") == ["+33612345678", "+33123456789"]


# ----------------------------------------------------------------------------- e-mails


def test_email_in_text_and_phone_like_local_part() -> None:
    text = "Écrire à Marie.Dupont@Example.FR ou 0612345678@sfr.fr."
    assert entities(text) == ["marie.dupont@example.fr", "0612345678@sfr.fr"]
    assert only(text[:35], "EMAIL").detector == "regex+email"
    assert only(text[:35], "EMAIL").confidence == pytest.approx(0.95)


def test_not_emails() -> None:
    assert entities("user@localhost and @handle and a@b") == []


# ----------------------------------------------------------------------------- locations


def test_locations_count_lines_from_first_line_and_prefix_name() -> None:
    text = "Compte rendu\n\nTél 06 12 34 56 78\nnée le 12/03/1954\n"
    found = scan_text(TextUnit(text, name="page 3", first_line=4))
    assert [(f.entity, f.location) for f in found] == [
        ("PHONE", "page 3, line 6"),
        ("BIRTH_DATE", "page 3, line 7"),
    ]
    unnamed = scan_text(TextUnit(text))
    assert [f.location for f in unnamed] == ["line 3", "line 4"]


def test_findings_in_text_order() -> None:
    text = f"a@b.fr {NIR}, 06 12 34 56 78 né le 01/01/1950 {IBAN}"
    assert [f.entity for f in scan_text(TextUnit(text))] == [
        "EMAIL", "NIR", "PHONE", "BIRTH_DATE", "IBAN",
    ]


def test_empty_text() -> None:
    assert scan_text(TextUnit("")) == []


@pytest.mark.slow
def test_large_text_is_scanned_whole() -> None:
    """8 MB of notes in one unit: every identifier found, line numbers right. Its speed is
    measured by bench/scan_demo.py and bench/accuracy, not asserted here: a wall-clock bound
    fails on a busy machine (it did, at 20.4 s against 20, with other jobs running)."""
    line = "Le patient DUPONT est venu le 12/03/2023 pour un contrôle, lot 0612345678.\n"
    special = f"Tél 06 12 34 56 78, mail x{{}}@chu.fr, NIR {NIR}, née le 12/03/1954\n"
    text = "".join(line * 9 + special.format(i) for i in range(10_000))  # 100k lines, ~8 MB
    found = scan_text(TextUnit(text))
    core = [f for f in found if f.entity in {"PHONE", "EMAIL", "NIR", "BIRTH_DATE"}]
    assert len(core) == 40_000
    assert core[-1].location == "line 100000"
    # "Le patient DUPONT" is a patient mention on each of the 90 000 ordinary lines.
    assert sum(f.entity == "PERSON" for f in found) == 90_000


def test_phone_after_a_date_or_nir_is_its_own_token() -> None:
    assert entities("DUPONT Marie 12/03/1954 06 12 34 56 78", "PHONE") == ["+33612345678"]
    assert entities(f"{NIR} 06 12 34 56 78", "PHONE") == ["+33612345678"]


# ----------------------------------------------------------------------------- phone layouts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Téléphone : (33) 1 45 56 78 90 - Fax : (33) 1 45 56 78 92",
         ["+33145567890", "+33145567892"]),
        ("Standard +33 (0)1 45 56 78 90", ["+33145567890"]),
        ("Tél : +33 01 45 56 78 90", ["+33145567890"]),
        ("Secrétariat 01.45.56.78.90 ou 01-45-56-78-91", ["+33145567890", "+33145567891"]),
        ("Salles : Gerbillot : 0 1 4 5 5 6 7 8 9 0 – Hadillot : 0 1 - 4 5 - 5 6 - 7 8 - 9 1",
         ["+33145567890", "+33145567891"]),
        ("joignable au + 3 3 1 4 5 5 6 7 8 9 0", ["+33145567890"]),
        ("Téléphone: 0692031002", ["+262692031002"]),
        ("Portable 0690 12 34 56, fixe 0596 61 23 45", ["+590690123456", "+596596612345"]),
    ],
)
def test_phone_layouts_in_prose(text: str, expected: list[str]) -> None:
    assert entities(text, "PHONE") == expected


@pytest.mark.parametrize(
    "text",
    [
        "Imprimé le 01/01/2011 - 02:03",
        "Né le 12/03/1954 0 2 3",
        "Numéro de sécurité sociale 1 9 2 0 4 2 6 7 0 2 3 8 3",
    ],
)
def test_no_phone_from_dates_or_spaced_numbers(text: str) -> None:
    assert entities(text, "PHONE") == []


# ----------------------------------------------------------------------------- IPP, NDA


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("IPP : 8012939402", "PATIENT_ID", "8012939402"),
        ("N° IPP 8012939402", "PATIENT_ID", "8012939402"),
        ("Numéro d'identification (IPP): 3902478069", "PATIENT_ID", "3902478069"),
        ("ROBERT Antoine - l’IPP étant le 3456721983.", "PATIENT_ID", "3456721983"),
        ("Rapport pour M. Briat 31/12/1975 IPPN11232344 visité le", "PATIENT_ID", "N11232344"),
        ("NIP : 000123456", "PATIENT_ID", "000123456"),
        ("référence interne de la patiente : 9750409278.", "PATIENT_ID", "9750409278"),
        ("Son IPP est 8392.", "PATIENT_ID", "8392"),
        ("NDA : 837264503 - IPP : 2025042320", "STAY_ID", "837264503"),
        ("N° de séjour : 2024A001234", "STAY_ID", "2024A001234"),
        ("Identifiant de la visite: 42bg98765", "STAY_ID", "42bg98765"),
        ("Dossier N° 9281973 du 15/02/1963", "STAY_ID", "9281973"),
        ("créé sous le numéro NDA 1235568467.", "STAY_ID", "1235568467"),
    ],
)
def test_hospital_ids_after_their_cue(text: str, entity: str, value: str) -> None:
    assert value in entities(text, entity)


def test_ipp_and_nda_on_one_line() -> None:
    found = scan_text(TextUnit("L'examen (IPP: 9182736485 ; NDA: 293847569) a eu lieu"))
    assert [(f.entity, f.value) for f in found if f.entity in {"PATIENT_ID", "STAY_ID"}] == [
        ("PATIENT_ID", "9182736485"), ("STAY_ID", "293847569")]


@pytest.mark.parametrize(
    "text",
    [
        "Le dossier a été créé le 16 août 2022.",
        "Dossier de Pasteur Jean, vu le 22/02/1962",
        "IPP : à compléter",
        "Le patient de 45 ans",
        "Patient 12 ans",
        "dossier 2023",
    ],
)
def test_no_hospital_id_without_a_value(text: str) -> None:
    assert entities(text, "PATIENT_ID") == [] and entities(text, "STAY_ID") == []


# ----------------------------------------------------------------------------- birth dates (prose)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mme Marie Genevieve Humble Née le 22|8|1923 N° d'immatriculation", "1923-08-22"),
        ("Date de naissance 21|05|1956 N° d'identification", "1956-05-21"),
        ("M. Danancher Jacques, né le 2 3 0 4 2 0 0 9, résidant au 45 rue", "2009-04-23"),
        ("Mme DUPONT née le 22 08 1923", "1923-08-22"),
        ("M. Martin, né le jeu, 4 déc 1941, demeurant", "1941-12-04"),
        ("née le 3 janvier 1950", "1950-01-03"),
        ("né le 12.03.1954", "1954-03-12"),
        ("Mise au monde le 15|10|1960 N° d'id national", "1960-10-15"),
        ("syndrome anxieux, née le 12, Mai 1973.", "1973-05-12"),
        ("Patientes présentes : Mirella Rousset, 23/04/1976, Perle Defoe, 21/07/1985.",
         "1976-04-23"),
        ("DUPONT Marie, 23/04/1976", "1976-04-23"),
        ("Dossier de Pasteur Jean | M | 22/02/1962 (68 ans) | IPP : 90105726912", "1962-02-22"),
        ("Patient: E DARGENT 02 45 43 57 88 | M | 15/04/1945 | 8065233491", "1945-04-15"),
        ("Mme Corsain Monique Née le 2 2 0 1 1 9 8 5 N°", "1985-01-22"),
        ("FALMANTE Giuseppe  2 9 3 1 8 5 3 3 2 9 7 7 9  2 9 1 0 1 8 9 5   Certolizumab",
         "1895-10-29"),
        ("né le 2 5 0 2 1 9 4 8, à Lyon", "1948-02-25"),
    ],
)
def test_birth_dates_in_prose(text: str, expected: str) -> None:
    assert expected in entities(text, "BIRTH_DATE")


def test_birth_date_after_a_social_security_number() -> None:
    text = "LIMONE Sandra  2 9 1 4 8 2 3 9 8 4 2 9 6 5 4  1 2 0 1 1 9 9 4  ETANERCEPT 20 mg"
    assert entities(text, "BIRTH_DATE") == ["1994-01-12"]


@pytest.mark.parametrize(
    "text",
    [
        "Internes : JALONNET Christine (Interne) 18/02/2019 16:34",
        "JALONNET Christine 18/02/2019 16:34",
        "Patiente arrivée au STUD du 13/09/2020 au 31/03/2020 pour rhinopathie",
        "Paris, le 12/03/2020",
        "Consultation du 12/03/2020",
        "Date arrivée: 28/03/2021",
        "LIMONE Félicia  3 0 0 3 2 0 2 1  2 9 2 4 1 8 7 6 5 3 2 9 8 9 0  ETANERCEPT",
        "DUPONT Marie, 23/04/2099",
        "POUR MME ANA PREDAN RDV 12.1.2023 AU 12 RUE DU DOCTEUR GACHET",
        "Rappel pour MARIE PORILO Rendez-vous 23.9.2023 Chez le Dr RABELIE",
        "Compte rendu validé par Dr Jean LAMY 12/03/2020",
        "Hôpital Avicenne, 12/03/2020",
    ],
)
def test_visit_dates_and_timestamps_are_not_birth_dates(text: str) -> None:
    assert entities(text, "BIRTH_DATE") == []


# ----------------------------------------------------------------------------- keyless NIR


@pytest.mark.parametrize(
    ("text", "value", "confidence"),
    [
        ("N° d'immatriculation : 1 84 12 75 123 456", "1841275123456", 0.6),
        ("Numéro de sécurité sociale 172 0186 092 929.", "1720186092929", 0.6),
        ("Son NSS est le 1 7 0 0 5 0 1 9 7 2 4 0 6.", "1700501972406", 0.6),
        ("Numéro de sécurité sociale (à compléter par l'assuré(e)) Agée de 65 ans\n"
         "1 2 2 1 9 3 8 1 2 3 4 2 9\n17 RUE DE RENNES", "1221938123429", 0.6),
    ],
)
def test_keyless_nir_after_its_cue(text: str, value: str, confidence: float) -> None:
    found = only(text, "NIR")
    assert (found.value, found.confidence) == (value, confidence)
    assert entities(text, "PHONE") == []


def test_nir_with_its_key_after_a_cue_stays_certain() -> None:
    found = only(f"N° SS : {NIR}", "NIR")
    assert found.value == NIR and found.confidence >= 0.9


@pytest.mark.parametrize(
    "text",
    [
        "Commande 1841275123456 livrée",
        "sécurité sociale : voir le dossier, tél 06 12 34 56 78",
        "N° SS : 12345",
        "Code de l'Assurance Maladie : 2 127647 86182741.",  # 15 digits, wrong key
    ],
)
def test_no_keyless_nir_without_cue_or_shape(text: str) -> None:
    assert entities(text, "NIR") == []


def test_ipp_and_nda_in_a_patient_row() -> None:
    text = ("Patient : Philippe Roche | M | 13/09/1965 | 8054692357 | Dossier 1407561893.\n"
            "Patient: Mme J DUPONT | F | 03/03/1944 | 12219381234295 | 170 RUE DU CALVAIRE")
    assert entities(text, "PATIENT_ID") == ["8054692357"]
    assert entities(text, "STAY_ID") == ["1407561893"]
    assert entities(text, "BIRTH_DATE") == ["1965-09-13", "1944-03-03"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tel : 07.18.05.55.26", ["+33718055526"]),  # a range phonenumbers does not know
        ("Numéro de bureau : 08 76 84 35 10", ["+33876843510"]),
        ("Dr A. DAGENS 0716202677 Dr J. SRNKA", ["+33716202677"]),
        ("lot 0716202677", []),  # no phone cue: the shape alone is not enough
        ("Roger Paul  1 9 2 0 4 2 6 7 0 2 3 8 3  02-07-1992 42 avenue du G.al", []),
    ],
)
def test_french_shaped_numbers_after_a_phone_cue(text: str, expected: list[str]) -> None:
    assert entities(text, "PHONE") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("par mail secrétariat.onco@avicenne.aphp.fr.", ["secrétariat.onco@avicenne.aphp.fr"]),
        ("Dr CLERMONT tlabelle @ medimail . com", ["tlabelle@medimail.com"]),
        ("écrire à x @ y", []),
    ],
)
def test_accented_and_spaced_emails(text: str, expected: list[str]) -> None:
    assert entities(text, "EMAIL") == expected


@pytest.mark.parametrize(
    "text",
    [
        "Patient 1: Azila Marie | FE01 W47 33 41 41 | 12/05/1973 | 5976349378 | 87954386\n",
        "Patient 1: Lang Francis | F+33 4 07 27 70 34 | 1 2 0 5 1 9 7 3 | 5976349378 | 87954386",
        "DUPONT Marie | 12-05-1973 | 5976349378 | Dossier 87954386 | Cardiologie",
    ],
)
def test_ipp_and_nda_after_a_birth_date_field_when_the_sex_field_is_garbled(text: str) -> None:
    assert entities(text, "PATIENT_ID") == ["5976349378"]
    assert entities(text, "STAY_ID") == ["87954386"]


@pytest.mark.parametrize(
    "text",
    [
        "| 12/05/2024 | 5976349378 |",  # one identifier field: not enough without the sex
        "| 12/05/2024 | 1,5 | 87954386 |",
    ],
)
def test_a_dated_row_needs_two_identifier_fields(text: str) -> None:
    assert entities(text, "PATIENT_ID") == []
    assert entities(text, "STAY_ID") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Date d'admission : 13/04/2022 Maximilien C.C. 2 3 1 2 1 9 7 0, 4019341801",
         ["1970-12-23"]),
        ("DUPONT J.-C., 12/03/1954", ["1954-03-12"]),
        ("Dr DUPONT J.-C. 12/03/2020", []),  # a professional's date is not his birth
    ],
)
def test_birth_date_after_a_name_with_glued_initials(text: str, expected: list[str]) -> None:
    assert entities(text, "BIRTH_DATE") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # boxed form: the date's eight boxes, then the NIR's
        ("Mr J. CARREYRE\nNé le 1 9 1 0 1 9 8 7 2 8 7 0 5 8 8 1 1 1 4 9 4\n", ["1987-10-19"]),
        ("Né le 1 9 1 0 1 9 8 7 2 8\n", []),  # two more digits: not a second field
        ("Référence 1 9 1 0 1 9 8 7 2 8 7 0 5 8 8 1 1 1 4 9 4\n", []),  # no cue
    ],
)
def test_cued_boxed_birth_date_followed_by_another_boxed_field(
    text: str, expected: list[str]
) -> None:
    assert entities(text, "BIRTH_DATE") == expected


@pytest.mark.parametrize(
    ("text", "expected", "detector"),
    [
        ("prenom.nom [at] hopital.fr", "prenom.nom@hopital.fr", "regex+email_obfuscated"),
        ("prenom.nom(at)hopital(dot)fr", "prenom.nom@hopital.fr", "regex+email_obfuscated"),
        ("nom[@]chu-lyon.fr", "nom@chu-lyon.fr", "regex+email_obfuscated"),
        ("dupont arobase chu point fr", "dupont@chu.fr", "regex+email_obfuscated"),
        ("écrire à jean.dupont AT chu-lyon.fr", "jean.dupont@chu-lyon.fr",
         "regex+email_obfuscated"),
        ("prenom . nom @ hopital . fr", "prenom.nom@hopital.fr", "regex+email_spaced"),
        ("PRENOM.NOM@HOPITAL.FR", "prenom.nom@hopital.fr", "regex+email"),
        # text extraction lost the space: the case change shows where the address ends
        ("laboratoire@AP-HP.frSmith Paul transmis le", "laboratoire@ap-hp.fr",
         "regex+email_unglued"),
        ("Joseph ARNOULDarnould@institute.org, Centre", "arnould@institute.org",
         "regex+email_unglued"),
    ],
)
def test_obfuscated_and_glued_emails(text: str, expected: str, detector: str) -> None:
    found = only(text, "EMAIL")
    assert (found.value, found.detector) == (expected, detector)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He arrived at hospital.He left", []),  # a lower-case "at" is a word
        ("Voir le dossier. tlabelle @ medimail . com", ["tlabelle@medimail.com"]),
        ("DUPONT2@chu.fr", ["dupont2@chu.fr"]),
        ("JPdupont@chu.fr", ["jpdupont@chu.fr"]),  # two capitals: initials, kept
        ("Marie.Dupont@Example.FR", ["marie.dupont@example.fr"]),
    ],
)
def test_emails_not_cut_or_invented(text: str, expected: list[str]) -> None:
    assert entities(text, "EMAIL") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tél : 01.45.56.78.90", ["+33145567890"]),
        ("Tél : 0145567890", ["+33145567890"]),
        ("+33 (0)1 45 56 78 90", ["+33145567890"]),
        ("(33) 1 45 56 78 90", ["+33145567890"]),
        ("Mme A. Andre 06/28/42/50/36", ["+33628425036"]),  # slashes between pairs
        ("Tél : 01–45–56–78–90", ["+33145567890"]),  # en dashes of a word processor
        ("Tel 01 45 56\n78 90", ["+33145567890"]),  # wrapped between two pairs
        ("Tél : 01 45\n  56 78 90", ["+33145567890"]),
        ("06 12 34 56 78\n06 98 76 54 32", ["+33612345678", "+33698765432"]),
        ("Poids 06 12\n34 56 78 90 12", []),  # twelve digits: not a wrapped number
        ("lot 01 45 56\n78 90", []),
        ("12/06/28/42/50/36", []),
        ("né le 01/02/2003", []),
    ],
)
def test_phone_layouts(text: str, expected: list[str]) -> None:
    assert entities(text, "PHONE") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # unallocated ranges: the name or the label is on the line above the number
        ("Dr. Gregory Ambrose\n04 01 09 96 36\nDr. X", ["+33401099636"]),
        ("Tél :\n07 16 20 26 77", ["+33716202677"]),
        ("Chambre 12\n07 16 20 26 77", []),
        ("Dr. Gregory Ambrose\n\n04 01 09 96 36", []),  # a blank line between: no cue
        ("Dr. Gregory Ambrose\nvoir 04 01 09 96 36", []),  # not at the start of its line
    ],
)
def test_french_shaped_number_with_its_cue_on_the_line_above(
    text: str, expected: list[str]
) -> None:
    assert entities(text, "PHONE") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tel : (34) 02.29.18.05.95", []),  # a foreign country code: not a French number
        ("Dr A. Caldonazzo (66)0457053315 Dr", []),
        ("(33) 02.29.18.05.95", ["+33229180595"]),
        ("(1) 01 45 56 78 90", ["+33145567890"]),  # a list number, not a country code
        # a table of measurements: 3- and 4-digit groups among other groups
        ("(1)15:01 2 93 2930 293 29 293 029 931 9329 920 92 12 32", []),
        ("48 3998 300 838 993 19 293 2939 032 939 13 31\n", []),
        ("appeler le 0 800 123 456", ["+33800123456"]),
        ("Tél 01 4556 7890", ["+33145567890"]),
    ],
)
def test_phones_among_other_figures(text: str, expected: list[str]) -> None:
    assert entities(text, "PHONE") == expected


def test_spaced_and_obfuscated_emails_far_into_a_long_text() -> None:
    text = ("Compte rendu de consultation. " * 200 + "Écrire à a.b [at] chu.fr ou à "
            "c.d @ chu . fr, puis " + "suite du texte " * 100 + "e.f(at)chu(dot)fr.")
    assert entities(text, "EMAIL") == ["a.b@chu.fr", "c.d@chu.fr", "e.f@chu.fr"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patient 1: Lang Francis | F+33 4 07 27 70 34 | 0 5 0 8 2 0 0 3 | 5976349378 | 87954386",
         ["2003-08-05"]),
        ("Azila Marie | FE01 W47 33 41 41 | 12/05/1973 | 5976349378 | 87954386\n",
         ["1973-05-12"]),
        ("| 12/05/1973 | 4,5 | 87954386 |", []),  # a result, not an identifier
        ("| 12/05/2040 | 5976349378 | 87954386 |", []),  # not a birth date: in the future
    ],
)
def test_birth_date_field_before_the_ipp_and_nda_fields(text: str, expected: list[str]) -> None:
    assert entities(text, "BIRTH_DATE") == expected
