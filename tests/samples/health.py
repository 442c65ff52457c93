"""Health-messaging sample files (HL7 v2, HPRIM Santé, FHIR, CDA) for the format tests and
the all-formats archive test. Identities are made up; the NIR is a valid test number."""

from __future__ import annotations

import json
from pathlib import Path

NIR = "254037512345655"

def _segment(name: str, fields: dict[int, str]) -> str:
    """An HL7 segment with ``fields`` at their numbers, ended by ``\\r``."""
    values = [fields.get(i, "") for i in range(1, max(fields) + 1)]
    return "|".join([name, *values]) + "\r"


HL7_MESSAGES = (
    "MSH|^~\\&|GAM|CHU-EXEMPLE|DPI|CHU-EXEMPLE|20240301103000||ADT^A01^ADT_A01|MSG0001|P|2.5"
    "^FRA^2.11|||||FRA|8859/15\r"
    "EVN||20240301103000\r"
    "PID|1||123456^^^CHU-EXEMPLE&1.2.250.1.999.1.1&ISO^PI~" + NIR
    + "^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^NH||MARTIN^Marie^^^Mme^^D~DURAND^Marie"
    " Louise^^^^^L||19540312|F|||12 rue des Lilas^^Lyon^^69003^FRA^H~^^^^^^BDL^^69123||"
    "^PRN^PH^^^^^^^^^0612345678~^NET^Internet^marie.martin@example.fr|||||1234567\r"
    "NK1|1|MARTIN^Paul^^^^^D|SPO^Conjoint|12 rue des Lilas^^Lyon^^69003|0478123456\r"
    + _segment("PV1", {1: "1", 2: "I", 3: "PSYA^101^1^CHU-EXEMPLE^^^^^Psychiatrie adulte",
                       10: "PSY", 19: "V2024001", 44: "20240301103000"}) +
    "DG1|1||F32.1^Episode dépressif moyen^I10||20240301|A\r"
    "OBX|1|TX|NOTE^Observation||Patiente vue aux urgences, joignable au 06 98 76 54 32.||||||F\r"
    "NTE|1||Prevenir la fille au 07 81 22 33 44\r"
)


def make_hl7(path: Path) -> list[tuple[str, str]]:
    """One ADT^A01 message: INS + IPP, used and birth names, NK1, PV1 in psychiatry, DG1."""
    path.write_bytes(HL7_MESSAGES.encode("latin-1"))
    return [
        ("NIR", NIR), ("PATIENT_ID", "123456"), ("LAST_NAME", "DURAND"),
        ("LAST_NAME", "MARTIN"), ("FIRST_NAME", "Marie"), ("BIRTH_DATE", "1954-03-12"),
        ("SEX", "F"), ("POSTAL_CODE", "69003"), ("CITY", "Lyon"),
        ("PHONE", "+33612345678"), ("EMAIL", "marie.martin@example.fr"),
        ("CARE_UNIT", "Psychiatrie adulte"), ("STAY_ID", "V2024001"),
        ("VISIT_DATE", "2024-03-01"), ("ICD10_CODE", "F32.1"),
        ("DIAGNOSIS", "Episode dépressif moyen"), ("FIRST_NAME", "Paul"),
        ("PHONE", "+33478123456"), ("PHONE", "+33698765432"), ("PHONE", "+33781223344"),
    ]


HPRIM_LINES = [
    "H|~^\\&|RES0001.HPR|LABO-EXEMPLE|CHU-EXEMPLE||ORU|||LABO~Laboratoire central||P|H2.2"
    "|20240301",
    "P|1|123456|L98765|" + NIR + "|MARTIN~Marie~~~Mme|DURAND|19540312|F||"
    "12 rue des Lilas~~Lyon~~69003||0612345678^0478123456",
    "OBR|1|||NFS~Numération formule sanguine",
    "OBX|1|NM|HB~Hémoglobine||12.5|g/dl",
    "OBX|2|TX|COMM~Commentaire||Patiente joignable au 06 98 76 54 32|||||F",
    "C|1|L|Contacter la fille au 07 81 22 33 44|G",
    "L|1|||1",
]


