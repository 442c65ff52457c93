"""Records from documents: the person a report, a letter or a prescription is about.

A report's patient header (``Patient : LEROY Marc, né le 12/03/1954, NIR ..., demeurant 12 rue
...``), a prescription's patient block (``Nom : DURAND`` / ``Prénom : Paul`` / ``Né le ...``)
or a letter's ``Objet : Mme DUPONT Marie (DDN 12/03/1954)`` become one :class:`Record` that
joins the name with the identifying values found in the same block, so that people can be
resolved across files.

Rules:

- An *anchor* is a name mention (:mod:`breachscope.detect.names`). ``Nom :`` and
  ``Prénom :`` fields on the same or consecutive lines make one anchor.
- A block runs from the anchor's line over the next :data:`BLOCK_LINES` lines. Each
  identifying finding (birth date, NIR, phone, e-mail, address, postal code, city, IPP,
  IBAN, RPPS) goes to the nearest anchor before it, within its block, that may hold it
  (a professional holds only RPPS, phone and e-mail).
- Mentions of one person in a unit (same folded last name, or same full name) are merged:
  ``Mme DUPONT Marie`` in the header and ``Mme Dupont`` further down make one record.
- A patient or unknown-role anchor makes a record when it holds a last and a first name or
  any identifying value; a lone ``Mme Dupont`` does not. A professional (``Dr``, ``IDE``,
  signature) makes a ``STAFF`` record only with an RPPS, a phone or an e-mail in its block.
- ``role_hint`` is ``STAFF`` for professionals, ``PATIENT`` for patient cues (``Patient :``,
  form fields, ``né(e) le``, ``(75 ans)``) or a block holding a birth date, NIR or IPP,
  ``UNKNOWN`` otherwise. ``DUPONT épouse MARTIN Marie`` gives the birth name as
  ``last_name`` (the reference identity) and the whole name as ``full_name``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from breachscope.detect.model import Finding, Record
from breachscope.detect.names import NameMention, find_names
from breachscope.detect.validators import fold
from breachscope.entities import SPECS, entities_where
from breachscope.extract.units import TextUnit

BLOCK_LINES = 6
_LINE = re.compile(r"line (\d+)$")
# What a patient's / a professional's name block may hold (entity registry:
# ``patient_block``, ``staff_block``), and the Record fields those values fill.
_PATIENT_ATTRS = entities_where(lambda s: s.patient_block)
_STAFF_ATTRS = entities_where(lambda s: s.staff_block)
_SINGLE = {e.value: s.record_field for e, s in SPECS.items()
           if (s.patient_block or s.staff_block) and s.record_field and not s.record_list}
_LIST = {e.value: s.record_field for e, s in SPECS.items()
         if (s.patient_block or s.staff_block) and s.record_field and s.record_list}


@dataclass(slots=True)
class _Anchor:
    line: int
    mentions: list[NameMention]
    role: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def last(self) -> str | None:
        for m in self.mentions:
            if m.birth_name:
                return m.birth_name
        return next((m.last for m in self.mentions if m.last), None)

    @property
    def first(self) -> str | None:
        return next((m.first for m in self.mentions if m.first), None)

    @property
    def full(self) -> str | None:
        persons = [m.value for m in self.mentions if m.entity == "PERSON"]
        if persons:
            return max(persons, key=len)
        parts = [p for p in (self.last, self.first) if p]
        return " ".join(parts) if len(parts) == 2 else None

    def key(self) -> str:
        return fold(self.last or self.full or self.mentions[0].value)


def _line_of(finding: Finding) -> int | None:
    m = _LINE.search(finding.location)
    return int(m.group(1)) if m else None


def _anchors(unit: TextUnit, mentions: list[NameMention]) -> list[_Anchor]:
    starts = [0, *(m.end() for m in re.finditer("\n", unit.text))]
    anchors: list[_Anchor] = []
    for mention in mentions:
        line = unit.first_line + bisect_right(starts, mention.start) - 1
        previous = anchors[-1] if anchors else None
        if (previous is not None and mention.detector == "context+field"
                and all(m.detector == "context+field" for m in previous.mentions)
                and line - previous.line <= 2
                and mention.entity not in {m.entity for m in previous.mentions}):
            previous.mentions.append(mention)  # "Nom : DURAND" then "Prénom : Paul"
            continue
        anchors.append(_Anchor(line, [mention], mention.role))
    return anchors


def _attach(anchors: list[_Anchor], findings: list[Finding]) -> None:
    lines = [a.line for a in anchors]
    for finding in findings:
        if finding.entity not in _PATIENT_ATTRS | _STAFF_ATTRS:
            continue
        line = _line_of(finding)
        if line is None:
            continue
        # The nearest anchor before the finding that may hold it: a birth date under a
        # "Médecin traitant : Dr X" line still belongs to the patient above.
        i = bisect_right(lines, line) - 1
        while i >= 0 and line - anchors[i].line <= BLOCK_LINES:
            anchor = anchors[i]
            allowed = _STAFF_ATTRS if anchor.role == "STAFF" else _PATIENT_ATTRS
            if finding.entity in allowed:
                anchor.findings.append(finding)
                break
            i -= 1


def _record(location: str, anchor: _Anchor) -> Record | None:
    entities = {m.entity for m in anchor.mentions}
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for finding in anchor.findings:
        entities.add(finding.entity)
        if finding.entity in _SINGLE:
            single.setdefault(_SINGLE[finding.entity], finding.value)
        elif finding.entity in _LIST:
            target = multi.setdefault(_LIST[finding.entity], [])
            if finding.value not in target:
                target.append(finding.value)
    last, first, full = anchor.last, anchor.first, anchor.full
    has_values = bool(single or multi)
    if anchor.role == "STAFF":
        if not (entities & _STAFF_ATTRS):
            return None
        role = "STAFF"
    else:
        if not ((last and first) or has_values):
            return None
        role = "PATIENT" if anchor.role == "PATIENT" or entities & {
            "BIRTH_DATE", "NIR", "PATIENT_ID"} else "UNKNOWN"
    if last:
        entities.add("LAST_NAME")
    if first:
        entities.add("FIRST_NAME")
    return Record(location=location, last_name=last, first_name=first, full_name=full,
                  role_hint=role, entities=entities, **single, **multi)


def _merge(anchors: list[_Anchor]) -> list[_Anchor]:
    """One anchor per person and role in the unit (first mention first)."""
    merged: dict[tuple[str, bool], _Anchor] = {}
    order: list[_Anchor] = []
    for anchor in anchors:
        key = (anchor.key(), anchor.role == "STAFF")
        into = merged.get(key)
        if into is None:
            merged[key] = anchor
            order.append(anchor)
            continue
        into.mentions.extend(anchor.mentions)
        into.findings.extend(anchor.findings)
        if into.role == "UNKNOWN":
            into.role = anchor.role
    return order


def build_document_records(unit: TextUnit, findings: list[Finding]) -> list[Record]:
    """The records of the people a text unit is about (see the module's rules)."""
    if not unit.text:
        return []
    mentions = find_names(unit.text)
    if not mentions:
        return []
    anchors = _anchors(unit, mentions)
    _attach(anchors, findings)
    prefix = f"{unit.name}, " if unit.name else ""
    records: list[Record] = []
    for anchor in _merge(anchors):
        record = _record(f"{prefix}line {anchor.line}", anchor)
        if record is not None:
            records.append(record)
    return records
