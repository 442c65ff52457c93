"""NIRs in prose and in OCR'd forms: spaced or grouped digits after a cue, identity lines, the
boxes of prescription forms (layouts of AP-HP's eds-pseudo notes)."""

from __future__ import annotations

import pytest
from detect_helpers import make_nir

from breachscope.detect.model import Finding
from breachscope.detect.text import scan_text
from breachscope.detect.validators import nir_body_shaped
from breachscope.extract.units import TextUnit


def found(text: str, entity: str) -> list[Finding]:
    return [f for f in scan_text(TextUnit(text)) if f.entity == entity]


def spaced(digits: str) -> str:
    return " ".join(digits)


# ----------------------------------------------------------------------------- after a cue


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Son NSS est le 1 7 0 0 5 0 1 9 7 2 4 0 6.", "1700501972406"),
        ("Son numéro d'assuré est 1 9 2 0 5 8 8 2 5 7 1 5 0, et son identifiant", "1920588257150"),
        ("Assuré : ANDRE TARDITO N° 2 9 2 0 1 4 8 9 2 3 5 6 3", "2920148923563"),
        ("Numéro de sécurité sociale (à compléter par l'assuré(e)): 2 0 8 1 1 0 8 0 6 2 3 6 5",
         "2081108062365"),
        ("Monsieur Sappe M. Date de naissance 11-08-1995 N° d'identification 29508 44 162 379",
         "2950844162379"),
        ("N° d'immatriculation (à compléter par l'assuré(e)) Agée de 45 ans 2 82 0410 454 828",
         "2820410454828"),
        ("Code de l'Assurance Maladie : 208 04 82 195636.", "2080482195636"),
        ("N° SS : 2 720649 460 891", "2720649460891"),
        # the cue, then the NIR's boxes touching a date's
        ("N° SS 1 8 5 0 7 0 8 1 6 9 3 8 9 1 1 1 0 1 9 8 5", "1850708169389"),
        ("Immatriculation\n1 9309 36408 228\n19 AVENUE DE LA REPUBLIQUE", "1930936408228"),
    ],
)
def test_keyless_nir_after_a_cue(text: str, value: str) -> None:
    nirs = found(text, "NIR")
    assert [(f.value, f.confidence) for f in nirs] == [(value, 0.6)]
    assert "keyless" in nirs[0].detector
    assert found(text, "PHONE") == []


def test_too_short_a_number_after_a_cue_is_no_nir() -> None:
    # 11 digits: no NIR has that length (a flawed truth value of eds-pseudo)
    assert found("Numéro de sécurité sociale 173 2857 4932.", "NIR") == []


# ----------------------------------------------------------------------------- identity lines


