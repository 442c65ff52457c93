"""Health detectors: ICD-10 codes, diagnoses, medications, care units, CCAM acts."""

from __future__ import annotations

import random

import pytest

from breachscope.detect import health as h
from breachscope.detect.columns import classify_columns
from breachscope.detect.tables import detect_table
from breachscope.detect.text import scan_text
from breachscope.extract.units import TableUnit, TextUnit


def _values(scanner, text: str) -> list[str]:
    return [v for _, _, v, _, _ in scanner(text)]


def _entities(text: str) -> list[tuple[str, str]]:
    return [(f.entity, f.value) for f in scan_text(TextUnit(text))]


# --------------------------------------------------------------------------- ICD-10


@pytest.mark.parametrize(("raw", "expected"), [
    ("I251", "I25.1"), ("I25.1", "I25.1"), ("i25.1", "I25.1"), ("B20", "B20"),
    ("F10.20", "F10.20"), ("F1020", "F10.20"), ("B24+0", "B24.+0"), (" E11.9 ", "E11.9"),
    ("A12", None), ("Z99.7", None), ("I25.19", None), ("XYZ", None), ("", None),
])
def test_normalize_icd10_against_the_list(raw, expected):
    assert h.normalize_icd10(raw) == expected


def test_icd10_labels_are_french():
    assert h.icd10_label("I25.1") == "Cardiopathie artérioscléreuse"
    assert "Schizophrénie" in h.icd10_label("F20")


@pytest.mark.parametrize("text", [
    "Diagnostic principal : I25.1",
    "DP : I251",
    "DAS: E11.9",
    "Codage CIM-10 : F20.0",
    "Code diagnostic F32.1 retenu",
    "I25.1 (CIM10)",
    "Motif d'hospitalisation : J18.9",
    "DG1|1||I25.1^Cardiopathie^CIM10",
])
def test_icd10_with_a_cue(text):
    assert len(_values(h.find_icd10, text)) == 1


def test_icd10_followed_by_its_own_label():
    assert _values(h.find_icd10, "I25.1 Cardiopathie artérioscléreuse") == ["I25.1"]
    assert _values(h.find_icd10, "F20.0 - Schizophrénie paranoïde") == ["F20.0"]


def test_icd10_in_a_list_of_codes():
    assert _values(h.find_icd10, "DAS : E11.9, I10, N18.3") == ["E11.9", "I10", "N18.3"]
    assert _values(h.find_icd10, "E11.9 ; I10 ; N18.3") == ["E11.9", "I10", "N18.3"]


def test_icd10_in_brackets_after_a_diagnosis():
    assert _values(h.find_icd10, "infarctus du myocarde (I21.9) en 2019") == ["I21.9"]


@pytest.mark.parametrize("text", [
    "Appuyez sur F10 pour valider.",            # keyboard key (F10 is a valid category)
    "touche F11 du clavier",
    "Rendez-vous salle B20 au 2e étage.",       # room
    "Bus C10 direction gare.",
    "Réf A12 et commande F10",                  # reference numbers
    "Voir le modèle F32 page 4",
    "Le formulaire E11 est à renvoyer.",        # a bare code-shaped word without a cue
    "Diagnostic : A12",                         # not a CIM-10 code
    "Code Z99.7",                               # invalid subcode
    "version F10.2.1 du logiciel",
    "Diagnostic principal : I25.1%",
])
def test_icd10_traps(text):
    assert _values(h.find_icd10, text) == []


def test_icd10_through_the_text_scanner():
    found = _entities("Patient hospitalisé. DP : F10.2 (CIM-10).")
    assert ("ICD10_CODE", "F10.2") in found


# A measured corpus: codes drawn from the list in varied phrasings (positives) and
# code-shaped tokens without a cue, invalid codes with a cue, keys and rooms (negatives).
_POSITIVE_TEMPLATES = [
    "Diagnostic principal : {c}.", "DP : {c}", "DAS : {c}", "Codage CIM-10 {c}",
    "code diagnostic {c} retenu", "Le patient présente {c} (CIM10).", "Antécédents : {c}",
    "{c} {label}", "Diag. {c} confirmé", "CIM : {c}",
]
_NEGATIVE_TEMPLATES = [
    "Appuyez sur {c} pour continuer.", "Salle {c}, 2e étage.", "Réf. {c} commandée.",
    "Le modèle {c} est en rupture.", "Voir le formulaire {c} ci-joint.",
    "Bâtiment {c} porte 3.", "Ligne {c} du tableau.", "Bus {c} direction centre.",
    "ticket {c} résolu", "Diagnostic : {bad}", "Code {bad} inconnu", "Vol {c} retardé.",
]


