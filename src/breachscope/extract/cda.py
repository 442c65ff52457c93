"""CDA R2 documents (HL7 v3 XML: the DMP / CI-SIS documents) → one :class:`RecordUnit` per
``recordTarget``, text units per narrative section, embedded files for a Base64 body.

Parsing: ``defusedxml``'s ``iterparse`` (expat): an entity declaration or an external entity
is refused, never expanded or fetched (the file is then scanned as plain text). The document
is streamed: sections are read and dropped as they end, so memory holds the header and one
section at a time. A truncated or malformed file keeps what was read, then its rest is scanned
as text from the line of the error.

Read:

- ``recordTarget/patientRole`` → a patient :class:`RecordUnit` named ``recordTarget`` (or
  ``recordTarget 2``...): ``id`` (root an INS OID ``1.2.250.1.213.1.4.8``/``.9``/``.10``/``.11``
  → ``NIR``, other roots → ``PATIENT_ID``, the value being ``@extension``), ``addr``, ``telecom``
  (``tel:`` → ``PHONE``, ``mailto:`` → ``EMAIL``), ``patient/name`` (the birth name
  ``family[@qualifier=BR]`` first), ``administrativeGenderCode``, ``birthTime``. Locations are
  paths from the ``recordTarget`` (``patientRole/patient/name[1]/family``) with 1-based
  positions of repeated elements.
- ``componentOf/encompassingEncounter`` → attached to the patients: ``id`` → ``STAY_ID``,
  ``effectiveTime`` (``@value``, ``low``, ``high``) → ``VISIT_DATE``, the names of
  ``location/healthCareFacility/location``, ``serviceProviderOrganization`` and
  ``responsibleParty``'s organization → ``CARE_UNIT``; located ``componentOf/...``.
- coded entries of the body whose code system is ICD-10 (``2.16.840.1.113883.6.3`` or
  ``.6.90``) → ``ICD10_CODE`` (+ ``@displayName`` → ``DIAGNOSIS``), attached to the patients,
  located ``section N, entry``.
- each ``section``'s narrative ``text`` → a text unit ``section N`` (N in document order), one
  line per block element; a ``nonXMLBody`` with Base64 ``text`` → an :class:`EmbeddedFile`.

The patients' units are emitted at the end of the document (or where parsing stopped), so the
encounter and the coded diagnoses are on them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from breachscope.extract._health import INS_OIDS, add, oid_of
from breachscope.extract.text import partition_text, split_text
from breachscope.extract.units import ABSOLUTE, EmbeddedFile, FieldValue, RecordUnit, Unit

_ICD10_OIDS = frozenset({"2.16.840.1.113883.6.3", "2.16.840.1.113883.6.90"})
_BLOCKS = frozenset({"paragraph", "br", "tr", "item", "caption", "title", "list", "table",
                     "thead", "tbody", "td", "th"})
_MEDIA_EXTENSIONS = {"application/pdf": ".pdf", "text/plain": ".txt", "text/rtf": ".rtf",
                     "image/jpeg": ".jpg", "image/tiff": ".tif", "image/png": ".png"}
_BIRTH_QUALIFIERS = frozenset({"BR"})


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(element: Element | None, name: str) -> list[Element]:
    if element is None:
        return []
    return [child for child in element if _local(child.tag) == name]


def _kid(element: Element | None, *path: str) -> Element | None:
    for name in path:
        found = _kids(element, name)
        element = found[0] if found else None
    return element


def _text(element: Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _indexed(items: list[Element], base: str) -> Iterator[tuple[Element, str]]:
    for i, item in enumerate(items, start=1):
        yield item, f"{base}[{i}]" if len(items) > 1 else base


# --------------------------------------------------------------------------- header

def _patient_fields(target: Element) -> list[FieldValue]:
    fields: list[FieldValue] = []
    role = _kid(target, "patientRole")
    if role is None:
        return fields
    for ident, where in _indexed(_kids(role, "id"), "patientRole/id"):
        root = oid_of(ident.get("root", "")) or ""
        entity = "NIR" if root in INS_OIDS else "PATIENT_ID"
        add(fields, entity, ident.get("extension", ""), where)
    patient = _kid(role, "patient")
    if patient is not None:
        for name, where in _indexed(_kids(patient, "name"), "patientRole/patient/name"):
            families = sorted(_indexed(_kids(name, "family"), f"{where}/family"),
                              key=lambda f: f[0].get("qualifier", "") not in _BIRTH_QUALIFIERS)
            for family, family_where in families:
                add(fields, "LAST_NAME", _text(family), family_where)
            given = _kids(name, "given")
            if given:
                add(fields, "FIRST_NAME", _text(given[0]),
                    f"{where}/given" + ("[1]" if len(given) > 1 else ""))
            if not families and not given:
                add(fields, "PERSON", _text(name), where)
        gender = _kid(patient, "administrativeGenderCode")
        if gender is not None:
            add(fields, "SEX", gender.get("code", ""),
                "patientRole/patient/administrativeGenderCode")
        birth = _kid(patient, "birthTime")
        if birth is not None:
            add(fields, "BIRTH_DATE", birth.get("value", ""), "patientRole/patient/birthTime")
    for addr, where in _indexed(_kids(role, "addr"), "patientRole/addr"):
        _address(addr, where, fields)
    for telecom, where in _indexed(_kids(role, "telecom"), "patientRole/telecom"):
        _telecom(telecom, where, fields)
    return fields


def _address(addr: Element, where: str, fields: list[FieldValue]) -> None:
    lines = [_text(line) for line in _kids(addr, "streetAddressLine")]
    if not any(lines):
        lines = [" ".join(_text(_kid(addr, n)) for n in ("houseNumber", "streetName")
                          if _text(_kid(addr, n)))]
    add(fields, "ADDRESS", " ".join(line for line in lines if line), where)
    add(fields, "POSTAL_CODE", _text(_kid(addr, "postalCode")), f"{where}/postalCode")
    add(fields, "CITY", _text(_kid(addr, "city")), f"{where}/city")


def _telecom(telecom: Element, where: str, fields: list[FieldValue]) -> None:
    value = telecom.get("value", "").strip()
    scheme, _, rest = value.partition(":")
    scheme = scheme.lower()
    if scheme == "mailto" or "@" in value:
        add(fields, "EMAIL", rest if scheme == "mailto" else value, where)
    elif scheme in ("tel", "fax"):
        add(fields, "PHONE", rest, where)


def _encounter_fields(component_of: Element) -> list[FieldValue]:
    fields: list[FieldValue] = []
    encounter = _kid(component_of, "encompassingEncounter")
    if encounter is None:
        return fields
    base = ABSOLUTE + "componentOf/encompassingEncounter"
    for ident, where in _indexed(_kids(encounter, "id"), f"{base}/id"):
        add(fields, "STAY_ID", ident.get("extension", ""), where)
    time = _kid(encounter, "effectiveTime")
    if time is not None:
        add(fields, "VISIT_DATE", time.get("value", ""), f"{base}/effectiveTime")
        for bound in ("low", "high"):
            element = _kid(time, bound)
            if element is not None:
                add(fields, "VISIT_DATE", element.get("value", ""),
                    f"{base}/effectiveTime/{bound}")
    facility = _kid(encounter, "location", "healthCareFacility")
    for path in (("location", "name"), ("serviceProviderOrganization", "name")):
        add(fields, "CARE_UNIT", _text(_kid(facility, *path)),
            f"{base}/location/healthCareFacility/{'/'.join(path)}")
    add(fields, "CARE_UNIT",
        _text(_kid(encounter, "responsibleParty", "assignedEntity", "representedOrganization",
                   "name")),
        f"{base}/responsibleParty/assignedEntity/representedOrganization/name")
    return fields


# --------------------------------------------------------------------------- body

def _narrative(text: Element) -> str:
    """The narrative block as lines: a new line at each block element (iterative: a hostile
    narrative may nest deeper than Python recurses)."""
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            lines.append(" ".join(current))
            current.clear()

    stack: list[tuple[Element, bool]] = [(text, False)]
    while stack:
        element, closing = stack.pop()
        block = _local(element.tag) in _BLOCKS
        if closing:
            if block:
                flush()
            if element is not text and element.tail and element.tail.strip():
                current.append(" ".join(element.tail.split()))
            continue
        if block:
            flush()
        if element.text and element.text.strip():
            current.append(" ".join(element.text.split()))
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    flush()
    return "\n".join(lines)


def _codes(section: Element, name: str) -> list[FieldValue]:
    fields: list[FieldValue] = []
    for element in section.iter():
        if _local(element.tag) in ("code", "value", "translation") and \
                oid_of(element.get("codeSystem", "")) in _ICD10_OIDS:
            add(fields, "ICD10_CODE", element.get("code", ""), f"{ABSOLUTE}{name}, entry")
            add(fields, "DIAGNOSIS", element.get("displayName", ""), f"{ABSOLUTE}{name}, entry")
    return fields


def _body_file(text: Element) -> EmbeddedFile | None:
    if text.get("representation", "").upper() != "B64":
        return None
    try:
        content = base64.b64decode("".join((text.text or "").split()))
    except (binascii.Error, ValueError):
        return None
    if not content:
        return None
    ext = _MEDIA_EXTENSIONS.get(text.get("mediaType", "").lower(), ".bin")
    return EmbeddedFile(f"nonXMLBody{ext}", lambda: iter([content]))


# --------------------------------------------------------------------------- document

def partition_cda(path: Path) -> Iterator[Unit | EmbeddedFile]:
    """Stream a CDA R2 document: see the module docstring."""
    path = Path(path)
    patients: list[RecordUnit] = []
    attached: list[FieldValue] = []  # encounter and coded diagnoses, for every patient
    depth = 0
    section_depth = 0  # sections open
    sections = 0
    names: dict[int, str] = {}  # id(section element) → its name
    events = iterparse(str(path), events=("start", "end"), forbid_dtd=False,
                       forbid_entities=True, forbid_external=True)
    try:
        for event, element in events:
            tag = _local(element.tag)
            if event == "start":
                depth += 1
                if tag == "section":
                    sections += 1
                    section_depth += 1
                    names[id(element)] = f"section {sections}"
                continue
            depth -= 1
            if tag == "recordTarget" and section_depth == 0:
                name = "recordTarget" if not patients else f"recordTarget {len(patients) + 1}"
                patients.append(RecordUnit(fields=_patient_fields(element), name=name,
                                           role_hint="PATIENT"))
                element.clear()
            elif tag == "componentOf" and section_depth == 0:
                attached.extend(_encounter_fields(element))
                element.clear()
            elif tag == "section":
                section_depth -= 1
                name = names.pop(id(element), f"section {sections}")
                attached.extend(_codes(element, name))
                text = _kid(element, "text")
                if text is not None:
                    narrative = _narrative(text)
                    if narrative.strip():
                        yield from split_text(narrative, name)
                element.clear()
            elif tag == "nonXMLBody":
                text = _kid(element, "text")
                embedded = _body_file(text) if text is not None else None
                if embedded is not None:
                    yield embedded
                elif text is not None and _text(text):
                    yield from split_text(_text(text), "nonXMLBody")
                element.clear()
    except DefusedXmlException:
        # Entity declarations: nothing expanded; the raw text is still scanned.
        yield from _patients(patients, attached)
        yield from partition_text(path)
        return
    except ParseError as exc:
        yield from _patients(patients, attached)
        line = exc.position[0] if getattr(exc, "position", None) else 1
        yield from partition_text(path, start_line=max(line, 1))
        return
    yield from _patients(patients, attached)


def _patients(patients: list[RecordUnit], attached: list[FieldValue]) -> Iterator[RecordUnit]:
    if not patients and attached:
        patients.append(RecordUnit(fields=[], name="document", role_hint="PATIENT"))
    for unit in patients:
        unit.fields.extend(attached)
        if unit.fields:
            yield unit
