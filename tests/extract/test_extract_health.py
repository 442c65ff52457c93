"""Health messaging: HL7 v2, HPRIM Santé, FHIR, CDA → record units, text units, files."""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path

import pytest
from samples.health import (
    CDA_DOCUMENT,
    FHIR_BUNDLE,
    NIR,
    make_cda,
    make_fhir,
    make_hl7,
    make_hprim,
)

from breachscope.detect.dispatch import StreamingDetector
from breachscope.extract.cda import partition_cda
from breachscope.extract.dispatch import partition
from breachscope.extract.fhir import partition_fhir
from breachscope.extract.hl7 import partition_hl7
from breachscope.extract.hprim import partition_hprim
from breachscope.extract.units import EmbeddedFile, RecordUnit, TextUnit
from breachscope.ingest.sniff import sniff_type

MAKERS = {"hl7": make_hl7, "hprim": make_hprim, "fhir": make_fhir, "cda": make_cda}
SUFFIX = {"hl7": ".hl7", "hprim": ".hpr", "fhir": ".json", "cda": ".xml"}


def detect(units):
    findings, records = [], []
    detector = StreamingDetector()
    for unit in units:
        if isinstance(unit, EmbeddedFile):
            continue
        result = detector.detect(unit)
        findings.extend(result.findings)
        records.extend(result.records)
    return {(f.entity, f.value, f.location) for f in findings}, records


def scan(path: Path, file_type: str):
    return detect(partition(path, file_type))


# --------------------------------------------------------------------------- samples

@pytest.mark.parametrize("file_type", sorted(MAKERS))
def test_samples_sniff_and_yield_their_findings(tmp_path, file_type):
    path = tmp_path / f"sample{SUFFIX[file_type]}"
    expected = MAKERS[file_type](path)
    assert sniff_type(path) == file_type
    found, records = scan(path, file_type)
    assert set(expected) <= {(entity, value) for entity, value, _ in found}
    patients = [r for r in records if r.role_hint == "PATIENT"]
    assert len(patients) == 1
    assert patients[0].last_name == "DURAND" and patients[0].birth_date == "1954-03-12"


# --------------------------------------------------------------------------- HL7 v2

def test_hl7_fields_and_locations(tmp_path):
    path = tmp_path / "adt.hl7"
    make_hl7(path)
    found, records = scan(path, "hl7")
    assert ("NIR", NIR, "message 1, segment PID-3") in found
    assert ("PATIENT_ID", "123456", "message 1, segment PID-3") in found
    assert ("LAST_NAME", "MARTIN", "message 1, segment PID-5") in found
    assert ("CARE_UNIT", "Psychiatrie adulte", "message 1, segment PV1-3") in found
    assert ("ICD10_CODE", "F32.1", "message 1, segment DG1-3") in found
    assert ("VISIT_DATE", "2024-03-01", "message 1, segment PV1-44") in found
    assert ("PHONE", "+33698765432", "message 1, line 7") in found  # OBX-5 text
    assert ("PHONE", "+33781223344", "message 1, line 8") in found  # NTE-3 text
    # The birth place (BDL, an INSEE code) is not an address.
    assert not any(v == "69123" for _, v, _ in found)
    patient = next(r for r in records if r.role_hint == "PATIENT")
    assert (patient.last_name, patient.first_name) == ("DURAND", "Marie Louise")  # birth name
    assert (patient.nir, patient.patient_id, patient.care_unit) == (
        NIR, "123456", "Psychiatrie adulte")
    kin = next(r for r in records if r.role_hint == "UNKNOWN")
    assert (kin.last_name, kin.first_name, kin.phones) == ("MARTIN", "Paul", ["+33478123456"])
    assert ("LAST_NAME", "MARTIN", "message 1, segment NK1-2") in found


def _pid(number: int, nir: str = "", name: str = "DUPONT^Jean") -> str:
    ins = f"~{nir}^^^&1.2.250.1.213.1.4.8&ISO^NH" if nir else ""
    return f"PID|1||{number}^^^HOP^PI{ins}||{name}||19800101|M"