def _corpus(seed: int = 7, n: int = 600):
    rng = random.Random(seed)
    codes = sorted(h.icd10_codes())
    corpus = []
    for i in range(n):
        code = rng.choice(codes)
        dotted = h.normalize_icd10(code)
        written = dotted if rng.random() < 0.6 else code
        if i % 2 == 0:
            template = rng.choice(_POSITIVE_TEMPLATES)
            text = template.format(c=written, label=h.icd10_label(code))
            corpus.append((text, {dotted}))
        else:
            bad = f"{code[0]}{rng.randint(0, 99):02d}.{rng.randint(0, 9)}{rng.randint(0, 9)}"
            if h.normalize_icd10(bad) is not None:
                bad = "A12"
            template = rng.choice(_NEGATIVE_TEMPLATES)
            corpus.append((template.format(c=written, bad=bad), set()))
    return corpus


def test_icd10_precision_and_recall_on_a_corpus():
    tp = fp = fn = 0
    for text, expected in _corpus():
        found = {f.value for f in scan_text(TextUnit(text)) if f.entity == "ICD10_CODE"}
        tp += len(found & expected)
        fp += len(found - expected)
        fn += len(expected - found)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.99, (precision, recall)
    assert recall >= 0.99, (precision, recall)


# --------------------------------------------------------------------------- diagnoses, drugs


def test_diagnoses_by_label():
    text = ("Suivi pour schizophrénie paranoïde et diabète de type 2. Antécédent d'infarctus du "
            "myocarde. Maladie d'Alzheimer débutante. Sérologie VIH positive.")
    found = _values(h.find_diagnoses, text)
    assert "schizophrénie paranoïde" in found
    assert "diabète de type 2" in found
    assert "infarctus du myocarde" in found
    assert "Maladie d'Alzheimer" in found
    assert "VIH" in found


def test_diagnoses_traps():
    text = ("Il est entré dans une rage folle. Une goutte de pluie. Il a la peste. "
            "La cigale et la fourmi. Une égale répartition. Les autres pathologies.")
    assert _values(h.find_diagnoses, text) == []


def test_medications():
    text = "Traitement : Doliprane 1000 mg 3x/j, KARDEGIC 75, paracétamol, Seresta 10 mg."
    found = h.find_medications(text)
    values = [v for _, _, v, _, _ in found]
    assert values == ["Doliprane", "KARDEGIC", "paracétamol", "Seresta"]
    assert all(c >= 0.95 for _, _, _, c, _ in found)


def test_dosage_is_not_anything_else():
    found = _entities("Doliprane 1000 mg matin et soir")
    assert found == [("MEDICATION", "Doliprane")]


def test_medication_traps():
    text = "Il boit de l'eau, mange du fer à cheval, prend un sirop. Le calcium est normal."
    assert _values(h.find_medications, text) == []


# --------------------------------------------------------------------------- sensitive words


