"""Outlook items other than mail (contact, appointment, task, post, sticky note) as ``.msg``
bytes, written with msgforge's compound-file writer and property helpers (msgforge itself
only writes ``IPM.Note`` mails). Named properties (a contact's e-mail addresses, an
appointment's location) get a ``__nameid_version1.0`` map as Outlook writes it
(MS-OXMSG 2.2.3)."""

from __future__ import annotations

import datetime as dt
import struct
import uuid

PSETID_ADDRESS = uuid.UUID("00062004-0000-0000-c000-000000000046")
PSETID_APPOINTMENT = uuid.UUID("00062002-0000-0000-c000-000000000046")
PSETID_TASK = uuid.UUID("00062003-0000-0000-c000-000000000046")

Value = str | dt.datetime | int


def _filetime(value: dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    epoch = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)
    return int((value - epoch).total_seconds() * 10_000_000)


def outlook_item(message_class: str, *, subject: str = "", body: str = "",
                 props: dict[int, Value] | None = None,
                 named: dict[tuple[uuid.UUID, int], Value] | None = None,
                 sender: tuple[str, str] | None = None) -> bytes:
    """A ``.msg`` of ``message_class`` with ``props`` (fixed property id → value) and
    ``named`` ((property set, LID) → value). Strings are PtypString, datetimes PtypTime,
    ints PtypInteger32."""
    from msgforge._builder import _MSG_CLSID, _OleWriter, _Props

    ole = _OleWriter()
    root = ole.root
    root.clsid = _MSG_CLSID
    mp = _Props()

    def put(pid: int, value: Value) -> None:
        if isinstance(value, str):
            mp.add_unicode(ole, root, pid, value)
        elif isinstance(value, dt.datetime):
            mp.add_systime(pid, _filetime(value))
        else:
            mp.add_long(pid, value)

    guids: list[uuid.UUID] = []
    entries = bytearray()
    for index, ((guid, lid), value) in enumerate((named or {}).items()):
        if guid not in guids:
            guids.append(guid)
        entries += struct.pack("<IHH", lid, (guids.index(guid) + 3) << 1, index)
        put(0x8000 + index, value)
    nameid = ole.add_storage(root, "__nameid_version1.0")
    ole.add_stream(nameid, "__substg1.0_00020102", b"".join(g.bytes_le for g in guids))
    ole.add_stream(nameid, "__substg1.0_00030102", bytes(entries))
    ole.add_stream(nameid, "__substg1.0_00040102", b"")

    put(0x001A, message_class)
    if subject:
        put(0x0037, subject)
    if body:
        put(0x1000, body)
    if sender:
        put(0x0C1A, sender[1])
        put(0x0C1F, sender[0])
        put(0x5D01, sender[0])
    for pid, value in (props or {}).items():
        put(pid, value)
    mp.add_long(0x340D, 0x00040000)  # StoreSupportMask: STORE_UNICODE_OK
    ole.add_stream(root, "__properties_version1.0", mp.build_msg_stream(0, 0))
    return ole.build()
