"""Template placeholders: blanks are not data and give no people."""

from __future__ import annotations

import pytest

from breachscope.detect.names import find_names
from breachscope.detect.templates import has_placeholder, is_placeholder, placeholder_spans


@pytest.mark.parametrize(
    "value",
    ["«NOM»", "« Prénom »", "<<prenom>>", "{{nom}}", "{nom_patient}", "${NOM}", "[NOM PATIENT]",
     "[[nom]]", "%NOM%", "$NOM", "@NOM@", "#NOM#", "_ __ __", "________", "..........",
     "XXXXX", "xx/xx/xxxx", "X. XXXX", "***", "NOM Prénom", "Prénom NOM", "Patient", "NOM"],
)
def test_blanks(value):
    assert is_placeholder(value)
    assert has_placeholder(value) or value.replace("é", "e").isalpha() or " " in value


@pytest.mark.parametrize("value", ["DUPONT", "Marie", "DUPONT Marie", "Jean-Pierre Le Gall",
                                   "Xavier", "Maxime XU"])
def test_names_are_not_blanks(value):
    assert not is_placeholder(value)


def test_spans_in_a_letter():
    text = "Madame «NOM» «PRENOM», née le «DDN», Nom : ....... Tel : XXXXXXXXXX"
    spans = placeholder_spans(text)
    assert [text[a:b] for a, b in spans] == ["«NOM»", "«PRENOM»", "«DDN»", ".......",
                                              "XXXXXXXXXX"]


def test_french_quotations_are_not_blanks():
    text = "Elle dit « je veux rentrer chez moi, mon fils Paul Girard viendra »."
    assert placeholder_spans(text) == []


def test_template_documents_give_no_names():
    letter = """«CIVILITE» «NOM» «PRENOM»
«ADRESSE»
Objet : convocation de Mme <<NOM>> <<PRENOM>>
Madame, Monsieur,
Patient : [NOM] [PRENOM]   né(e) le : __/__/____
Nom : ____________  Prénom : ____________
M. XXXXX Xxxxx, Mme {{nom}} {{prenom}}
Dr %MEDECIN%"""
    assert find_names(letter) == []


def test_a_real_signature_in_a_template_still_counts():
    letter = "Madame «NOM»,\nVotre rendez-vous est fixé.\nDr Julien FAURE"
    assert [m.value for m in find_names(letter)] == ["Julien FAURE"]