@pytest.mark.parametrize(("text", "entity", "value"), [
    ("Patiente ayant eu une IVG médicamenteuse en 2019.", "PROCEDURE", "IVG médicamenteuse"),
    ("IVG le 12/03/2021 au CHU.", "PROCEDURE", "IVG"),
    ("Interruption volontaire de grossesse à 8 SA.", "PROCEDURE",
     "Interruption volontaire de grossesse"),
    ("Hospitalisée pour sevrage alcoolique.", "DIAGNOSIS", "sevrage alcoolique"),
    ("Syndrome de sevrage alcoolique sévère.", "DIAGNOSIS", "Syndrome de sevrage alcoolique"),
    ("Traitement de substitution aux opiacés.", "DIAGNOSIS",
     "Traitement de substitution aux opiacés"),
    ("Patient toxicomane.", "DIAGNOSIS", "toxicomane"),
    ("Toxicomanie sevrée, sérologie négative.", "DIAGNOSIS", "Toxicomanie"),
    ("Infection VIH connue, sous trithérapie.", "DIAGNOSIS", "trithérapie"),
    ("Patient séropositif depuis 2005.", "DIAGNOSIS", "séropositif"),
    ("Sous PrEP depuis 6 mois.", "DIAGNOSIS", "PrEP"),
    ("Sérologie VIH positive en 2010.", "DIAGNOSIS", "VIH"),
    ("Antécédent d'IST.", "DIAGNOSIS", "IST"),
    ("TS médicamenteuse le 12/03.", "DIAGNOSIS", "TS médicamenteuse"),
    ("Geste autolytique en 2019.", "DIAGNOSIS", "Geste autolytique"),
    ("Dépression sévère.", "DIAGNOSIS", "Dépression sévère"),
    ("Hospitalisation sous contrainte (SDRE).", "PROCEDURE", "SDRE"),
    ("Admis en SDT le 3 mars.", "PROCEDURE", "SDT"),
    ("Caryotype 47,XY,+21.", "PROCEDURE", "Caryotype"),
    ("Orientée vers un conseil génétique.", "PROCEDURE", "conseil génétique"),
    ("Victime de viol en 2015.", "DIAGNOSIS", "viol"),
    ("Agression sexuelle dans l'enfance.", "DIAGNOSIS", "Agression sexuelle"),
])
def test_sensitive_words_are_findings(text, entity, value):
    assert (entity, value) in _entities(text)


def test_sensitive_acts_come_with_ccam_acts():
    text = "Acte CCAM : JNJD002. IVG instrumentale le 12/03, caryotype foetal."
    assert _values(h.find_ccam, text) == ["JNJD002", "IVG instrumentale", "caryotype foetal"]


@pytest.mark.parametrize("text", [
    "Pas de VIH.", "Sérologie VIH négative.", "Sérologies VIH, VHB et VHC négatives.",
    "Sérologie VIH demandée.", "Dépistage des IST.", "Absence de toxicomanie.",
    "Pas d'antécédent de tentative de suicide.", "Toxicomanie : non.", "Pas d'IVG.",
    "Absence de syndrome de sevrage alcoolique.", "Aucune idée suicidaire.",
    "Sérologies VIH, VHB, VHC et HTLV négatives.",
])
def test_negated_or_tested_sensitive_words_are_not_findings(text):
    assert [e for e in _entities(text) if e[0] in {"DIAGNOSIS", "PROCEDURE"}] == []


def test_negation_is_for_the_words_it_governs():
    found = _entities("Pas de diabète. Schizophrénie connue. Pas de VIH, toxicomanie active.")
    assert found == [("DIAGNOSIS", "Schizophrénie"), ("DIAGNOSIS", "toxicomanie")]
    # Any diagnosis: negated or a screening test, it is not one.
    assert _values(h.find_diagnoses, "Pas de diabète ni d'asthme.") == []
    assert _values(h.find_diagnoses, "Dépistage du cancer du sein.") == []
    assert _values(h.find_diagnoses, "Diabète de type 2, pas d'HTA.") == ["Diabète de type 2"]


@pytest.mark.parametrize("text", [
    "l'ivg du fichier",                 # acronyms count only in capitals
    "Prep de la chambre. La prép. magistrale.",
    "Le TS du service. Les ts.",
    "Sevrage tabagique en cours.", "Sevrage ventilatoire difficile.", "Sevrage de l'oxygène.",
    "Trithérapie anti-Helicobacter pylori pendant 14 jours.", "Trithérapie antihypertensive.",
    "Violences conjugales. Un foulard violet. Il viole la règle.",
    "Das ist gut. Une liste.",
])
def test_sensitive_word_traps(text):
    assert [e for e in _entities(text) if e[0] in {"DIAGNOSIS", "PROCEDURE"}] == []


def test_sensitive_units_stay_units():
    found = _entities("Adressée au centre d'IVG, puis en consultation de conseil génétique.")
    assert found == [("CARE_UNIT", "centre d'IVG"),
                     ("CARE_UNIT", "consultation de conseil génétique")]
    assert _values(h.find_care_units, "Suivi au CMP et au CSAPA.") == ["CMP", "CSAPA"]


