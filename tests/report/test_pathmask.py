"""mask_path: a file name or location holding a known identifier of the case is masked in the
report, whatever the form of the value; a path without one stays readable."""

from __future__ import annotations

import pytest

from breachscope.report.pathmask import KnownValues, mask_path, mask_text

KNOWN = ["DUPONT", "Marie", "1954-03-12", "254037512300427", "+33612345678",
         "marie.dupont@orange.fr", "Hélène"]


def test_the_issue_example_is_masked():
    masked = mask_path("liste_VIH_DUPONT_Marie_1954-03-12.csv", KNOWN)
    assert masked == "liste_VIH_D*****_M****_1********2.csv"


@pytest.mark.parametrize(("path", "fragment"), [
    ("patients/dupont/compte_rendu.pdf", "dupont"),  # any case
    ("archives/Dupont-Marie.zip!/bilan.docx", "Dupont"),  # inside an archive path
    ("archives/Dupont-Marie.zip!/bilan.docx", "Marie"),
    ("scans/12-03-1954.pdf", "12-03-1954"), ("scans/12.03.1954.pdf", "12.03.1954"),
    ("scans/19540312_bilan.pdf", "19540312"), ("scans/03121954.pdf", "03121954"),
    ("nir/254037512300427.txt", "2540375123004"),
    ("nir/2 54 03 75 123 004 27.txt", "75 123 004"), ("nir/2540375123004.txt", "75123004"),
    ("tel/06 12 34 56 78.vcf", "34 56"), ("tel/0612345678.vcf", "12345678"),
    ("tel/+33612345678.vcf", "12345678"),
    ("mails/marie.dupont@orange.fr.eml", "marie.dupont"),
    ("courriers/HELENE_bilan.odt", "HELENE"), ("courriers/hélène_bilan.odt", "hélène"),
])
def test_every_form_of_a_known_value_is_masked(path, fragment):
    assert fragment in path
    masked = mask_path(path, KNOWN)
    assert fragment not in masked
    assert masked.count("/") == path.count("/") and masked.count("!") == path.count("!")


@pytest.mark.parametrize("path", [
    "exports/patients_2023.csv", "courriers/2023/CRH_2023152161.txt",
    "archives/sauvegarde_2022.zip!/exports/admissions_2023.csv",
    "rh/annuaire_personnel.csv", "mariette/notes.txt",  # "Marie" only as a whole word
])
def test_a_path_without_identifier_stays_readable(path):
    assert mask_path(path, KNOWN) == path


def test_separators_are_kept_and_short_names_ignored():
    known = KnownValues()
    known.add_name("Li")  # too short to mask alone: it would hit ordinary words
    known.add_name("Nguyen")
    assert mask_path("a/li/NGUYEN!/b", known) == "a/li/N*****!/b"


def test_reasons_are_masked_too():
    assert "DUPONT" not in mask_text("cannot read sheet DUPONT", KnownValues(names={"dupont"}))
    assert mask_text("anything", KnownValues()) == "anything"