def test_hl7_batches_line_feeds_and_many_messages(tmp_path):
    messages = [f"MSH|^~\\&|A|B|C|D|2024||ADT^A28|{i}|P|2.5\n{_pid(i)}\nPV1|1|O|URG^^^^^^^^Urgences"
                for i in range(1, 4)]
    text = "FHS|^~\\&|A\r\nBHS|^~\\&|A\r\n" + "\r\n".join(messages) + "\r\nBTS|3\r\nFTS|1\r\n"
    path = tmp_path / "batch.hl7"
    path.write_text(text, encoding="utf-8")
    assert sniff_type(path) == "hl7"
    found, records = scan(path, "hl7")
    assert {r.location for r in records} == {"message 1", "message 2", "message 3"}
    assert ("PATIENT_ID", "3", "message 3, segment PID-3") in found
    assert ("CARE_UNIT", "Urgences", "message 2, segment PV1-3") in found


def test_hl7_encoding_characters_from_msh2(tmp_path):
    # Unusual encoding characters: component '#', repetition '!'.
    text = ("MSH|#!\\&|A|B\r"
            f"PID|1||77#####PI!{NIR}###&1.2.250.1.213.1.4.8&ISO#NH||DUPONT#Jean\r")
    path = tmp_path / "odd.hl7"
    path.write_text(text, encoding="utf-8")
    found, _ = scan(path, "hl7")
    assert ("NIR", NIR, "message 1, segment PID-3") in found
    assert ("PATIENT_ID", "77", "message 1, segment PID-3") in found
    assert ("FIRST_NAME", "Jean", "message 1, segment PID-5") in found


@pytest.mark.parametrize("text", [
    "MSH||A|B\rPID|1||42^^^HOP^PI||DUPONT^Jean||19800101\r",  # MSH-2 missing
    "MSH|^~\\&|A|B\rPID|1||42^^^HOP^PI||DUPONT^Jean||198001",  # truncated
    "\x0bMSH|^~\\&|A|B\rPID|1||42^^^HOP^PI||DUPONT^Jean||19800101\r\x1c\r",  # MLLP framing
])
def test_hl7_damaged_messages_still_give_the_patient(tmp_path, text):
    path = tmp_path / "m.hl7"
    path.write_text(text, encoding="utf-8")
    found, records = detect(partition_hl7(path))
    assert ("LAST_NAME", "DUPONT", "message 1, segment PID-5") in found
    assert records and records[0].first_name == "Jean"


def test_hl7_garbage_never_crashes(tmp_path):
    text = ("junk before\nMSH\nMSH|\nMSH|^~\\&|A\n%%%|x\nPID|||^^^^^^^~~~&&&\\X\\\\\n"
            "un compte rendu sur deux lignes, tel 06 98 76 54 32\nZZZ|1|2\nOBX|1|ED|x||"
            "^application^PDF^Base64^!!!notb64\nDG1|1||\nPV1\nNK1|1\n")
    path = tmp_path / "g.hl7"
    path.write_text(text, encoding="utf-8")
    found, _ = detect(partition_hl7(path))
    assert ("PHONE", "+33698765432") in {(e, v) for e, v, _ in found}
    path.write_bytes(b"MSH|^~\\&|" + bytes(range(256)) * 40)
    list(partition_hl7(path))


def test_hl7_encapsulated_pdf_is_an_embedded_file(tmp_path):
    data = base64.b64encode(b"%PDF-1.4 rapport").decode()
    path = tmp_path / "oru.hl7"
    path.write_text(f"MSH|^~\\&|A|B\r{_pid(1)}\rOBX|1|ED|PDF^Rapport||^application^PDF^Base64^"
                    f"{data}||||||F\r", encoding="utf-8")
    [embedded] = [u for u in partition_hl7(path) if isinstance(u, EmbeddedFile)]
    assert embedded.name == "message 1 OBX 1.pdf"
    assert b"".join(embedded.chunks()) == b"%PDF-1.4 rapport"


def test_hl7_two_pids_and_escapes(tmp_path):
    path = tmp_path / "a17.hl7"
    escaped = "D\\E\\UPONT^Jean"
    path.write_text("MSH|^~\\&|A|B\r" + _pid(1, name=escaped) + "\r"
                    + _pid(2, name="MARTIN^Luc") + "\r", encoding="utf-8")
    found, records = detect(partition_hl7(path))
    assert ("LAST_NAME", "MARTIN", "message 1, segment PID[2]-5") in found
    assert ("LAST_NAME", "D\\UPONT", "message 1, segment PID-5") in found
    assert len(records) == 2


