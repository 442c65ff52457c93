"""HL7 v2 messages (ER7, the ``|^~\\&`` encoding) → one :class:`RecordUnit` per patient, text
units for free text, embedded files for encapsulated documents. Streamed message by message.

Reading: the file is decoded incrementally and cut into physical lines on ``\\r``, ``\\n`` or
``\\r\\n`` (:mod:`breachscope.extract.stream`), so any segment terminator works and line
numbers are the ones an editor shows. MLLP framing bytes (``\\x0b``, ``\\x1c``) are dropped.
A message starts at each ``MSH`` line; ``FHS``/``BHS``/``BTS``/``FTS`` batch envelopes end the
current message and are skipped, so batches and files of many messages are read the same way.
The separators of each message are the ones its MSH declares (:func:`declared_separators`):
MSH-1, the character after ``MSH``, splits fields, and MSH-2 gives component, repetition,
escape and subcomponent characters, whatever they are (``^~\\&``, ``^˜\\&`` with U+02DC as in
the ANS samples, ``@#$%``...), read on the decoded text so a multi-byte character is one
separator; a character MSH-2 leaves out is not used. Escape sequences (``\\F\\``,
``\\X0D\\``...) are decoded with python-hl7's ``unescape`` (``hl7.parse`` of the MSH alone).
The stream is cut into messages and segments here, and only the fields read are split on the
message's separators (a plain ``str.split``): ``hl7.parse`` takes one whole message in
memory, only ``\\r`` terminators, and builds an object per component of every segment, which
made reading five times slower (about 1 MB/s) for nothing we use. A message whose MSH-2
characters are not distinct separators, a line that is not a segment inside a message
(report text with raw line breaks) and lines before the first ``MSH`` are scanned as text. Memory is
bounded by :data:`MAX_MESSAGE_CHARS` (a longer message is read in parts, each with the
message's MSH) and :data:`MAX_SEGMENT_CHARS` (a longer line is scanned as text).

What is read (French IHE PAM conventions):

- ``PID`` → a patient :class:`RecordUnit` named ``message N`` (N = position of the message in
  the file): PID-2/3/4 and ``MRG-1`` identifiers (the INS, type ``NH``/``INS`` or an INS OID in
  the assigning authority → ``NIR``; ``AN``/``VN`` → ``STAY_ID``; others, the IPP ``PI`` first,
  → ``PATIENT_ID``), PID-19 → ``NIR`` (validated by its key), PID-5 names (birth name ``L``
  first, then used name ``D``, then the others), PID-7 birth date, PID-8 sex, PID-11 addresses
  (except birth places ``BDL``/``BR``/``N``), PID-13/14 phones and e-mails, PID-18 → ``STAY_ID``.
  The ``PV1`` (PV1-3 → ``CARE_UNIT``: the location description, else the point of care; PV1-19
  → ``STAY_ID``; PV1-44/45 → ``VISIT_DATE``) and ``DG1`` (DG1-3 → ``ICD10_CODE`` and
  ``DIAGNOSIS``; DG1-4 → ``DIAGNOSIS``) after a PID are that patient's.
- ``NK1`` → a separate :class:`RecordUnit` (role ``UNKNOWN``): NK1-2 name, NK1-4 address, NK1-5/6
  phones.
- Field locations read ``segment PID-5``; the k-th occurrence of a segment in a message (k > 1)
  reads ``segment PID[2]-5``, so a finding reads ``message 3, segment PID-5``.
- Free text: ``OBX-5`` values (except encapsulated data), ``NTE-3``, and every segment not read
  above and not ``MSH``/``EVN``/``PV2`` (``IN1``, ``ORC``, Z segments...) with its separators
  turned into spaces, become text units named ``message N`` placed on their file lines
  (``message 3, line 57``).
- ``OBX`` of type ``ED`` with Base64 data (a PDF report) → an :class:`EmbeddedFile`
  ``message N OBX k.pdf``, scanned as a member of the file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hl7

from breachscope.extract._health import add, identifier_entity, oid_of
from breachscope.extract.stream import decoded_chunks, segments
from breachscope.extract.text import PlacedText, split_text
from breachscope.extract.units import EmbeddedFile, FieldValue, RecordUnit, TextUnit, Unit

#: A physical line longer than this is not parsed as a segment: it is scanned as text.
MAX_SEGMENT_CHARS = 16 * 1024 * 1024
#: A message holding more characters is parsed in parts (each with the message's MSH).
MAX_MESSAGE_CHARS = 32 * 1024 * 1024
MAX_MESSAGE_SEGMENTS = 50_000

_ENVELOPE = frozenset({"FHS", "BHS", "BTS", "FTS"})
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
#: Segments that hold nothing personal worth scanning, or that are read field by field.
_NOT_TEXT = frozenset({"MSH", "EVN", "PID", "NK1", "PV1", "PV2", "DG1", "OBX", "NTE", "MRG"})
_BIRTH_PLACE = frozenset({"BDL", "BR", "N"})
_NAME_ORDER = {"L": 0, "D": 1}
_SUBTYPE_EXTENSIONS = {"PDF": ".pdf", "RTF": ".rtf", "JPEG": ".jpg", "JPG": ".jpg",
                       "PNG": ".png", "TIFF": ".tif", "XML": ".xml", "HTML": ".html",
                       "PLAIN": ".txt", "TEXT": ".txt", "MSWORD": ".doc", "ZIP": ".zip"}


# --------------------------------------------------------------------------- reading lines

def _lines(path: Path) -> Iterator[tuple[int, str | None, list[TextUnit]]]:
    """``(line number, line, [])`` for each physical line of the file, MLLP bytes removed;
    ``(line number, None, text units)`` for the pieces of a line too long to be a segment."""
    number = 0
    parts: list[str] = []
    size = 0
    long = False
    for piece, ended in segments(decoded_chunks(path)):
        parts.append(piece)
        size += len(piece)
        if size > MAX_SEGMENT_CHARS:
            long = True
            yield number + 1, None, split_text("".join(parts), "", number + 1)
            parts, size = [], 0
        if not ended:
            continue
        number += 1
        if not long:
            yield number, "".join(parts).strip("\x0b\x1c \t\ufeff"), []
        elif parts:
            yield number, None, split_text("".join(parts), "", number)
        parts, size, long = [], 0, False


# --------------------------------------------------------------------------- parsed values

class _Segment:
    """One segment cut on its field separator; fields are split further only when read."""

    __slots__ = ("component", "fields", "repetition", "subcomponent")

    def __init__(self, raw: str, separators: str) -> None:
        # separators as python-hl7 gives them: segment, field, repetition, component, sub.
        self.fields = raw.split(separators[1])
        self.repetition, self.component, self.subcomponent = separators[2:5]


def _reps(segment: _Segment, index: int) -> list[list[list[str]]]:
    """Field ``index`` of a segment as repetitions → components → subcomponents."""
    if index >= len(segment.fields) or not segment.fields[index]:
        return []
    return [[c.split(segment.subcomponent) for c in r.split(segment.component)]
            for r in segment.fields[index].split(segment.repetition)]


#: Stands for an encoding character MSH-2 does not declare (NUL never reaches a line).
_ABSENT = "\x00"


def declared_separators(msh: str) -> str | None:
    """``segment, field, repetition, component, subcomponent`` separators (python-hl7's
    order) and the escape character, as MSH-1 and MSH-2 of ``msh`` declare them: the field
    separator is the character after ``MSH``, MSH-2 gives component, repetition, escape and
    subcomponent in that order (``^~\\&``, but any characters: ``^˜\\&`` with U+02DC, ``@#$%``...;
    a fifth, the v2.7 truncation character, is ignored). Characters MSH-2 leaves out are not
    used (:data:`_ABSENT`); an empty MSH-2 means the standard ``^~\\&``. None when they are
    not distinct or not separators at all."""
    if len(msh) < 5 or msh[3].isalnum() or msh[3].isspace():
        return None
    field_sep = msh[3]
    end = msh.find(field_sep, 4)
    encoding = msh[4:end] if end >= 0 else msh[4:]
    if not encoding:  # MSH-2 missing (a damaged header): the standard characters
        encoding = "".join(c for c in "^~\\&" if c != field_sep)
    if not 1 <= len(encoding) <= 5 or any(c.isalnum() or c.isspace() for c in encoding):
        return None
    encoding = encoding[:4]
    if len(set(encoding + field_sep)) != len(encoding) + 1:
        return None
    component, repetition, escape, subcomponent = (encoding + _ABSENT * 4)[:4]
    return "\r" + field_sep + repetition + component + subcomponent + escape


class _Message:
    """The encoding of one message (MSH-1/MSH-2 as declared; python-hl7's header for escape
    sequences) and its helpers."""

    def __init__(self, header: Any, escape: str | None) -> None:
        self.header = header
        # python-hl7 fills characters MSH-2 leaves out with the defaults: only a declared
        # escape character that python-hl7 read the same way is unescaped.
        self.escape = escape if header is not None and header.esc == escape else None

    def text(self, raw: str) -> str:
        if self.escape and self.escape in raw:
            with contextlib.suppress(Exception):  # a malformed escape: keep the raw text
                raw = self.header.unescape(raw)
        return " ".join(raw.split())


def _get(rep: list[list[str]], comp: int, sub: int = 1) -> str:
    """Component ``comp`` (1-based), subcomponent ``sub``, of one repetition."""
    if comp > len(rep) or sub > len(rep[comp - 1]):
        return ""
    return rep[comp - 1][sub - 1]


@dataclass
class _Group:
    """A patient (from its PID) and what follows it in the message."""

    fields: list[FieldValue] = field(default_factory=list)
    kin: list[list[FieldValue]] = field(default_factory=list)


# --------------------------------------------------------------------------- segments

def _identifiers(msg: _Message, seg: Any, index: int, where: str,
                 fields: list[FieldValue]) -> None:
    found: list[tuple[int, FieldValue]] = []
    for rep in _reps(seg, index):
        value = msg.text(_get(rep, 1))
        if not value:
            continue
        authority = [msg.text(s) for s in (rep[3] if len(rep) > 3 else [])]
        oid = next((s for s in authority if oid_of(s)), "")
        entity = identifier_entity(oid=oid, type_code=msg.text(_get(rep, 5)))
        # The IPP first: it is the record's patient_id when there are several.
        rank = 0 if msg.text(_get(rep, 5)).upper() == "PI" else 1
        found.append((rank, FieldValue(entity, value, where)))
    fields.extend(f for _, f in sorted(found, key=lambda x: x[0]))


def _names(msg: _Message, seg: Any, index: int, where: str, fields: list[FieldValue]) -> None:
    reps = _reps(seg, index)
    order = sorted(range(len(reps)),
                   key=lambda i: _NAME_ORDER.get(msg.text(_get(reps[i], 7)).upper(), 2))
    for i in order:
        rep = reps[i]
        add(fields, "LAST_NAME", msg.text(_get(rep, 1)), where)
        add(fields, "FIRST_NAME", msg.text(_get(rep, 2)), where)


def _addresses(msg: _Message, seg: Any, index: int, where: str,
               fields: list[FieldValue]) -> None:
    for rep in _reps(seg, index):
        if msg.text(_get(rep, 7)).upper() in _BIRTH_PLACE:
            continue  # the birth place (INSEE code), not where the person lives
        street = " ".join(p for p in (msg.text(_get(rep, 1)), msg.text(_get(rep, 2))) if p)
        add(fields, "ADDRESS", street, where)
        add(fields, "POSTAL_CODE", msg.text(_get(rep, 5)), where)
        add(fields, "CITY", msg.text(_get(rep, 3)), where)


def _telecoms(msg: _Message, seg: Any, index: int, where: str,
              fields: list[FieldValue]) -> None:
    for rep in _reps(seg, index):
        first, email = msg.text(_get(rep, 1)), msg.text(_get(rep, 4))
        if "@" in first:
            email, first = email or first, ""
        add(fields, "EMAIL", email, where)
        local = msg.text(_get(rep, 7))
        if first:
            add(fields, "PHONE", first, where)
        elif number := msg.text(_get(rep, 12)):
            add(fields, "PHONE", number, where)
        elif local:
            country, area = msg.text(_get(rep, 5)), msg.text(_get(rep, 6))
            add(fields, "PHONE", (f"+{country.lstrip('+')}" if country else "") + area + local,
                where)


def _pid(msg: _Message, seg: Any, label: str, fields: list[FieldValue]) -> None:
    for index in (3, 2, 4):
        _identifiers(msg, seg, index, f"segment {label}-{index}", fields)
    _names(msg, seg, 5, f"segment {label}-5", fields)
    for rep in _reps(seg, 7):
        add(fields, "BIRTH_DATE", msg.text(_get(rep, 1)), f"segment {label}-7")
    for rep in _reps(seg, 8):
        add(fields, "SEX", msg.text(_get(rep, 1)), f"segment {label}-8")
    _addresses(msg, seg, 11, f"segment {label}-11", fields)
    _telecoms(msg, seg, 13, f"segment {label}-13", fields)
    _telecoms(msg, seg, 14, f"segment {label}-14", fields)
    for rep in _reps(seg, 18):
        add(fields, "STAY_ID", msg.text(_get(rep, 1)), f"segment {label}-18")
    for rep in _reps(seg, 19):
        add(fields, "NIR", msg.text(_get(rep, 1)), f"segment {label}-19")


def _pv1(msg: _Message, seg: Any, label: str, fields: list[FieldValue]) -> None:
    for rep in _reps(seg, 3):
        unit = msg.text(_get(rep, 9)) or msg.text(_get(rep, 1))
        add(fields, "CARE_UNIT", unit, f"segment {label}-3")
    for rep in _reps(seg, 19):
        add(fields, "STAY_ID", msg.text(_get(rep, 1)), f"segment {label}-19")
    for index in (44, 45):
        for rep in _reps(seg, index):
            add(fields, "VISIT_DATE", msg.text(_get(rep, 1)), f"segment {label}-{index}")


def _dg1(msg: _Message, seg: Any, label: str, fields: list[FieldValue]) -> None:
    for rep in _reps(seg, 3):
        add(fields, "ICD10_CODE", msg.text(_get(rep, 1)), f"segment {label}-3")
        add(fields, "DIAGNOSIS", msg.text(_get(rep, 2)), f"segment {label}-3")
    for rep in _reps(seg, 4):
        add(fields, "DIAGNOSIS", msg.text(_get(rep, 1)), f"segment {label}-4")


def _nk1(msg: _Message, seg: Any, label: str) -> list[FieldValue]:
    fields: list[FieldValue] = []
    _names(msg, seg, 2, f"segment {label}-2", fields)
    _addresses(msg, seg, 4, f"segment {label}-4", fields)
    _telecoms(msg, seg, 5, f"segment {label}-5", fields)
    _telecoms(msg, seg, 6, f"segment {label}-6", fields)
    return fields


def _embedded(seg: Any, number: int, occurrence: int) -> EmbeddedFile | None:
    """An OBX-5 of type ED with Base64 data (source^type^subtype^encoding^data), as a file;
    None when there is none or it does not decode."""
    for rep in _reps(seg, 5):
        data = _get(rep, 5)
        if _get(rep, 4).strip().upper() != "BASE64" or not data:
            continue
        try:
            content = base64.b64decode(data)
        except (binascii.Error, ValueError):
            return None
        ext = _SUBTYPE_EXTENSIONS.get(_get(rep, 3).strip().upper(), ".bin")
        return EmbeddedFile(f"message {number} OBX {occurrence}{ext}",
                            lambda content=content: iter([content]))
    return None


# --------------------------------------------------------------------------- messages

def _message_units(entries: list[tuple[int, str, bool]],
                   number: int) -> Iterator[Unit | EmbeddedFile]:
    """The units of one message. ``entries``: ``(line number, text, is a segment)``, the MSH
    first; the lines that are not segments are scanned as text where they are."""
    name = f"message {number}"
    placed = PlacedText(name)
    msh = entries[0][1]
    declared = declared_separators(msh)
    if declared is None:  # not a message header: its lines are scanned as text
        for line, text, _ in entries:
            yield from placed.add(line, text)
        yield from placed.flush()
        return
    separators, escape = declared[:5], declared[5]
    header = None
    if escape != _ABSENT:
        # MSH-1 and MSH-2 only, for python-hl7's unescape (\F\, \X0D\...).
        end = msh.find(msh[3], 4)
        with contextlib.suppress(Exception):
            header = hl7.parse((msh[:end] if end > 0 else msh) + msh[3] + "X")
    msg = _Message(header, escape if escape != _ABSENT else None)
    any_separator = re.compile(
        "[" + re.escape("".join(c for c in separators[1:] if c != _ABSENT)) + "]")
    groups: list[_Group] = []
    counts: dict[str, int] = {}
    for line, raw, is_segment in entries:
        if not is_segment:
            yield from placed.add(line, raw)
            continue
        seg = _Segment(raw, separators)
        seg_id = raw[:3]
        counts[seg_id] = counts.get(seg_id, 0) + 1
        label = seg_id if counts[seg_id] == 1 else f"{seg_id}[{counts[seg_id]}]"
        if seg_id == "PID":
            groups.append(_Group())
            _pid(msg, seg, label, groups[-1].fields)
            continue
        if seg_id in ("PV1", "DG1", "NK1", "MRG") and not groups:
            groups.append(_Group())
        if seg_id == "PV1":
            _pv1(msg, seg, label, groups[-1].fields)
        elif seg_id == "DG1":
            _dg1(msg, seg, label, groups[-1].fields)
        elif seg_id == "MRG":
            _identifiers(msg, seg, 1, f"segment {label}-1", groups[-1].fields)
        elif seg_id == "NK1":
            groups[-1].kin.append(_nk1(msg, seg, label))
        elif seg_id == "OBX":
            value_type = _reps(seg, 2)
            if value_type and _get(value_type[0], 1).strip().upper() == "ED":
                embedded = _embedded(seg, number, counts[seg_id])
                if embedded is not None:
                    yield embedded
                continue
            values = [" ".join(msg.text(s) for comp in rep for s in comp if s)
                      for rep in _reps(seg, 5)]
            yield from placed.add(line, " ".join(v for v in values if v))
        elif seg_id == "NTE":
            values = [" ".join(msg.text(s) for comp in rep for s in comp if s)
                      for rep in _reps(seg, 3)]
            yield from placed.add(line, " ".join(v for v in values if v))
        elif seg_id not in _NOT_TEXT:
            yield from placed.add(line, msg.text(any_separator.sub(" ", raw[4:])))
    yield from placed.flush()
    for group in groups:
        if group.fields:
            yield RecordUnit(fields=group.fields, name=name, role_hint="PATIENT")
        for kin in group.kin:
            if kin:
                yield RecordUnit(fields=kin, name=name, role_hint="UNKNOWN")


def partition_hl7(path: Path) -> Iterator[Unit | EmbeddedFile]:
    """Stream the messages of an HL7 v2 (ER7) file: see the module docstring."""
    number = 0
    current: list[tuple[int, str, bool]] = []  # the message being read, MSH first
    size = 0
    outside = PlacedText("")  # lines outside any message
    field_separator = "|"

    def is_segment(text: str) -> bool:
        return (len(text) >= 3 and _SEGMENT_ID.fullmatch(text[:3]) is not None
                and (len(text) == 3 or text[3] == field_separator))

    for line, text, units in _lines(Path(path)):
        if text is None:
            yield from units
            continue
        if not text:
            continue
        head = text[:3]
        if head == "MSH" and len(text) > 3 and not text[3].isalnum():
            if current:
                yield from _message_units(current, number)
            number += 1
            field_separator = text[3]
            current, size = [(line, text, True)], len(text)
        elif head in _ENVELOPE and len(text) > 3 and not text[3].isalnum():
            if current:
                yield from _message_units(current, number)
            current, size = [], 0
        elif current:
            # A line that is not a segment (report text with raw line breaks, garbage) stays
            # in its message, scanned as text.
            current.append((line, text, is_segment(text)))
            size += len(text)
            if size > MAX_MESSAGE_CHARS or len(current) > MAX_MESSAGE_SEGMENTS:
                yield from _message_units(current, number)  # the rest: a part with its MSH
                current, size = current[:1], len(current[0][1])
        else:
            yield from outside.add(line, text)
    if current:
        yield from _message_units(current, number)
    yield from outside.flush()

