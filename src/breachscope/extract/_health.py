"""What the health-messaging extractors (HL7 v2, HPRIM, FHIR, CDA) share: which patient
identifier is the INS (a NIR or NIA, entity ``NIR``) and which is a local one (``PATIENT_ID``),
and how an ICD-10 coding system is named."""

from __future__ import annotations

import re

from breachscope.extract.units import FieldValue

#: INS OIDs (ANS): INS-NIR, INS-NIA, and the test and demo ranges. The value is a NIR / NIA.
INS_OIDS = frozenset({
    "1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10",
    "1.2.250.1.213.1.4.11",
})
#: Identifier type codes that mean "national health identifier" (HL7 table 0203 ``NH``, the
#: French ``INS`` / ``INS-NIR`` / ``INS-NIA`` usages). ``INS-C`` (a computed hash) is not a NIR.
INS_TYPES = frozenset({"NH", "INS", "INS-NIR", "INS-NIA", "NIR", "NNI"})
#: Identifier types of a stay / visit / account (the NDA) rather than of the patient.
STAY_TYPES = frozenset({"AN", "VN", "NDA"})

_OID = re.compile(r"(?:urn:oid:)?([0-2](?:\.\d+)+)")
_ICD10_SYSTEM = re.compile(r"icd-?10|cim-?10|\bi10\b|2\.16\.840\.1\.113883\.6\.(?:3|90)\b",
                           re.IGNORECASE)


def oid_of(text: str) -> str | None:
    """The OID in ``urn:oid:1.2.3`` or ``1.2.3``, else None."""
    match = _OID.fullmatch(text.strip())
    return match.group(1) if match else None


def identifier_entity(*, oid: str = "", type_code: str = "", system: str = "") -> str:
    """``NIR`` for an INS, ``STAY_ID`` for a stay number, else ``PATIENT_ID``."""
    if (oid_of(oid) or "") in INS_OIDS or (oid_of(system) or "") in INS_OIDS:
        return "NIR"
    code = type_code.strip().upper()
    if code in INS_TYPES:
        return "NIR"
    if code in STAY_TYPES:
        return "STAY_ID"
    return "PATIENT_ID"


_NIR = re.compile(r"([1-478])(\d{2})(\d{2})(\d[\dAB]\d{3})(\d{3})(\d{2})")


def looks_like_nir(value: str) -> bool:
    """A 15-character NIR whose key is right (for identifiers of an unknown kind: a third
    patient identifier that is in fact the NIR). Detection validates it again."""
    text = "".join(value.split()).upper()
    if not _NIR.fullmatch(text):
        return False
    body = text[:13].replace("2A", "19").replace("2B", "18")
    return body.isdigit() and 97 - int(body) % 97 == int(text[13:])


def is_icd10_system(system: str) -> bool:
    """Whether a coding system name / URI / OID is ICD-10 (or the French CIM-10)."""
    return bool(_ICD10_SYSTEM.search(system))


def add(fields: list[FieldValue], entity: str, value: str | None, location: str) -> None:
    """Append a field when the value is not blank."""
    if value is not None and value.strip():
        fields.append(FieldValue(entity, value.strip(), location))
