"""Records from structured messages: a :class:`RecordUnit` says what each value is (the
extractor read it from ``PID-5`` or ``Patient.birthDate``), so detection only validates and
normalizes each value with the same validators as table columns, and makes one record.

A field's location is prefixed with the unit's name (``message 3`` + ``segment PID-5``), except
when it starts with :data:`~breachscope.extract.units.ABSOLUTE` (``/``): the field then comes
from elsewhere in the file (an Encounter entry of a FHIR Bundle attached to its Patient) and
its location, without the ``/``, is used as is (``entry 4 (Encounter), period.start``).

Which normalizer and detector each entity's fields get is the entity registry's
``structure_values`` (:mod:`breachscope.entities`); other fields are kept as found."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from breachscope.detect.model import Finding, Record
from breachscope.detect.records import build_record
from breachscope.detect.validators import parse_date
from breachscope.entities import SPECS, resolve
from breachscope.extract.units import ABSOLUTE, RecordUnit

CONFIDENCE = 0.95  # the structure names the field; validators checked the value
__all__ = ["ABSOLUTE", "CONFIDENCE", "detect_record_unit", "normalize_icd10",
           "parse_message_date"]

_ICD10 = re.compile(r"([A-Z]\d{2})(?:\.?([0-9A-Z]{1,4}))?[+*†]?")


_HL7_TIMESTAMP = re.compile(r"(\d{8})(?:\d{2,6}(?:\.\d{1,4})?)?(?:[+-]\d{4})?")


def parse_message_date(raw: str) -> str | None:
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


@cache
def _normalizers() -> dict[str, tuple[Callable[[str], str | None], str]]:
    """Per entity with ``structure_values`` in the registry: its normalizer and detector
    (built on first use: some normalizers are this module's own)."""
    return {e.value: (resolve(s.structure_values.normalize),
                      f"structure+{s.structure_values.detector}")
            for e, s in SPECS.items() if s.structure_values is not None}


def detect_record_unit(unit: RecordUnit) -> tuple[list[Finding], list[Record]]:
    """Findings for every valid field, and the unit's record when it identifies a person."""
    prefix = f"{unit.name}, " if unit.name else ""
    findings: list[Finding] = []
    values: list[tuple[str, list[str]]] = []
    for field in unit.fields:
        normalize, detector = _normalizers().get(field.entity, (_as_found, "structure"))
        value = normalize(field.value)
        if not value:
            continue
        location = (field.location[len(ABSOLUTE):] if field.location.startswith(ABSOLUTE)
                    else prefix + field.location)
        findings.append(Finding(field.entity, value, location, CONFIDENCE, detector))
        values.append((field.entity, [value]))
    record = build_record(unit.name or "record", values, unit.role_hint)
    return findings, [record] if record else []
