"""Issue 11 sniffing: prose with commas is not a table unless its rows have a table's
regularity; a CDA that presents itself goes to the CDA extractor whatever its prolog or
wrapper."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from samples.health import CDA_DOCUMENT, NIR

from breachscope.detect.dispatch import StreamingDetector
from breachscope.extract.delimited import looks_like_table
from breachscope.extract.dispatch import partition
from breachscope.extract.units import EmbeddedFile, TableUnit
from breachscope.ingest.sniff import sniff_type

SURNAMES = ["DUPONT", "MARTIN", "BERNARD", "PETIT", "DURAND", "LEROY", "MOREAU", "SIMON",
            "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT",
            "FOURNIER", "MOREL", "GIRARD", "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER",
            "CHEVALIER", "FAURE", "ROUSSEAU"]
WOMEN = ["Marie", "Jeanne", "Monique", "Françoise", "Simone", "Colette", "Odette", "Suzanne"]
MEN = ["Jean", "Pierre", "Michel", "André", "René", "Marcel", "Robert", "Louis"]
FACTS = ["chute la nuit", "pas de douleur", "radio demandée", "a bien dormi", "RAS",
         "confusion en début de nuit", "pansement refait", "plaie propre",
         "glycémie élevée à 22h", "insuline selon protocole", "refuse le traitement",
         "famille prévenue", "fièvre à 38.9", "paracétamol 1 g", "laxatif donné"]


def handover_note(patients: int = 27) -> str:
    """A nurses' handover note: one line per patient, the same number of commas on each."""
    rng = random.Random(3)
    lines = ["Transmissions de nuit du 12/03, unité de gériatrie"]
    for i in range(patients):
        woman = rng.random() < 0.6
        civility, first = ("Mme", rng.choice(WOMEN)) if woman else ("M.", rng.choice(MEN))
        lines.append(f"Chambre {i + 1}, {civility} {SURNAMES[i]} {first}, "
                     f"{rng.randint(65, 98)} ans, {rng.choice(FACTS)}, {rng.choice(FACTS)}")
    return "\n".join(lines) + "\n"


def _records(path: Path, file_type: str):
    detector = StreamingDetector()
    records = []
    for unit in partition(path, file_type):
        if not isinstance(unit, EmbeddedFile):
            records.extend(detector.detect(unit).records)
    return records