def test_valid_nir_on_an_identity_line_needs_no_cue() -> None:
    nir = make_nir("1850708169389")
    text = f"Foubert, Daniel Rene  {spaced(nir)}  1 1 1 0 1 9 8 5 42 avenue du G.al"
    nirs = found(text, "NIR")
    assert [(f.value, f.detector) for f in nirs] == [(nir, "regex+nir_key")]
    assert nirs[0].confidence >= 0.9


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a prescription form: the name, the NIR's boxes, the birth date's boxes
        ("Foubert, Daniel Rene  1 8 5 0 7 0 8 1 6 9 3 8 9  1 1 1 0 1 9 8 5 42 avenue du",
         "1850708169389"),
        ("Duponchel, Roger Paul  1 9 2 0 4 2 6 7 0 2 3 8 3  02-07-1992 42 avenue du G.al",
         "1920426702383"),
        ("R. HAMMOUCH\nNée le 24/03/87, 1 8 7 0 4 3 3 6 2 3 8 2 5, 34223, Deuil-La Barre.",
         "1870433623825"),
        ("M. Baron, F. - 1 8 8 0 3 4 9 5 4 6 7 2 1, né le 01-08-1988, 175 rue Saint-Honoré",
         "1880349546721"),
        ("0 5 0 8 2 0 1 4 FERLAY ESTELLE NOELLE 2 720649 460 891 05-05-1972 INFLIXIMAB",
         "2720649460891"),
        ("JACQ Louise 277 03 53 708 209 19/09/77 ADALIMUMAB 40mg", "2770353708209"),
        ("Patient: Mme Paulette Masse | F | 31-10-1999 | 1 9 9 0 9 6 1 1 8 6 1 9 7 | 170 RUE",
         "1990961186197"),
    ],
)
def test_keyless_nir_beside_a_birth_date_of_its_year(text: str, value: str) -> None:
    nirs = found(text, "NIR")
    assert [(f.value, f.confidence, f.detector) for f in nirs] == [
        (value, 0.6, "context+nir_keyless_birth")
    ]
    assert found(text, "PHONE") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # boxes of a date (the prescription's), then the NIR's, then the birth date's
        ("FERLAY ESTELLE NOELLE 0 5 0 8 2 0 1 4 1 7 2 0 3 6 9 4 0 3 5 4 2 0 4 1 2 1 9 7 2 "
         "USTEKINUMAB", "1720369403542"),
        # the NIR's boxes, then the birth date's, then a street number
        ("Nivor, S. 2 8 0 1 0 5 7 4 2 5 2 8 0 1 4 0 5 1 9 8 0 24 avenue Saint-Jean",
         "2801057425280"),
        # the prescription date's boxes, then the NIR, then the birth date
        ("Mr. Oursel Christian Georges 1 5 0 3 2 0 2 4 1 030458906358 18/04/03 Adaptation",
         "1030458906358"),
        ("Mr J. CARREYRE\nNé le 1 9 1 0 1 9 8 7 2 8 7 0 5 8 8 1 1 1 4 9 4\nHospitalisation",
         "2870588111494"),
    ],
)
def test_keyless_nir_in_a_run_of_boxes(text: str, value: str) -> None:
    assert [f.value for f in found(text, "NIR")] == [value]
    assert found(text, "PHONE") == []


def test_boxed_birth_date_then_nir_keeps_both() -> None:
    text = "Mr J. CARREYRE\nNé le 1 9 1 0 1 9 8 7 2 8 7 0 5 8 8 1 1 1 4 9 4\n"
    assert [f.value for f in found(text, "BIRTH_DATE")] == ["1987-10-19"]
    assert [f.value for f in found(text, "NIR")] == ["2870588111494"]


def test_keyless_nir_in_an_identity_block() -> None:
    form = ("Rossignol, Rossignol M.\n22/08/03\nN° FINESS\n98760328\nN°RPPS\n05 1 2 2 0 2 4\n"
            "678901245\n2 0 3 1 0 2 2 3 7 7 1 6 2\n55 BOULEVARD VICTOR HUGO, 06 879, PARIS")
    assert [f.value for f in found(form, "NIR")] == ["2031022377162"]
    letter = ("PIERRE BALOUIN, né le 22/01/76\n2 RUE DE LA LIBERTE 97313 PARIS\n"
              "Tél. 01 45 56 78 90 jbonnet@free.fr 2 7 6 1 2 7 1 8 8 2 3 2 2.\n")
    assert [f.value for f in found(letter, "NIR")] == ["2761271882322"]


# ----------------------------------------------------------------------------- not NIRs