# --------------------------------------------------------------------------- HPRIM

def test_hprim_separators_swapped_and_locations(tmp_path):
    path = tmp_path / "res.hpr"
    make_hprim(path)
    found, [record] = scan(path, "hprim")
    assert ("NIR", NIR, "line 2, field P-5") in found
    assert ("LAST_NAME", "MARTIN", "line 2, field P-6") in found
    assert ("LAST_NAME", "DURAND", "line 2, field P-7") in found  # the birth name
    assert ("FIRST_NAME", "Marie", "line 2, field P-6") in found
    assert ("PHONE", "+33478123456", "line 2, field P-13") in found  # second repetition
    assert ("PROCEDURE", "Numération formule sanguine", "line 3, field OBR-5") in found
    assert ("PHONE", "+33698765432", "line 5") in found
    assert (record.last_name, record.city, record.postal_code) == ("DURAND", "Lyon", "69003")


def test_hprim_continuation_lines_and_damage(tmp_path):
    path = tmp_path / "c.hpr"
    path.write_text("H|~^\\&|X\nP|1|42|||DUPONT~Je\nA|an||19800101|M\nL|1\n",
                    encoding="utf-8")
    _, [record] = detect(partition_hprim(path))
    assert (record.last_name, record.first_name, record.birth_date) == (
        "DUPONT", "Jean", "1980-01-01")
    path.write_text("H|\nP\nP|\n|||\n\x00\x01garbage\nOBX|1|TX\nC|1\n", encoding="utf-8")
    list(partition_hprim(path))


# --------------------------------------------------------------------------- FHIR

def test_fhir_bundle_attaches_encounter_and_condition(tmp_path):
    path = tmp_path / "bundle.json"
    make_fhir(path)
    found, [record] = scan(path, "fhir")
    assert ("NIR", NIR, "entry 1 (Patient), identifier[0].value") in found
    assert ("LAST_NAME", "MARTIN", "entry 1 (Patient), name[0].family") in found
    assert ("CARE_UNIT", "Psychiatrie adulte",
            "entry 2 (Encounter), serviceProvider.display") in found
    assert ("ICD10_CODE", "F32.1", "entry 3 (Condition), code.coding[0].code") in found
    assert ("PHONE", "+33698765432", "entry 4 (Observation), line 2") in found
    assert record.last_name == "DURAND"  # the official (birth) name first
    assert (record.care_unit, record.visit_date) == ("Psychiatrie adulte", "2024-03-01")
    assert {"CARE_UNIT", "ICD10_CODE"} <= record.entities


def test_fhir_ndjson_streamed_line_by_line(tmp_path):
    patient = FHIR_BUNDLE["entry"][0]["resource"]
    encounter = FHIR_BUNDLE["entry"][1]["resource"]
    path = tmp_path / "Patient.ndjson"
    path.write_text("\n".join([json.dumps(patient), "{broken", json.dumps(encounter)]) + "\n",
                    encoding="utf-8")
    assert sniff_type(path) == "fhir"
    found, records = scan(path, "fhir")
    assert ("NIR", NIR, "line 1 (Patient), identifier[0].value") in found
    # The Encounter's patient is not in the file: its fields still give findings.
    assert ("CARE_UNIT", "Psychiatrie adulte", "line 3 (Encounter), serviceProvider.display") \
        in found
    assert len(records) == 1


def test_fhir_contact_attachment_and_damage(tmp_path):
    patient = dict(FHIR_BUNDLE["entry"][0]["resource"])
    patient["contact"] = [{"name": {"family": "MARTIN", "given": ["Paul"]},
                           "telecom": [{"system": "phone", "value": "0478123456"}]}]
    doc = {"resourceType": "DocumentReference",
           "content": [{"attachment": {"contentType": "application/pdf",
                                       "data": base64.b64encode(b"%PDF-1.4").decode()}}]}
    bundle = {"resourceType": "Bundle", "entry": [{"resource": patient}, {"resource": doc}]}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    units = list(partition_fhir(path))
    [embedded] = [u for u in units if isinstance(u, EmbeddedFile)]
    assert embedded.name == "entry 2 (DocumentReference) attachment.pdf"
    found, records = detect(units)
    assert ("PHONE", "+33478123456", "entry 1 (Patient), contact[0].telecom[0].value") in found
    assert sorted(r.role_hint for r in records) == ["PATIENT", "UNKNOWN"]
    path.write_text(json.dumps(bundle)[:300], encoding="utf-8")  # truncated: read as text
    assert all(isinstance(u, TextUnit) for u in partition_fhir(path))
    found, _ = detect(partition_fhir(path))
    assert ("NIR", NIR) in {(e, v) for e, v, _ in found}