def test_prep_is_not_a_title_and_a_name():
    assert _entities("Sous PrEP depuis 6 mois.") == [("DIAGNOSIS", "PrEP")]


# --------------------------------------------------------------------------- care units


def test_care_units():
    text = ("Hospitalisé en service de psychiatrie adulte, puis unité de soins palliatifs. "
            "Suivi au CMP et au CeGIDD. Consultation de génétique. Orientation vers "
            "l'addictologie. Passage en maternité.")
    found = _values(h.find_care_units, text)
    for unit in ("service de psychiatrie adulte", "unité de soins palliatifs", "CMP", "CeGIDD",
                 "Consultation de génétique", "addictologie", "maternité"):
        assert unit in found


def test_care_unit_traps():
    text = "Elle part en congé maternité. Une cause génétique est possible. Le cmp du fichier."
    assert _values(h.find_care_units, text) == []


# --------------------------------------------------------------------------- CCAM


def test_ccam_with_context_or_known_sensitive_act():
    assert _values(h.find_ccam, "Acte CCAM : HHFA016") == ["HHFA016"]
    assert _values(h.find_ccam, "JNJD002 le 12/03") == ["JNJD002"]
    assert _values(h.find_ccam, "Actes : HHFA016, YYYY600") == ["HHFA016", "YYYY600"]


def test_ccam_traps():
    assert _values(h.find_ccam, "Immatriculation ABCD123 garée devant.") == []
    assert _values(h.find_ccam, "Mot de passe WXYZ999") == []


# --------------------------------------------------------------------------- tables


def _table(header, rows):
    return TableUnit(header=header, rows=rows)


def test_cim10_column():
    table = _table(["IPP", "Nom", "Prénom", "CIM10", "traitement"], [
        ["123", "DUPONT", "Marie", "F20.0", "Risperdal 2 mg"],
        ["124", "MARTIN", "Paul", "I251", "Kardégic 75 mg"],
        ["125", "DURAND", "Anne", "E11.9;I10", "metformine"],
    ])
    labels = {c.header: c.label for c in classify_columns(table)}
    assert labels["CIM10"] == "ICD10_CODE"
    assert labels["traitement"] == "MEDICATION"
    found = detect_table(table)
    codes = [f.value for f in found.findings if f.entity == "ICD10_CODE"]
    assert codes == ["F20.0", "I25.1", "E11.9", "I10"]
    assert all("ICD10_CODE" in r.entities for r in found.records)


@pytest.mark.parametrize(("header", "values", "label"), [
    ("DP", ["I21.0", "J18.9", "K35.8"], "ICD10_CODE"),
    ("code_diag", ["I210", "J189", "K358"], "ICD10_CODE"),
    ("Diagnostic", ["I21.0", "J18.9", "K35.8"], "ICD10_CODE"),
    ("Diagnostic", ["Pneumopathie", "Appendicite aiguë", "Infarctus"], "DIAGNOSIS"),
    ("CCAM", ["HHFA016", "JNJD002", "YYYY600"], "PROCEDURE"),
    ("Acte", ["12/03/2024", "13/03/2024", "14/03/2024"], "VISIT_DATE"),
    ("DAS", ["A12", "B99.7", "XX"], None),  # not codes
    ("Molécule", ["oui", "non", "oui"], None),
])
def test_health_column_labels(header, values, label):
    table = _table(["Nom", header], [["DUPONT", v] for v in values])
    assert classify_columns(table)[1].label == label


def test_a_unit_field_gives_its_value_as_care_unit():
    from breachscope.detect.health import find_care_units

    def units(text):
        return [v for _s, _e, v, _c, _d in find_care_units(text)]

    assert units("CH D'ARMENTIÈRES\nUnité : CEGIDD2\n") == ["CEGIDD2"]
    assert units("UF: 3201\n") == ["3201"]
    assert units("Service : Psychiatrie adulte\n") == ["Psychiatrie adulte"]
    assert units("Unité : le 12/03\n") == []
    assert units("Service :\nNom : DUPONT\n") == []
