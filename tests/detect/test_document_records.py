"""Records from documents: a report's patient header, a prescription's patient block."""

from __future__ import annotations

import csv

import pytest
from detect_helpers import make_nir

from breachscope.detect.dispatch import detect_units
from breachscope.extract.units import TextUnit

NIR = make_nir("1540375123456")


@pytest.fixture(autouse=True)
def _no_spacy(monkeypatch):
    monkeypatch.setenv("BREACHSCOPE_SPACY", "0")


def _records(text: str, name: str = ""):
    return detect_units([TextUnit(text, name)]).records


def test_report_header_joins_name_birth_date_nir_and_phone():
    text = f"""COMPTE RENDU D'HOSPITALISATION
Patient : LEROY Marc, né le 12/03/1954
NIR : {NIR}
Tél : 06 12 34 56 78
Médecin traitant : Dr Sylvie Caron
Monsieur LEROY a été hospitalisé pour une douleur thoracique.
Dr Julien FAURE, Praticien hospitalier"""
    (record,) = _records(text, "page 1")
    assert (record.last_name, record.first_name, record.full_name) == ("LEROY", "Marc",
                                                                       "LEROY Marc")
    assert (record.birth_date, record.nir, record.phones) == ("1954-03-12", NIR,
                                                              ["+33612345678"])
    assert record.role_hint == "PATIENT"
    assert record.location == "page 1, line 2"
    assert {"PERSON", "BIRTH_DATE", "NIR", "PHONE"} <= record.entities


def test_prescription_fields_make_one_record():
    text = """Dr Nathalie Roussel - Médecin généraliste
Nom : DURAND
Prénom : Paul
Né le : 03/07/1961
DOLIPRANE 1000 mg"""
    (record,) = _records(text)
    assert (record.last_name, record.first_name, record.birth_date) == ("DURAND", "Paul",
                                                                        "1961-07-03")
    assert record.role_hint == "PATIENT" and record.location == "line 2"


def test_letter_object_line():
    (record,) = _records("Objet : Mme DUPONT Marie (DDN 12/03/1954)\nChère consœur,")
    assert (record.last_name, record.first_name, record.birth_date, record.role_hint) == (
        "DUPONT", "Marie", "1954-03-12", "PATIENT")


def test_married_name_keeps_the_birth_name_as_last_name():
    (record,) = _records("Mme DUPONT épouse MARTIN Marie, née le 02/02/1950")
    assert (record.last_name, record.first_name) == ("DUPONT", "Marie")
    assert record.full_name == "DUPONT épouse MARTIN Marie"


def test_mentions_of_one_person_are_merged():
    text = """Patient : LEROY Marc
Né le 12/03/1954
Monsieur LEROY va mieux. M. Leroy sort demain."""
    (record,) = _records(text)
    assert record.birth_date == "1954-03-12"


def test_staff_records_only_with_identifying_data():
    assert _records("Vu par le Dr Martin ce jour.") == []
    (record,) = _records("Dr Julien FAURE\nPraticien hospitalier\nTél : 01 45 67 89 10")
    assert (record.role_hint, record.last_name, record.phones) == ("STAFF", "FAURE",
                                                                   ["+33145678910"])
    assert record.birth_date is None


def test_a_lone_surname_makes_no_record():
    assert _records("Mme Dupont va mieux.") == []


def test_templates_make_no_records():
    text = """Patient : «NOM» «PRENOM», né le «DDN»
NIR : XXXXXXXXXXXXXXX
Nom : ..........   Prénom : ..........
Madame [NOM PATIENT]"""
    assert _records(text) == []


def test_birth_date_under_the_doctor_line_stays_with_the_patient():
    text = """Patient : LEROY Marc
Médecin traitant : Dr Sylvie Caron
Date de naissance : 12/03/1954"""
    records = _records(text)
    assert [(r.last_name, r.birth_date, r.role_hint) for r in records] == [
        ("LEROY", "1954-03-12", "PATIENT")]


@pytest.mark.slow
def test_end_to_end_people_from_a_report(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "cr_leroy.txt").write_text(
        f"""COMPTE RENDU
Patient : LEROY Marc, né le 12/03/1954
NIR : {NIR}
Dr Julien FAURE
""", encoding="utf-8")
    (dump / "modele.txt").write_text(
        "Madame «NOM» «PRENOM», née le «DDN»\nPatient : [NOM PATIENT]\n", encoding="utf-8")
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "people.csv"
    assert cli("export", "--case", case, "--what", "people", "--format", "csv", "-o",
               out).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["last_name"], r["first_name"], r["birth_date"], r["role"]) for r in rows] == [
        ("LEROY", "Marc", "1954-03-12", "PATIENT")]
    findings = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv", "-o",
               findings).exit_code == 0
    names = {(r["entity"], r["value"], r["detector"])
             for r in csv.DictReader(findings.open(encoding="utf-8"))
             if r["entity"] == "PERSON"}
    assert names == {("PERSON", "LEROY Marc", "context+patient"),
                     ("PERSON", "Julien FAURE", "context+professional")}
