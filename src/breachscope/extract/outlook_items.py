"""What an Outlook item other than a mail holds beyond subject, correspondents and body: the
MAPI properties of contacts (``IPM.Contact``, the richest in identities), appointments
(``IPM.Appointment``, meeting requests ``IPM.Schedule.Meeting.*``), tasks (``IPM.Task``,
``IPM.TaskRequest.*``), posts (``IPM.Post``) and sticky notes (``IPM.StickyNote``).

- A **contact** gives one :class:`RecordUnit` named ``contact`` (role ``UNKNOWN``: a mailbox's
  contacts are patients, relatives, colleagues alike) with its names, birth date, phones,
  e-mail addresses, first postal address and a NIR stored as its "government ID"; findings
  read ``contact, Mobile phone``. Everything else that may name or locate a person (company,
  job title, other addresses, spouse, nickname, web page, instant-messaging address, an ID
  that is not a NIR) is a :class:`TextUnit` named ``contact details`` of labelled lines.
- An **appointment** or **task** gives a :class:`TextUnit` named ``appointment`` / ``task``:
  location, start, end, owner, assigner (attendees are its recipients, read as for a mail).
- Posts and sticky notes have nothing more than a mail (their body and sender).

Contacts' e-mail addresses, work address, appointments' location and tasks' owner are *named*
properties, whose ids are given per file by the ``__nameid_version1.0`` storage
(MS-OXMSG 2.2.3). python-oxmsg does not read that map and extract-msg (which does) is GPL, so
:func:`named_property_ids` reads it here: two fixed-size tables, bounded by the stream sizes.
Birthdays are stored as the local midnight in UTC (``1954-03-11 23:00`` for a Paris contact
born on 12 March): the nearest midnight gives the date.
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid
from collections.abc import Iterator
from typing import Any

from breachscope.extract._health import looks_like_nir
from breachscope.extract.units import FieldValue, RecordUnit, TextUnit

NAMEID_STORAGE = "__nameid_version1.0"
_GUID_STREAM = "__substg1.0_00020102"
_ENTRY_STREAM = "__substg1.0_00030102"
#: Named properties mapped at most (a real store maps a few hundred to a few thousand).
MAX_NAMED = 65536

PSETID_ADDRESS = uuid.UUID("00062004-0000-0000-c000-000000000046")
PSETID_APPOINTMENT = uuid.UUID("00062002-0000-0000-c000-000000000046")
PSETID_TASK = uuid.UUID("00062003-0000-0000-c000-000000000046")
_PS_MAPI = uuid.UUID("00020328-0000-0000-c000-000000000046")
_PS_PUBLIC_STRINGS = uuid.UUID("00020329-0000-0000-c000-000000000046")

#: (GUID, LID) of a numeric named property → its property id in this file.
NamedIds = dict[tuple[uuid.UUID, int], int]


def named_property_ids(root: Any) -> NamedIds:
    """The named-property map of a ``.msg`` (an oxmsg ``Storage``, the file's root): numeric
    names only (string-named properties are not used by the fields read here)."""
    nameid = next((s for s in getattr(root, "storages", ()) if s.name == NAMEID_STORAGE), None)
    if nameid is None:
        return {}
    streams = {s.name: s.bytes_ for s in nameid.streams}
    guids_raw = streams.get(_GUID_STREAM, b"")
    entries = streams.get(_ENTRY_STREAM, b"")
    guids = [uuid.UUID(bytes_le=guids_raw[i : i + 16])
             for i in range(0, len(guids_raw) - 15, 16)]
    out: NamedIds = {}
    for offset in range(0, min(len(entries) // 8, MAX_NAMED) * 8, 8):
        lid, kind_guid, index = struct.unpack_from("<IHH", entries, offset)
        if kind_guid & 1:  # a string name
            continue
        guid_index = kind_guid >> 1
        if guid_index == 1:
            guid = _PS_MAPI
        elif guid_index == 2:
            guid = _PS_PUBLIC_STRINGS
        elif 0 <= guid_index - 3 < len(guids):
            guid = guids[guid_index - 3]
        else:
            continue
        out[(guid, lid)] = 0x8000 + index
    return out


class _Item:
    """The properties of one item, read tolerantly (a malformed property reads as absent)."""

    def __init__(self, message: Any, named: NamedIds) -> None:
        self.props = message.properties
        self.named = named

    def text(self, pid: int) -> str:
        try:
            value = self.props.str_prop_value(pid)
        except Exception:
            return ""
        return " ".join(str(value or "").split())

    def named_text(self, guid: uuid.UUID, lid: int) -> str:
        pid = self.named.get((guid, lid))
        return self.text(pid) if pid is not None else ""

    def date(self, pid: int | None) -> dt.datetime | None:
        if pid is None:
            return None
        try:
            value = self.props.date_prop_value(pid)
        except Exception:
            return None
        return value if isinstance(value, dt.datetime) else None

    def named_date(self, guid: uuid.UUID, lid: int) -> dt.datetime | None:
        return self.date(self.named.get((guid, lid)))


def message_class(message: Any) -> str:
    try:
        return str(message.properties.str_prop_value(0x001A) or "IPM.Note")
    except Exception:
        return "IPM.Note"


# ---------------------------------------------------------------- contacts

#: Phone properties (PidTag...TelephoneNumber and fax numbers), labelled as Outlook does.
_PHONES = (
    (0x3A1C, "Mobile phone"), (0x3A09, "Home phone"), (0x3A2F, "Home phone 2"),
    (0x3A08, "Business phone"), (0x3A1B, "Business phone 2"), (0x3A1A, "Primary phone"),
    (0x3A1F, "Other phone"), (0x3A1E, "Car phone"), (0x3A2E, "Assistant phone"),
    (0x3A02, "Callback phone"), (0x3A21, "Pager"), (0x3A25, "Home fax"),
    (0x3A24, "Business fax"), (0x3A23, "Other fax"), (0x3A1D, "Radio phone"),
    (0x3A2D, "ISDN"), (0x3A4B, "TTY/TDD phone"), (0x3A57, "Company phone"),
)
#: E-mail addresses (PSETID_Address named properties PidLidEmail1/2/3EmailAddress).
_EMAILS = ((0x8083, "E-mail"), (0x8093, "E-mail 2"), (0x80A3, "E-mail 3"))
#: (label, street, city, postal code, country): fixed tags for home/other, named for work.
_ADDRESSES = (
    ("Home address", 0x3A5D, 0x3A59, 0x3A5B, 0x3A5A),
    ("Business address", 0x3A29, 0x3A27, 0x3A2A, 0x3A26),
    ("Other address", 0x3A63, 0x3A5F, 0x3A61, 0x3A60),
)
_WORK_ADDRESS_NAMED = ("Business address", 0x8045, 0x8046, 0x8048, 0x8049)
#: Other text that may name or locate a person, for the ``contact details`` unit.
_DETAILS = (
    (0x3A45, "Title"), (0x3A44, "Middle name"), (0x3A05, "Suffix"), (0x3A4F, "Nickname"),
    (0x3A48, "Spouse"), (0x3A16, "Company"), (0x3A17, "Job title"), (0x3A18, "Department"),
    (0x3A19, "Office"), (0x3A4E, "Manager"), (0x3A30, "Assistant"), (0x3A50, "Web page"),
    (0x3A15, "Postal address"), (0x3A00, "Account"), (0x3A4A, "Customer ID"),
    (0x3A10, "Organizational ID"), (0x3A0A, "Initials"),
)
_DETAILS_NAMED = ((0x8062, "IM address"), (0x8005, "File as"), (0x801B, "Business address"))


def birthday(value: dt.datetime) -> dt.date:
    """The date a birthday property means: the nearest midnight (see the module docstring)."""
    return (value + dt.timedelta(hours=12)).date()


def _contact(item: _Item) -> Iterator[RecordUnit | TextUnit]:
    fields: list[FieldValue] = []
    details: list[str] = []

    def add(entity: str, value: str, label: str) -> None:
        if value:
            fields.append(FieldValue(entity, value, label))

    add("LAST_NAME", item.text(0x3A11), "Last name")
    add("FIRST_NAME", item.text(0x3A06), "First name")
    add("PERSON", item.text(0x3001), "Full name")
    born = item.date(0x3A42)
    if born is not None:
        add("BIRTH_DATE", birthday(born).isoformat(), "Birthday")
    government_id = item.text(0x3A07)
    if government_id and looks_like_nir(government_id):
        add("NIR", government_id, "Government ID")
    elif government_id:
        details.append(f"Government ID: {government_id}")
    for pid, label in _PHONES:
        add("PHONE", item.text(pid), label)
    for lid, label in _EMAILS:
        value = item.named_text(PSETID_ADDRESS, lid)
        add("EMAIL", value if "@" in value else "", label)
    first_address = True
    for label, street_id, city_id, postal_id, country_id in (*_ADDRESSES, _WORK_ADDRESS_NAMED):
        named = street_id >= 0x8000
        get = (lambda pid: item.named_text(PSETID_ADDRESS, pid)) if named else item.text
        street, city, postal, country = (get(pid) for pid in
                                         (street_id, city_id, postal_id, country_id))
        if not (street or city or postal):
            continue
        if first_address:  # one address per record (several would be joined into one)
            first_address = False
            add("ADDRESS", street, label)
            add("POSTAL_CODE", postal, f"{label}, postal code")
            add("CITY", city, f"{label}, city")
        else:
            line = ", ".join(v for v in (street, f"{postal} {city}".strip(), country) if v)
            details.append(f"{label}: {line}")
    for pid, label in _DETAILS:
        if value := item.text(pid):
            details.append(f"{label}: {value}")
    for lid, label in _DETAILS_NAMED:
        if value := item.named_text(PSETID_ADDRESS, lid):
            details.append(f"{label}: {value}")
    if fields:
        yield RecordUnit(fields=fields, name="contact", role_hint="UNKNOWN")
    if details:
        yield TextUnit(text="\n".join(dict.fromkeys(details)), name="contact details")


# ---------------------------------------------------------------- appointments, tasks


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def _appointment(item: _Item) -> Iterator[TextUnit]:
    lines = [
        ("Location", item.named_text(PSETID_APPOINTMENT, 0x8208) or item.text(0x3FF9)),
        ("Start", _when(item.named_date(PSETID_APPOINTMENT, 0x820D) or item.date(0x0060))),
        ("End", _when(item.named_date(PSETID_APPOINTMENT, 0x820E) or item.date(0x0061))),
        ("Organizer", item.text(0x0042)),
    ]
    text = "\n".join(f"{label}: {value}" for label, value in lines if value)
    if text:
        yield TextUnit(text=text, name="appointment")


def _task(item: _Item) -> Iterator[TextUnit]:
    lines = [
        ("Owner", item.named_text(PSETID_TASK, 0x811F)),
        ("Assigner", item.named_text(PSETID_TASK, 0x8121)),
        ("Last user", item.named_text(PSETID_TASK, 0x8122)),
        ("Start", _when(item.named_date(PSETID_TASK, 0x8104))),
        ("Due", _when(item.named_date(PSETID_TASK, 0x8105))),
    ]
    text = "\n".join(f"{label}: {value}" for label, value in lines if value)
    if text:
        yield TextUnit(text=text, name="task")


def item_units(message: Any, named: NamedIds) -> Iterator[RecordUnit | TextUnit]:
    """The units an item's class adds to subject, correspondents and body (see the module
    docstring); nothing for a mail, a post or a sticky note."""
    kind = message_class(message).upper()
    item = _Item(message, named)
    if kind.startswith(("IPM.CONTACT", "IPM.DISTLIST")):
        yield from _contact(item)
    elif kind.startswith(("IPM.APPOINTMENT", "IPM.SCHEDULE.MEETING")):
        yield from _appointment(item)
    elif kind.startswith(("IPM.TASK", "IPM.TASKREQUEST")):
        yield from _task(item)