def make_hprim(path: Path) -> list[tuple[str, str]]:
    """An HPRIM Santé 2.2 result file: separators ``~`` (component) and ``^`` (repetition)."""
    path.write_bytes("\r".join(HPRIM_LINES).encode("cp1252") + b"\r")
    return [
        ("NIR", NIR), ("PATIENT_ID", "123456"), ("PATIENT_ID", "L98765"), ("LAST_NAME", "MARTIN"),
        ("LAST_NAME", "DURAND"), ("FIRST_NAME", "Marie"), ("BIRTH_DATE", "1954-03-12"),
        ("SEX", "F"), ("ADDRESS", "12 rue des Lilas"), ("CITY", "Lyon"),
        ("POSTAL_CODE", "69003"), ("PHONE", "+33612345678"), ("PHONE", "+33478123456"),
        ("PHONE", "+33698765432"), ("PHONE", "+33781223344"),
        ("PROCEDURE", "Numération formule sanguine"),
    ]


FHIR_BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"fullUrl": "urn:uuid:8f2c1d3e-0001", "resource": {
            "resourceType": "Patient", "id": "pat1",
            "identifier": [
                {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": NIR,
                 "type": {"coding": [{"system": "http://interopsante.org/CodeSystem/v2-0203",
                                      "code": "INS-NIR"}]}},
                {"system": "urn:oid:1.2.250.1.999.1.1", "value": "123456",
                 "type": {"coding": [{"code": "PI"}]}},
            ],
            "name": [{"use": "usual", "family": "MARTIN", "given": ["Marie"]},
                     {"use": "official", "family": "DURAND", "given": ["Marie", "Louise"]}],
            "gender": "female", "birthDate": "1954-03-12",
            "address": [{"line": ["12 rue des Lilas"], "postalCode": "69003",
                         "city": "Lyon"}],
            "telecom": [{"system": "phone", "value": "06 12 34 56 78"},
                        {"system": "email", "value": "Marie.Martin@example.fr"}],
        }},
        {"fullUrl": "urn:uuid:8f2c1d3e-0002", "resource": {
            "resourceType": "Encounter", "status": "finished",
            "subject": {"reference": "urn:uuid:8f2c1d3e-0001"},
            "serviceProvider": {"display": "Psychiatrie adulte"},
            "period": {"start": "2024-03-01T10:30:00+01:00"},
        }},
        {"fullUrl": "urn:uuid:8f2c1d3e-0003", "resource": {
            "resourceType": "Condition",
            "subject": {"reference": "urn:uuid:8f2c1d3e-0001"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "F32.1",
                                 "display": "Episode dépressif moyen"}]},
        }},
        {"resource": {
            "resourceType": "Observation", "status": "final",
            "valueString": "Patiente joignable au 06 98 76 54 32",
        }},
    ],
}


def make_fhir(path: Path) -> list[tuple[str, str]]:
    """A FHIR R4 Bundle: Patient (INS + IPP, usual and official names), Encounter in
    psychiatry, Condition F32.1, an Observation with a phone number in its text."""
    path.write_text(json.dumps(FHIR_BUNDLE, ensure_ascii=False, indent=1), encoding="utf-8")
    return [
        ("NIR", NIR), ("PATIENT_ID", "123456"), ("LAST_NAME", "DURAND"),
        ("LAST_NAME", "MARTIN"), ("FIRST_NAME", "Marie"), ("BIRTH_DATE", "1954-03-12"),
        ("SEX", "F"), ("ADDRESS", "12 rue des Lilas"), ("POSTAL_CODE", "69003"),
        ("CITY", "Lyon"), ("PHONE", "+33612345678"), ("EMAIL", "marie.martin@example.fr"),
        ("CARE_UNIT", "Psychiatrie adulte"), ("VISIT_DATE", "2024-03-01"),
        ("ICD10_CODE", "F32.1"), ("DIAGNOSIS", "Episode dépressif moyen"),
        ("PHONE", "+33698765432"),
    ]


