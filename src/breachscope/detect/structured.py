"""Records from structured messages: a :class:`RecordUnit` says what each value is (the
extractor read it from ``PID-5`` or ``Patient.birthDate``), so detection only validates and
normalizes each value with the same validators as table columns, and makes one record."""

from __future__ import annotations

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


def _date(raw: str) -> str | None:
    return parse_date(raw, allow_compact=True)


def _as_found(raw: str) -> str | None:
    value = " ".join(raw.split())
    return value or None


_NORMALIZERS: dict[str, tuple[Callable[[str], str | None], str]] = {
    "NIR": (normalize_nir, "structure+nir_key"),
    "IBAN": (normalize_iban, "structure+iban_mod97"),
    "PHONE": (normalize_phone, "structure+phonenumbers"),
    "EMAIL": (normalize_email, "structure+email"),
    "BIRTH_DATE": (_date, "structure+date"),
    "VISIT_DATE": (_date, "structure+date"),
    "POSTAL_CODE": (lambda raw: normalize_postal_code(raw, pad=True), "structure+postal_code"),
    "SEX": (normalize_sex, "structure+sex"),
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
        findings.append(Finding(field.entity, value, prefix + field.location, CONFIDENCE,
                                detector))
        values.append((field.entity, [value]))
    record = build_record(unit.name or "record", values, unit.role_hint)
    return findings, [record] if record else []
