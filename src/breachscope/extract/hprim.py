"""HPRIM Santé (2.2 / 2.4, the ASTM-based lab format: records H, P, OBR, OBX, C, L) → one
:class:`RecordUnit` per P record, text units for results and comments. Streamed line by line.

Hand-written: no maintained Python library reads HPRIM Santé, and the format is a line per
record cut on one-character separators. The separators are read from the ``H`` record of
each file part: ``H|~^\\&`` gives field ``|``, component ``~``, repetition ``^`` (the reverse
of HL7), escape ``\\``, subcomponent ``&``. A record longer than a line goes on in ``A|``
continuation lines, joined back to it. Lines are split on ``\\r``, ``\\n`` or ``\\r\\n``.

Fields are numbered as in the HPRIM / ASTM tables, the record type being field 1:
``P|1|IPP|...`` has P-2 = ``1``, P-3 = ``IPP``. Read from a P record, named ``line N`` (its
line in the file), fields located ``field P-6``:

- P-3, P-4, P-5 (patient identifiers: requester's, lab's, third) → ``PATIENT_ID``, or
  ``NIR`` for a 15-character value whose NIR key is right (the third one often is the NIR)
- P-6 name (last~first~...), P-7 birth (maiden) name → ``LAST_NAME`` / ``FIRST_NAME``
  (the birth name first); P-8 birth date; P-9 sex;
- P-11 address (street~street 2~city~state~postcode~country) → ``ADDRESS``, ``CITY``,
  ``POSTAL_CODE``; P-13 phone(s); and the hospital fields of the ASTM P record: P-19
  diagnosis → ``DIAGNOSIS``, P-24 admission~discharge dates → ``VISIT_DATE``, P-26 location
  and P-33 hospital service → ``CARE_UNIT``, P-28 alternative diagnosis code → ``ICD10_CODE``
  (kept only when it reads as an ICD-10 code).
- the tests ordered for that patient (``OBR-5``, label else code) → ``PROCEDURE``, located
  ``line N, field OBR-5`` (a lab result about the person is health data).

Text: OBX results that are not numbers (OBX-6, the value, when OBX-3 is not ``NM``/``SN``),
C comments (C-4), and records other than H, P, OBR, OBX, C, L (billing records, for instance),
separators turned into spaces, are text placed on their file lines (``line 57``). A file
without an H record is read with the default separators ``|~^\\&``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from breachscope.extract._health import add, looks_like_nir
from breachscope.extract.stream import decoded_chunks, segments
from breachscope.extract.text import PlacedText, split_text
from breachscope.extract.units import ABSOLUTE, FieldValue, RecordUnit, Unit

#: A record (with its continuation lines) longer than this is scanned as text only.
MAX_RECORD_CHARS = 4 * 1024 * 1024
_RECORD_ID = re.compile(r"[A-Z][A-Z0-9]{0,3}")
_SKIPPED = frozenset({"H", "L"})
_NUMERIC = frozenset({"NM", "SN"})


class _Separators:
    def __init__(self, header: str = "H|~^\\&") -> None:
        self.field = header[1] if len(header) > 1 else "|"
        chars = header[2:6] if len(header) >= 6 else "~^\\&"
        self.component, self.repetition = chars[0], chars[1]
        self.subcomponent = chars[3] if len(chars) > 3 else "&"
        self.any = re.compile("[" + re.escape(self.field + self.component + self.repetition
                                              + self.subcomponent) + "]")

    def reps(self, value: str) -> list[list[str]]:
        """Repetitions → components (first subcomponent) of one field."""
        return [[c.split(self.subcomponent, 1)[0].strip() for c in rep.split(self.component)]
                for rep in value.split(self.repetition)]


def _get(parts: list[str], number: int) -> str:
    """Field ``number`` (ASTM numbering: the record type is field 1)."""
    return parts[number - 1] if number - 1 < len(parts) else ""


def _comp(rep: list[str], number: int) -> str:
    return rep[number - 1] if number - 1 < len(rep) else ""


def _patient(parts: list[str], seps: _Separators) -> list[FieldValue]:
    fields: list[FieldValue] = []
    for number in (3, 4, 5):
        for rep in seps.reps(_get(parts, number)):
            value = _comp(rep, 1)
            add(fields, "NIR" if looks_like_nir(value) else "PATIENT_ID", value,
                f"field P-{number}")
    name = seps.reps(_get(parts, 6))
    for rep in seps.reps(_get(parts, 7)):  # the birth (maiden) name, with the first names
        if _comp(rep, 1):
            add(fields, "LAST_NAME", _comp(rep, 1), "field P-7")
            add(fields, "FIRST_NAME", _comp(rep, 2) or _comp(name[0], 2), "field P-7")
    for rep in name:
        add(fields, "LAST_NAME", _comp(rep, 1), "field P-6")
        add(fields, "FIRST_NAME", _comp(rep, 2), "field P-6")
    add(fields, "BIRTH_DATE", _comp(seps.reps(_get(parts, 8))[0], 1), "field P-8")
    add(fields, "SEX", _comp(seps.reps(_get(parts, 9))[0], 1), "field P-9")
    for rep in seps.reps(_get(parts, 11)):
        street = " ".join(p for p in (_comp(rep, 1), _comp(rep, 2)) if p)
        add(fields, "ADDRESS", street, "field P-11")
        add(fields, "CITY", _comp(rep, 3), "field P-11")
        add(fields, "POSTAL_CODE", _comp(rep, 5), "field P-11")
    for rep in seps.reps(_get(parts, 13)):
        add(fields, "PHONE", _comp(rep, 1), "field P-13")
    for rep in seps.reps(_get(parts, 19)):
        add(fields, "DIAGNOSIS", _comp(rep, 2) or _comp(rep, 1), "field P-19")
    for rep in seps.reps(_get(parts, 24)):
        for comp in rep[:2]:
            add(fields, "VISIT_DATE", comp, "field P-24")
    for number in (26, 33):
        for rep in seps.reps(_get(parts, number)):
            add(fields, "CARE_UNIT", _comp(rep, 2) or _comp(rep, 1), f"field P-{number}")
    for rep in seps.reps(_get(parts, 28)):
        add(fields, "ICD10_CODE", _comp(rep, 1), "field P-28")
    return fields


def _records(path: Path) -> Iterator[tuple[int, str | None, list[Unit]]]:
    """``(first line, record, [])`` per record, continuation lines joined; ``(line, None,
    text units)`` for a record too long to parse."""
    start, parts, size = 0, [], 0
    number = 0
    line_parts: list[str] = []
    for piece, ended in segments(decoded_chunks(path)):
        line_parts.append(piece)
        if not ended:
            if sum(map(len, line_parts)) > MAX_RECORD_CHARS:
                yield number + 1, None, split_text("".join(line_parts), "", number + 1)
                line_parts = []
            continue
        number += 1
        line = "".join(line_parts).strip("\x0b\x1c \t\ufeff")
        line_parts = []
        if line.startswith("A|") and parts:  # continuation of the record before
            parts.append(line[2:])
            size += len(line)
            if size <= MAX_RECORD_CHARS:
                continue
            yield start, None, split_text("".join(parts), "", start)
            parts, size = [], 0
            continue
        if parts:
            yield start, "".join(parts), []
        start, parts, size = number, [line] if line else [], len(line)
    if parts:
        yield start, "".join(parts), []


def partition_hprim(path: Path) -> Iterator[Unit]:
    """Stream an HPRIM Santé file: see the module docstring."""
    seps = _Separators()
    placed = PlacedText("")
    patient: RecordUnit | None = None  # the last P record, with the tests ordered for it
    for line, record, units in _records(Path(path)):
        if record is None:
            yield from units
            continue
        is_header = record.startswith("H") and len(record) > 5 and not record[1].isalnum()
        parts = record.split(seps.field)
        kind = parts[0].strip().upper()
        if patient is not None and (is_header or kind in ("P", "L")):
            if patient.fields:
                yield patient
            patient = None
        if is_header:
            seps = _Separators(record)
        elif not _RECORD_ID.fullmatch(kind) or len(parts) < 2:
            yield from placed.add(line, record)  # not a record: text
        elif kind == "P":
            patient = RecordUnit(fields=_patient(parts, seps), name=f"line {line}",
                                 role_hint="PATIENT")
        elif kind == "OBR":
            if patient is not None:
                for rep in seps.reps(_get(parts, 5)):
                    add(patient.fields, "PROCEDURE", _comp(rep, 2) or _comp(rep, 1),
                        f"{ABSOLUTE}line {line}, field OBR-5")
        elif kind == "OBX":
            if _get(parts, 3).strip().upper() not in _NUMERIC:
                yield from placed.add(line, seps.any.sub(" ", _get(parts, 6)))
        elif kind == "C":
            yield from placed.add(line, seps.any.sub(" ", _get(parts, 4)))
        elif kind not in _SKIPPED:
            yield from placed.add(line, seps.any.sub(" ", seps.field.join(parts[1:])))
    if patient is not None and patient.fields:
        yield patient
    yield from placed.flush()