CDA_DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <realmCode code="FR"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <id root="1.2.250.1.999.2.1" extension="DOC-2024-0001"/>
  <code code="11490-0" codeSystem="2.16.840.1.113883.6.1" displayName="Lettre de liaison"/>
  <title>Lettre de liaison de sortie</title>
  <effectiveTime value="20240310120000+0100"/>
  <recordTarget>
    <patientRole>
      <id root="1.2.250.1.213.1.4.8" extension="{nir}"/>
      <id root="1.2.250.1.999.1.1" extension="123456"/>
      <addr use="H">
        <streetAddressLine>12 rue des Lilas</streetAddressLine>
        <postalCode>69003</postalCode>
        <city>Lyon</city>
      </addr>
      <telecom value="tel:0612345678" use="MC"/>
      <telecom value="mailto:marie.martin@example.fr"/>
      <patient>
        <name>
          <given qualifier="BR">Marie</given>
          <family qualifier="SP">MARTIN</family>
          <family qualifier="BR">DURAND</family>
        </name>
        <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
        <birthTime value="19540312"/>
      </patient>
    </patientRole>
  </recordTarget>
  <author><assignedAuthor><id root="1.2.250.1.71.4.2.1" extension="810000000000"/>
  </assignedAuthor></author>
  <componentOf>
    <encompassingEncounter>
      <id root="1.2.250.1.999.3" extension="V2024001"/>
      <effectiveTime><low value="20240301103000+0100"/><high value="20240310"/></effectiveTime>
      <location><healthCareFacility>
        <serviceProviderOrganization><name>Psychiatrie adulte</name>
        </serviceProviderOrganization>
      </healthCareFacility></location>
    </encompassingEncounter>
  </componentOf>
  <component><structuredBody>
    <component><section>
      <title>Motif d'hospitalisation</title>
      <text><paragraph>Episode dépressif.</paragraph></text>
      <entry><observation classCode="OBS" moodCode="EVN">
        <value xsi:type="CD" code="F32.1" codeSystem="2.16.840.1.113883.6.3"
               displayName="Episode dépressif moyen"/>
      </observation></entry>
    </section></component>
    <component><section>
      <title>Entourage</title>
      <text><paragraph>Personne de confiance : sa fille, joignable au
        <content>06 98 76 54 32</content>.</paragraph></text>
    </section></component>
  </structuredBody></component>
</ClinicalDocument>
"""


def make_cda(path: Path) -> list[tuple[str, str]]:
    """A CDA R2 discharge letter: recordTarget with INS + IPP, encounter in psychiatry, an
    ICD-10 coded entry, a narrative section with a phone number."""
    path.write_text(CDA_DOCUMENT.replace("{nir}", NIR), encoding="utf-8")
    return [
        ("NIR", NIR), ("PATIENT_ID", "123456"), ("LAST_NAME", "DURAND"),
        ("LAST_NAME", "MARTIN"), ("FIRST_NAME", "Marie"), ("BIRTH_DATE", "1954-03-12"),
        ("SEX", "F"), ("ADDRESS", "12 rue des Lilas"), ("POSTAL_CODE", "69003"),
        ("CITY", "Lyon"), ("PHONE", "+33612345678"), ("EMAIL", "marie.martin@example.fr"),
        ("CARE_UNIT", "Psychiatrie adulte"), ("VISIT_DATE", "2024-03-01"),
        ("VISIT_DATE", "2024-03-10"), ("STAY_ID", "V2024001"), ("ICD10_CODE", "F32.1"),
        ("DIAGNOSIS", "Episode dépressif moyen"), ("PHONE", "+33698765432"),
    ]