@pytest.mark.parametrize("name", ["transmissions.txt", "transmissions", "transmissions.csv"])
def test_handover_note_is_text_and_its_patients_are_found(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(handover_note(), encoding="utf-8")
    assert sniff_type(path) == "text"
    records = _records(path, "text")
    assert {r.last_name for r in records} >= set(SURNAMES)
    assert len({r.last_name for r in records}) == 27


def test_handover_note_with_semicolons_is_text(tmp_path: Path) -> None:
    path = tmp_path / "relève.txt"
    path.write_text(handover_note().replace(", ", " ; "), encoding="utf-8")
    assert sniff_type(path) == "text"


MESSY = (
    'Export GAM du 12/02/2024\n'
    'NOM,PRENOM,ADRESSE,DDN,TEL\n'
    'DUPONT,Marie,"12, rue des Lilas, 69003 Lyon",12/03/1954,0612345678\n'
    'MARTIN,Jean,"3 place Bellecour, Lyon",01/02/1960,0478123456\n'
    'LEROY,Anne,"8, avenue Foch",05/06/1971,\n'
    'PETIT,Luc,"rue X",07/08/1980,0601020304,extra\n'
    'SIMON,Éric\n'
    'MOREAU,Lise,"1 impasse des Roses, Villeurbanne",09/10/1990,0698765432\n'
    'ROUX,Paul,"5, quai Perrache",11/12/1945,0611223344\n'
)


MORE = "".join(f'NOM{i},Prénom,"{i}, rue de la Gare",0{i + 1}/01/1950,06000000{i:02d}\n'
               for i in range(12))


@pytest.mark.parametrize(("name", "text"), [
    ("export.csv", MESSY * 3),  # ragged, repeated titles: the extension keeps it a table
    ("export.txt", MESSY + MORE), ("export", MESSY + MORE)])
def test_messy_real_csv_stays_a_table(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert sniff_type(path) == "csv"
    tables = [u for u in partition(path, "csv") if isinstance(u, TableUnit)]
    assert tables and "NOM" in tables[0].header


@pytest.mark.parametrize("text", [
    "DUPONT;Marie;0612345678\nMARTIN;Jean;0478123456\nLEROY;Anne;0601020304\n",  # typed
    "DUPONT;Marie;Lyon\nMARTIN;Jean;Paris\nLEROY;Anne;Nantes\nPETIT;Luc;Brest\n",  # short
    "Nom, Prénom, Adresse\nDUPONT, Marie, 12 rue des Lilas\nMARTIN, Jean, 3 place Bellecour\n",
])
def test_headerless_or_spaced_tables_stay_tables(tmp_path: Path, text: str) -> None:
    path = tmp_path / "liste.txt"
    path.write_text(text, encoding="utf-8")
    assert sniff_type(path) == "csv"


def test_looks_like_table() -> None:
    assert looks_like_table("a;b;c\n1;2;3\n4;5;6\n", ";")
    assert not looks_like_table(handover_note(), ",")
    assert not looks_like_table("une seule colonne\nencore\n", ";")


# --------------------------------------------------------------------------- CDA

BODY = CDA_DOCUMENT.replace("{nir}", NIR).split("?>", 1)[1]  # without the XML declaration


@pytest.mark.parametrize("prolog", [
    '<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/xsl" '
    'href="../FeuilleDeStyle/CDA-FO.xsl"?>\n<?oxygen SCHSchema="IHE.sch"?>\n',
    '<?xml-stylesheet type="text/xsl" href="cda.xsl"?>\n',
    '<!-- compte rendu exporté le 12/03/2024 -->\n<!-- ' + "x" * 3000 + ' -->\n',
    "\n\n  ",
])
def test_cda_with_stylesheet_comments_or_bare_prolog(tmp_path: Path, prolog: str) -> None:
    path = tmp_path / "cr.xml"
    path.write_text(prolog + BODY, encoding="utf-8")
    assert sniff_type(path) == "cda"
    patients = [r for r in _records(path, "cda") if r.role_hint == "PATIENT"]
    assert [p.last_name for p in patients] == ["DURAND"]


def test_cda_wrapped_in_an_xsl_stylesheet(tmp_path: Path) -> None:
    # The HL7 v3 namespace declared on the wrapper, the document inside a template.
    inner = BODY.replace('<ClinicalDocument xmlns="urn:hl7-org:v3"',
                         "<hl7:ClinicalDocument").replace("</ClinicalDocument>",
                                                          "</hl7:ClinicalDocument>")
    inner = inner.replace("<", "<hl7:").replace("<hl7:/", "</hl7:").replace(
        "<hl7:hl7:", "<hl7:").replace("</hl7:hl7:", "</hl7:")
    text = ('<?xml version="1.0"?>\n<xsl:stylesheet version="1.0" '
            'xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:hl7="urn:hl7-org:v3" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            f'<xsl:template match="/">{inner}</xsl:template>\n</xsl:stylesheet>\n')
    path = tmp_path / "cr.xsl"
    path.write_text(text, encoding="utf-8")
    assert sniff_type(path) == "cda"
    patients = [r for r in _records(path, "cda") if r.role_hint == "PATIENT"]
    assert [p.last_name for p in patients] == ["DURAND"]


def test_plain_xml_mentioning_clinical_document_is_not_cda(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_text('<?xml version="1.0"?>\n<!-- <ClinicalDocument xmlns="urn:hl7-org:v3"> '
                    '-->\n<export><patient nom="DUPONT"/></export>\n', encoding="utf-8")
    assert sniff_type(path) == "xml"
