"""Records from structured messages: a :class:`RecordUnit` says what each value is (the
extractor read it from ``PID-5`` or ``Patient.birthDate``), so detection only validates and
normalizes each value with the same validators as table columns, and makes one record.

A field's location is prefixed with the unit's name (``message 3`` + ``segment PID-5``), except
when it starts with :data:`ABSOLUTE` (``/``): the field then comes from elsewhere in the file
(an Encounter entry of a FHIR Bundle attached to its Patient) and its location, without the
``/``, is used as is (``entry 4 (Encounter), period.start``)."""

from __future__ import annotations

import re
from collections.abc import Callable

from breachscope.detect.model import Finding, Record
from breachscope.detect.records import build_record
from breachscope.detect.validators import (
    normalize_email,
    normalize_iban,
    normalize_nir,
    normalize_phone,
    normalize_postal_code,
    normalize_sex,
    parse_date,
)
from breachscope.extract.units import RecordUnit

CONFIDENCE = 0.95  # the structure names the field; validators checked the value
ABSOLUTE = "/"

_ICD10 = re.compile(r"([A-Z]\d{2})(?:\.?([0-9A-Z]{1,4}))?[+*†]?")


_HL7_TIMESTAMP = re.compile(r"(\d{8})(?:\d{2,6}(?:\.\d{1,4})?)?(?:[+-]\d{4})?")


def _date(raw: str) -> str | None:
    """Dates as tables have them, plus HL7 / CDA timestamps ``YYYYMMDD[hhmm[ss]][+zzzz]``."""
    text = raw.strip()
    if match := _HL7_TIMESTAMP.fullmatch(text):
        text = match.group(1)
    return parse_date(text, allow_compact=True)


def _as_found(raw: str) -> str | None:
    value = " ".join(raw.split())
    return value or None


def normalize_icd10(raw: str) -> str | None:
    """An ICD-10 (CIM-10) code, upper case with a dot after the third character when longer
    (``i251`` → ``I25.1``, ``F32.1``, ``B20``); the dagger/asterisk marks are dropped. Anything
    else (a SNOMED code, free text) gives ``None``."""
    text = "".join(raw.split()).upper()
    match = _ICD10.fullmatch(text)
    if not match:
        return None
    category, detail = match.groups()
    return f"{category}.{detail}" if detail else category


_NORMALIZERS: dict[str, tuple[Callable[[str], str | None], str]] = {
    "NIR": (normalize_nir, "structure+nir_key"),
    "IBAN": (normalize_iban, "structure+iban_mod97"),
    "PHONE": (normalize_phone, "structure+phonenumbers"),
    "EMAIL": (normalize_email, "structure+email"),
    "BIRTH_DATE": (_date, "structure+date"),
    "VISIT_DATE": (_date, "structure+date"),
    "POSTAL_CODE": (lambda raw: normalize_postal_code(raw, pad=True), "structure+postal_code"),
    "SEX": (normalize_sex, "structure+sex"),
    "ICD10_CODE": (normalize_icd10, "structure+icd10"),
}


def detect_record_unit(unit: RecordUnit) -> tuple[list[Finding], list[Record]]:
    """Findings for every valid field, and the unit's record when it identifies a person."""
    prefix = f"{unit.name}, " if unit.name else ""
    findings: list[Finding] = []
    values: list[tuple[str, list[str]]] = []
    for field in unit.fields:
        normalize, detector = _NORMALIZERS.get(field.entity, (_as_found, "structure"))
        value = normalize(field.value)
        if not value:
            continue
        location = (field.location[len(ABSOLUTE):] if field.location.startswith(ABSOLUTE)
                    else prefix + field.location)
        findings.append(Finding(field.entity, value, location, CONFIDENCE, detector))
        values.append((field.entity, [value]))
    record = build_record(unit.name or "record", values, unit.role_hint)
    return findings, [record] if record else []