# --------------------------------------------------------------------------- CDA

def test_cda_record_target_encounter_and_sections(tmp_path):
    path = tmp_path / "cda.xml"
    make_cda(path)
    found, [record] = scan(path, "cda")
    assert ("NIR", NIR, "recordTarget, patientRole/id[1]") in found
    assert ("CARE_UNIT", "Psychiatrie adulte", "componentOf/encompassingEncounter/location/"
            "healthCareFacility/serviceProviderOrganization/name") in found
    assert ("ICD10_CODE", "F32.1", "section 1, entry") in found
    assert ("PHONE", "+33698765432", "section 2, line 1") in found
    assert (record.last_name, record.nir, record.care_unit) == (
        "DURAND", NIR, "Psychiatrie adulte")


def test_cda_truncated_keeps_the_patient_and_scans_the_rest(tmp_path):
    path = tmp_path / "cut.xml"
    text = CDA_DOCUMENT.replace("{nir}", NIR)
    path.write_text(text[: text.index("Entourage") + 200], encoding="utf-8")
    units = list(partition_cda(path))
    assert any(isinstance(u, RecordUnit) for u in units)
    _, records = detect(units)
    assert records[0].nir == NIR


def test_cda_entities_are_refused_and_scanned_as_text(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]>'
                    '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&a; ' + NIR
                    + "</title></ClinicalDocument>", encoding="utf-8")
    units = list(partition_cda(path))
    assert all(isinstance(u, TextUnit) for u in units)
    found, _ = detect(units)
    assert ("NIR", NIR) in {(e, v) for e, v, _ in found}


def test_random_bytes_under_each_magic_do_not_crash(tmp_path):
    import random

    rng = random.Random(4)
    heads = {"hl7": b"MSH|^~\\&|", "hprim": b"H|~^\\&|", "fhir": b'{"resourceType":"Bundle"',
             "cda": b'<ClinicalDocument xmlns="urn:hl7-org:v3">'}
    for file_type, head in heads.items():
        path = tmp_path / f"r.{file_type}"
        path.write_bytes(head + bytes(rng.randrange(256) for _ in range(5000)))
        try:
            list(partition(path, file_type))
        except Exception as exc:  # only a reasoned failure is allowed
            from breachscope.extract.units import ExtractionError
            assert isinstance(exc, ExtractionError)


# --------------------------------------------------------------------------- end to end

@pytest.mark.parametrize(("file_type", "location"), [
    ("hl7", "message 1, segment PID-3"),
    ("hprim", "line 2, field P-5"),
    ("fhir", "entry 1 (Patient), identifier[0].value"),
    ("cda", "recordTarget, patientRole/id[1]"),
])
@pytest.mark.slow
def test_end_to_end_cli(tmp_path, cli, file_type, location):
    dump = tmp_path / "dump"
    dump.mkdir()
    name = f"patient{SUFFIX[file_type]}"
    MAKERS[file_type](dump / name)
    case = tmp_path / "case"
    result = cli("scan", dump, "--case", case)
    assert result.exit_code == 0, result.output
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert (name, "NIR", NIR, location) in {
        (r["file"], r["entity"], r["value"], r["location"]) for r in rows}
    people = tmp_path / "people.csv"
    assert cli("export", "--case", case, "--what", "people", "--format", "csv",
               "-o", people).exit_code == 0
    with people.open(encoding="utf-8", newline="") as fh:
        persons = [p for p in csv.DictReader(fh) if p["nir"] == NIR]
    assert len(persons) == 1
    assert "HEALTH" in persons[0]["categories"].split(";")
    assert persons[0]["role"] == "PATIENT"