@pytest.mark.parametrize(
    "text",
    [
        # no cue, no key, no birth date
        "Père: JULES PHILIPPE 2 0 5 1 1 6 8 5 7 3 6 1 0",
        "Père: RHARDA Lahsen 279 12 58296 642",
        # a birth date of another year
        "DE LUCA Roberta  2 9 1 4 2 5 6 5 4 1 1 5 2  2 8 1 2 1 9 6 9 Certolizumab",
        # no NIR's shape: sex digit, month 15, département 00, order 000
        "Dupont Jean 3 8 5 0 7 0 8 1 6 9 3 8 9 11/10/1985",
        "Dupont Jean 1 8 5 1 5 0 8 1 6 9 3 8 9 11/10/1985",
        "Dupont Jean 1 8 5 0 7 0 0 1 6 9 3 8 9 11/10/1985",
        "Dupont Jean 1 8 5 0 7 0 8 1 6 9 0 0 0 11/10/1985",
        # a reference number
        "Commande 1850708169389 du 11/10/1985",
        # 15 digits with a wrong key beside a name
        "Foubert, Daniel Rene  1 8 5 0 7 0 8 1 6 9 3 8 9 1 2  1 1 1 0 1 9 8 5",
        # glued to a word, or a date in the future
        "Dupont Jean 1850708169389kg 11/10/1985",
        "Dupont Jean 1 4 5 0 7 0 8 1 6 9 3 8 9 11/10/2045",
        # 14 and 16 digits (flawed eds-pseudo values)
        "AID MERGHAD, ZINEDINE  1 2 5 2 8 8 6 3 4 2 2 0 9 3  0 7 0 8 1 9 8 3",
        "LECOMTE Fernand 2 0 8 5 5 0 6 8 4 3 6 1 8 2 5 4 0 5 0 8 2 0 0 2",
    ],
)
def test_no_nir_without_cue_key_or_agreeing_birth_date(text: str) -> None:
    assert found(text, "NIR") == []


@pytest.mark.parametrize(
    "text",
    [
        "Père: JULES PHILIPPE 2 0 5 1 1 6 8 5 7 3 6 1 0",
        "Mr. Oursel 1 030458906358",
        "FERLAY ESTELLE 2720949 844 236",
        "ref 2 0 5 1 1 6 8 5 7 3 6 1 0 3 4",
    ],
)
def test_digits_of_a_long_run_are_never_carved_into_a_phone(text: str) -> None:
    assert found(text, "PHONE") == []


def test_body_shape() -> None:
    assert nir_body_shaped("1850708169389")
    assert nir_body_shaped("285072A169389")  # Corsica
    assert nir_body_shaped("1853097101389")  # pseudo month 30
    assert nir_body_shaped("7850797123389")  # overseas: 971, commune 23
    assert not nir_body_shaped("1850797100389")  # overseas commune 00
    assert not nir_body_shaped("4850708169389")  # sex digit
    assert not nir_body_shaped("1850008169389")  # month 00
    assert not nir_body_shaped("1851908169389")  # month 19
    assert not nir_body_shaped("185070816938")  # 12 characters


def test_a_long_line_of_spaced_digits_is_read_once() -> None:
    # 200 KB of spaced digits: one run, no layout of 13, 21 or 29 digits, nothing reported;
    # the NIR after it is still found (a catastrophic pattern would not come back).
    digits = "".join(str(i * 7 % 10) for i in range(100_000))
    run = spaced(digits)
    assert len(run) > 199_000
    text = f"{run}\nR. HAMMOUCH\nNée le 24/03/87, 1 8 7 0 4 3 3 6 2 3 8 2 5, 34223\n"
    nirs = [f for f in found(text, "NIR") if "keyless" in f.detector]
    assert [(f.value, f.location) for f in nirs] == [("1870433623825", "line 3")]
    boxes = "  ".join(["1 2 3 4 5 6 7 8 9 0 1 2"] * 8_000)  # runs one digit too short
    assert [f for f in found(boxes, "NIR") if "keyless" in f.detector] == []


@pytest.mark.parametrize(
    "number",
    ["1 8 5 0 6 0 6 1 2 3 4 5 6", "1 85 06 06 123 456", "185 06 06 12 34 56", "185 0606123456",
     "1850606123456"],
)
def test_a_keyless_nir_holding_a_phone_is_one_nir(number: str) -> None:
    # "06 06 12 34 56" inside the NIR: once the NIR is read, no phone is carved out of it
    for text in (f"N° SS : {number}", f"Dupont Jean, né le 12/03/1985, {number}"):
        assert [f.value for f in found(text, "NIR")] == ["1850606123456"]
        assert found(text, "PHONE") == []


@pytest.mark.parametrize("number", ["1 8 5 0 6 0 6 1 2 3 4 5 6", "1 85 06 06 123 456"])
def test_boxes_without_evidence_give_no_phone_either(number: str) -> None:
    assert found(f"Dupont Jean {number}", "PHONE") == []
