"""FHIR R4 JSON (a resource, a Bundle, or an NDJSON bulk export) → one :class:`RecordUnit` per
Patient, with its Encounters and Conditions attached; text units for the other resources;
embedded files for Base64 attachments.

Parsing: ``json`` (stdlib). A JSON document is parsed whole up to
:data:`~breachscope.extract.jsonfile.MAX_JSON_BYTES` (a bigger one is streamed as text, so its
identifiers are still found); NDJSON (one resource per line) is streamed line by line, a line
longer than :data:`MAX_LINE_CHARS` or that does not parse being scanned as text.

Read (FR Core conventions):

- ``Patient``: ``identifier`` (system ``urn:oid:1.2.250.1.213.1.4.8`` / ``.9`` / ``.10`` /
  ``.11`` or type ``NH``/``INS-NIR`` → ``NIR``; others → ``PATIENT_ID``), ``name``
  (``official`` before ``usual``: family → ``LAST_NAME``, first given → ``FIRST_NAME``),
  ``birthDate``, ``gender``, ``address`` (lines → ``ADDRESS``, ``postalCode``, ``city``),
  ``telecom`` (phone/sms/fax → ``PHONE``, email → ``EMAIL``). ``contact`` (next of kin) →
  a separate :class:`RecordUnit` with role ``UNKNOWN``.
- ``Encounter``: ``serviceProvider.display``, ``location[].location.display``,
  ``serviceType.text`` → ``CARE_UNIT``; ``period.start``/``end`` → ``VISIT_DATE``;
  ``identifier`` → ``STAY_ID``.
- ``Condition``: ``code.coding`` with an ICD-10 / CIM-10 system → ``ICD10_CODE`` (its display →
  ``DIAGNOSIS``), ``code.text`` → ``DIAGNOSIS``.
- Encounters and Conditions are attached to the Patient their ``subject``/``patient``
  reference names (``Patient/123``, a ``fullUrl`` such as ``urn:uuid:...``) within the
  document; when it is not there (NDJSON exports put each type in its own file) they make a
  :class:`RecordUnit` of their own (findings, no record).
- Other resources: their string values (narrative ``div`` tags removed) are a text unit named
  after the entry, one value per line; an ``Attachment`` with Base64 ``data`` (a
  DocumentReference's PDF, a Binary) → an :class:`EmbeddedFile`.

Names and locations: a unit is named ``entry 3 (Patient)`` in a Bundle (1-based; ``entry 2.1``
in a Bundle nested in entry 2), ``line 12 (Patient)`` in NDJSON, ``Patient`` for a lone
resource; fields are located by their JSON path inside the resource (``name[0].family``), so a
finding reads ``entry 3 (Patient), name[0].family``; an attached Encounter's fields keep their
own place (``entry 4 (Encounter), period.start``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from breachscope.extract._health import add, identifier_entity, is_icd10_system
from breachscope.extract.encoding import decode_bytes
from breachscope.extract.jsonfile import MAX_JSON_BYTES
from breachscope.extract.stream import decoded_chunks, segments
from breachscope.extract.text import partition_text, split_text
from breachscope.extract.units import (
    ABSOLUTE,
    EmbeddedFile,
    ExtractionError,
    FieldValue,
    RecordUnit,
    Unit,
)

#: An NDJSON line longer than this is scanned as text, not parsed.
MAX_LINE_CHARS = 64 * 1024 * 1024
#: Bundles nested deeper than this are scanned as text.
MAX_BUNDLE_DEPTH = 4
MAX_VALUE_DEPTH = 64
_TAGS = re.compile(r"<[^>]{0,2000}>")
_PHONE_SYSTEMS = frozenset({"phone", "sms", "fax"})
_EXTENSIONS = {"application/pdf": ".pdf", "text/plain": ".txt", "text/html": ".html",
               "application/xml": ".xml", "text/xml": ".xml", "image/jpeg": ".jpg",
               "image/png": ".png", "application/rtf": ".rtf", "text/rtf": ".rtf"}
_NAME_ORDER = {"official": 0, "maiden": 1, "usual": 2}


def _s(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --------------------------------------------------------------------------- resources

def _patient_fields(res: dict[str, Any], at: str = "") -> list[FieldValue]:
    fields: list[FieldValue] = []
    for i, ident in enumerate(_list(res.get("identifier"))):
        ident = _dict(ident)
        codes = [_s(c.get("code")) for c in _list(_dict(ident.get("type")).get("coding"))
                 if isinstance(c, dict)]
        entity = "PATIENT_ID"
        for code in codes or [""]:
            entity = identifier_entity(system=_s(ident.get("system")), type_code=code)
            if entity == "NIR":
                break
        add(fields, "PATIENT_ID" if entity == "STAY_ID" else entity, _s(ident.get("value")),
            f"{at}identifier[{i}].value")
    _names(res.get("name"), f"{at}name", fields)
    add(fields, "BIRTH_DATE", _s(res.get("birthDate")), f"{at}birthDate")
    add(fields, "SEX", _s(res.get("gender")), f"{at}gender")
    _addresses(res.get("address"), f"{at}address", fields)
    _telecoms(res.get("telecom"), f"{at}telecom", fields)
    return fields


def _names(names: Any, at: str, fields: list[FieldValue]) -> None:
    items = [(i, n) for i, n in enumerate(_list(names) if isinstance(names, list)
                                          else [names]) if isinstance(n, dict)]
    items.sort(key=lambda item: _NAME_ORDER.get(_s(item[1].get("use")), 3))
    for i, name in items:
        where = f"{at}[{i}]" if isinstance(names, list) else at
        add(fields, "LAST_NAME", _s(name.get("family")), f"{where}.family")
        given = [_s(g) for g in _list(name.get("given")) if _s(g)]
        if given:
            add(fields, "FIRST_NAME", given[0], f"{where}.given[0]")
        elif not _s(name.get("family")):
            add(fields, "PERSON", _s(name.get("text")), f"{where}.text")


def _addresses(addresses: Any, at: str, fields: list[FieldValue]) -> None:
    items = _list(addresses) if isinstance(addresses, list) else [addresses]
    for i, address in enumerate(items):
        if not isinstance(address, dict):
            continue
        where = f"{at}[{i}]" if isinstance(addresses, list) else at
        lines = [_s(x) for x in _list(address.get("line")) if _s(x)]
        add(fields, "ADDRESS", " ".join(lines) or _s(address.get("text")), f"{where}.line")
        add(fields, "POSTAL_CODE", _s(address.get("postalCode")), f"{where}.postalCode")
        add(fields, "CITY", _s(address.get("city")), f"{where}.city")


def _telecoms(telecoms: Any, at: str, fields: list[FieldValue]) -> None:
    for i, telecom in enumerate(_list(telecoms)):
        if not isinstance(telecom, dict):
            continue
        system, value = _s(telecom.get("system")), _s(telecom.get("value"))
        value = value.removeprefix("tel:").removeprefix("mailto:")
        if system == "email" or "@" in value:
            add(fields, "EMAIL", value, f"{at}[{i}].value")
        elif system in _PHONE_SYSTEMS or not system:
            add(fields, "PHONE", value, f"{at}[{i}].value")


def _encounter_fields(res: dict[str, Any], at: str) -> list[FieldValue]:
    fields: list[FieldValue] = []
    add(fields, "CARE_UNIT", _s(_dict(res.get("serviceProvider")).get("display")),
        f"{at}serviceProvider.display")
    for i, loc in enumerate(_list(res.get("location"))):
        add(fields, "CARE_UNIT", _s(_dict(_dict(loc).get("location")).get("display")),
            f"{at}location[{i}].location.display")
    add(fields, "CARE_UNIT", _s(_dict(res.get("serviceType")).get("text")),
        f"{at}serviceType.text")
    period = _dict(res.get("period"))
    add(fields, "VISIT_DATE", _s(period.get("start")), f"{at}period.start")
    add(fields, "VISIT_DATE", _s(period.get("end")), f"{at}period.end")
    for i, ident in enumerate(_list(res.get("identifier"))):
        add(fields, "STAY_ID", _s(_dict(ident).get("value")), f"{at}identifier[{i}].value")
    return fields


def _condition_fields(res: dict[str, Any], at: str) -> list[FieldValue]:
    fields: list[FieldValue] = []
    code = _dict(res.get("code"))
    for i, coding in enumerate(_list(code.get("coding"))):
        coding = _dict(coding)
        if is_icd10_system(_s(coding.get("system"))):
            add(fields, "ICD10_CODE", _s(coding.get("code")), f"{at}code.coding[{i}].code")
        add(fields, "DIAGNOSIS", _s(coding.get("display")), f"{at}code.coding[{i}].display")
    add(fields, "DIAGNOSIS", _s(code.get("text")), f"{at}code.text")
    return fields


def _contacts(res: dict[str, Any]) -> Iterator[list[FieldValue]]:
    for i, contact in enumerate(_list(res.get("contact"))):
        if not isinstance(contact, dict):
            continue
        fields: list[FieldValue] = []
        _names(contact.get("name"), f"contact[{i}].name", fields)
        _telecoms(contact.get("telecom"), f"contact[{i}].telecom", fields)
        _addresses(contact.get("address"), f"contact[{i}].address", fields)
        if fields:
            yield fields


def _reference(res: dict[str, Any]) -> str:
    for key in ("subject", "patient"):
        ref = _s(_dict(res.get(key)).get("reference"))
        if ref:
            return ref
    return ""


# --------------------------------------------------------------------------- other resources

def _strings(value: Any, attachments: list[dict[str, Any]]) -> list[str]:
    """The string values under ``value`` (narratives without tags); Attachments with data go
    to ``attachments`` instead."""
    out: list[str] = []
    todo: list[tuple[Any, int]] = [(value, 0)]
    while todo:
        current, depth = todo.pop()
        if isinstance(current, dict):
            if isinstance(current.get("data"), str) and "contentType" in current:
                attachments.append(current)
                current = {k: v for k, v in current.items() if k != "data"}
            if depth < MAX_VALUE_DEPTH:
                todo.extend((v, depth + 1) for v in reversed(list(current.values())))
        elif isinstance(current, list):
            if depth < MAX_VALUE_DEPTH:
                todo.extend((v, depth + 1) for v in reversed(current))
        elif isinstance(current, str) and current.strip():
            text = _TAGS.sub(" ", current) if "<" in current else current
            out.extend(line for line in text.splitlines() if line.strip())
    return out


def _attachment(attachment: dict[str, Any], name: str) -> EmbeddedFile | None:
    try:
        content = base64.b64decode(_s(attachment.get("data")))
    except (binascii.Error, ValueError):
        return None
    if not content:
        return None
    ext = _EXTENSIONS.get(_s(attachment.get("contentType")).split(";")[0].lower(), ".bin")
    return EmbeddedFile(f"{name} attachment{ext}", lambda content=content: iter([content]))


def _other(res: dict[str, Any], name: str) -> Iterator[Unit | EmbeddedFile]:
    attachments: list[dict[str, Any]] = []
    lines = _strings({k: v for k, v in res.items() if k not in ("resourceType", "id", "meta")},
                     attachments)
    if lines:
        yield from split_text("\n".join(lines), name)
    for i, attachment in enumerate(attachments, start=1):
        embedded = _attachment(attachment, f"{name} {i}" if len(attachments) > 1 else name)
        if embedded is not None:
            yield embedded


# --------------------------------------------------------------------------- documents

class _Document:
    """The resources of one document (a Bundle, or one NDJSON line): Patients first collected,
    so that Encounters and Conditions can be attached to them."""

    def __init__(self) -> None:
        self.patients: dict[str, RecordUnit] = {}  # by every name a reference may use
        self.order: list[RecordUnit] = []
        self.others: list[tuple[dict[str, Any], str, str]] = []  # Encounter / Condition

    def collect(self, resource: Any, name: str, full_url: str = "",
                depth: int = 0) -> Iterator[Unit | EmbeddedFile]:
        """Read ``resource`` (named ``name``); yield what does not wait for the end."""
        if not isinstance(resource, dict):
            return
        kind = _s(resource.get("resourceType"))
        if kind == "Bundle" and depth < MAX_BUNDLE_DEPTH:
            base = name.removesuffix(" (Bundle)")
            if name == "Bundle":
                prefix = "entry "
            elif base.startswith("entry "):
                prefix = base + "."
            else:
                prefix = base + ", entry "
            for i, entry in enumerate(_list(resource.get("entry")), start=1):
                entry = _dict(entry)
                inner = _dict(entry.get("resource"))
                inner_kind = _s(inner.get("resourceType")) or "resource"
                yield from self.collect(inner, f"{prefix}{i} ({inner_kind})",
                                        _s(entry.get("fullUrl")), depth + 1)
        elif kind == "Patient":
            unit = RecordUnit(fields=_patient_fields(resource), name=name, role_hint="PATIENT")
            self.order.append(unit)
            rid = _s(resource.get("id"))
            for key in (full_url, f"Patient/{rid}" if rid else "", rid):
                if key:
                    self.patients.setdefault(key, unit)
            if full_url.rsplit("/", 2)[-2:-1] == ["Patient"]:  # http://server/Patient/123
                self.patients.setdefault("Patient/" + full_url.rsplit("/", 1)[-1], unit)
            for fields in _contacts(resource):
                yield RecordUnit(fields=fields, name=name, role_hint="UNKNOWN")
        elif kind in ("Encounter", "Condition"):
            self.others.append((resource, kind, name))
        else:
            yield from _other(resource, name)

    def finish(self) -> Iterator[Unit]:
        for resource, kind, name in self.others:
            ref = _reference(resource)
            patient = self.patients.get(ref) or self.patients.get(ref.rsplit("/", 1)[-1])
            at = ABSOLUTE + name + ", " if patient is not None else ""
            fields = (_encounter_fields(resource, at) if kind == "Encounter"
                      else _condition_fields(resource, at))
            if patient is not None:
                patient.fields.extend(fields)
            elif fields:
                yield RecordUnit(fields=fields, name=name, role_hint="PATIENT")
        for unit in self.order:
            if unit.fields:
                yield unit


def _document(value: Any, name: str) -> Iterator[Unit | EmbeddedFile]:
    """The units of one JSON value: a resource, a Bundle, or a list of resources."""
    document = _Document()
    if isinstance(value, list):
        for i, item in enumerate(value):
            kind = _s(item.get("resourceType")) if isinstance(item, dict) else ""
            yield from document.collect(item, f"[{i}] ({kind or 'resource'})")
    else:
        kind = _s(value.get("resourceType")) if isinstance(value, dict) else ""
        yield from document.collect(value, name or kind or "resource")
    yield from document.finish()


def _is_ndjson(head: str) -> bool:
    """Several JSON values on their own lines (the first line parses on its own)."""
    first, _, rest = head.lstrip("\ufeff \t\r\n").partition("\n")
    if not rest.strip():
        return False
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return False
    return True


def _ndjson(path: Path) -> Iterator[Unit | EmbeddedFile]:
    number = 0
    parts: list[str] = []
    size = 0
    for piece, ended in segments(decoded_chunks(path)):
        parts.append(piece)
        size += len(piece)
        if not ended:
            if size > MAX_LINE_CHARS:
                yield from split_text("".join(parts), "", number + 1)
                parts, size = [], 0
            continue
        number += 1
        line = "".join(parts).strip()
        parts, size = [], 0
        if not line:
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            yield from split_text(line, "", number)
            continue
        kind = _s(value.get("resourceType")) if isinstance(value, dict) else ""
        yield from _document(value, f"line {number} ({kind or 'resource'})")


def partition_fhir(path: Path) -> Iterator[Unit | EmbeddedFile]:
    """Stream the resources of a FHIR JSON or NDJSON file: see the module docstring."""
    path = Path(path)
    with path.open("rb") as handle:
        head_bytes = handle.read(1 << 20)
    head, _ = decode_bytes(head_bytes, partial=True)
    if _is_ndjson(head):
        yield from _ndjson(path)
        return
    if path.stat().st_size > MAX_JSON_BYTES:
        yield from partition_text(path)  # too big to parse whole: identifiers as text
        return
    text, _ = decode_bytes(path.read_bytes())
    try:
        value = json.loads(text.lstrip("\ufeff"))
    except RecursionError:
        raise ExtractionError("FHIR JSON nested too deeply") from None
    except ValueError:
        # Truncated or damaged: what it holds is still scanned, as text.
        del text
        yield from partition_text(path)
        return
    del text
    kind = _s(value.get("resourceType")) if isinstance(value, dict) else ""
    yield from _document(value, "Bundle" if kind == "Bundle" else kind)
