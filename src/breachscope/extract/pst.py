"""Outlook data files (PST, OST) → every item they hold, as members, read in memory with
libpff's own Python bindings (``pypff``, PyPI ``libpff-python``, LGPL).

Nothing is written to disk by this module: libpff reads the file (or the in-memory file of
a sealed blob, ``/proc/self/fd/N``) and every member is handed to the worker from memory.
(Debian's ``pffexport``, used before, exported every item as files under the work area's
temporary folder: patient data in clear beside an encrypted case, left behind by a
``kill -9``.)

- Members are named by the item's place in the mailbox, as pffexport named its files:
  ``Inbox/Message00001/Message.txt`` (the plain-text body; ``Message.html`` or
  ``Message.rtf`` when the item has no plain text: libpff decompresses the RTF, the member
  is then read by the RTF extractor), ``.../OutlookHeaders.txt`` (class, subject, sender,
  representing/received-by names and addresses, display To/Cc/Bcc, dates, flags),
  ``.../Recipients.txt``, ``.../InternetHeaders.txt``, ``.../Attachments/1_liste.csv``.
  An attached message (an embedded item) is read as an item of its own under
  ``.../Attachments/1_Message/`` (its body, headers, own attachments), to
  :data:`MAX_EMBEDDING_DEPTH` levels. Items are named by kind: ``Message``, ``Contact``,
  ``DistributionList``, ``Appointment``, ``Meeting``, ``Task``, ``Note``, ``Activity``,
  ``Document``, ``Post``; numbered by their rank in the folder.
- Contacts, distribution lists, appointments and tasks also give the units of
  :mod:`breachscope.extract.outlook_items` (a contact → ``Contacts/Contact00001, contact``
  with names, birthday, phones, e-mails, NIR, address), read from the item's properties
  (pypff's record entries: property id, value type, bytes). Named properties (a contact's
  e-mail addresses, an appointment's location) are resolved through the file's
  name-to-id map (node ``0x61``, the same two tables as a ``.msg``'s ``__nameid`` storage).
- Orphan items (nodes whose folder is gone) are members under ``orphans/``; deleted items
  found by libpff's recovery (what ``pffexport -m recovered`` did; it needs the file's
  allocation maps) under ``recovered/``. pypff exposes neither the recovery nor attached
  messages: both are libpff's own C functions, called by :mod:`._pff_native`; where that
  cannot be trusted the file is ``partial`` with the reason.
- Limits: :data:`MAX_TOTAL_BYTES` of members, :data:`MAX_ITEMS` items (folders included),
  :data:`PST_TIMEOUT` seconds (the worker's own limits still apply around it): past one, the
  reading stops, what was read is kept and the file is ``partial``. An attachment larger
  than :data:`MAX_ATTACHMENT_BYTES`, folders or attached messages nested too deep are
  skipped (``partial``); the recovery is aborted past :data:`RECOVERY_TIMEOUT`. Attachments
  are read in :data:`CHUNK_BYTES` pieces; bodies and properties whole (libpff reads them so).
- A file libpff cannot open (truncated, not a PST) or without a readable folder tree fails
  with a reason; items or parts it cannot read are counted and make the file ``partial``
  (``damaged PST: 2 items or parts not read``). Reasons never quote the file's content.
- Not read: folders' associated (hidden) contents, distribution-list members (a binary
  named property). 8-bit strings (``PT_STRING8``) are read as Windows-1252.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from breachscope.extract._pff_native import native
from breachscope.extract.outlook_items import (
    NAMEID_STORAGE,
    NamedIds,
    item_units,
    named_property_ids,
)
from breachscope.extract.partial import PartialContent
from breachscope.extract.units import EmbeddedFile, ExtractionError, RecordUnit, TextUnit

#: Seconds the reading of one file may take (the worker's per-file limit still applies).
PST_TIMEOUT = 1800.0
#: Bytes of members (bodies, headers, attachments) one file may give at most.
MAX_TOTAL_BYTES = 8 * 1024**3
#: Items (messages, contacts, attached messages...) one file may give at most.
MAX_ITEMS = 500_000
#: Seconds libpff's recovery of deleted items may take (it scans the file's free space).
RECOVERY_TIMEOUT = 120.0
#: An attachment larger than this is skipped.
MAX_ATTACHMENT_BYTES = 2 * 1024**3
#: Nesting of folders and of attached messages followed at most (a hostile file may loop).
MAX_FOLDER_DEPTH = 64
MAX_EMBEDDING_DEPTH = 8
CHUNK_BYTES = 1 << 20
#: Longest member name part kept (a folder or attachment name).
MAX_NAME_CHARS = 200

Units = Iterator[TextUnit | RecordUnit | EmbeddedFile]

# Property ids (MS-OXPROPS).
PID_MESSAGE_CLASS, PID_SUBJECT, PID_MESSAGE_FLAGS = 0x001A, 0x0037, 0x0E07
PID_ATTACH_METHOD, PID_ATTACH_LONG_FILENAME = 0x3705, 0x3707
PID_ATTACH_FILENAME, PID_DISPLAY_NAME = 0x3704, 0x3001
PID_RECIPIENT_TYPE, PID_EMAIL_ADDRESS, PID_SMTP_ADDRESS = 0x0C15, 0x3003, 0x39FE
ATTACH_EMBEDDED_MESSAGE = 5
PT_STRING8, PT_UNICODE, PT_SYSTIME, PT_LONG = 0x001E, 0x001F, 0x0040, 0x0003

#: (label, property id) of OutlookHeaders.txt, after the class, flags and subject.
_HEADERS = (
    ("Conversation topic", 0x0070), ("Display name", PID_DISPLAY_NAME),
    ("Sender name", 0x0C1A), ("Sender email address", 0x0C1F),
    ("Sender SMTP address", 0x5D01), ("Sent representing name", 0x0042),
    ("Sent representing email address", 0x0065), ("Received by name", 0x0040),
    ("Received by email address", 0x0076), ("Display to", 0x0E04), ("Display cc", 0x0E03),
    ("Display bcc", 0x0E02), ("Creation time", 0x3007), ("Client submit time", 0x0039),
    ("Delivery time", 0x0E06), ("Modification time", 0x3008),
)
_FLAGS = ((0x1, "Read"), (0x2, "Unmodified"), (0x4, "Submit"), (0x8, "Unsent"),
          (0x10, "Has attachments"), (0x20, "From me"), (0x40, "Associated"),
          (0x80, "Resend"))
_RECIPIENT_KINDS = {0: "Originator", 1: "To", 2: "CC", 3: "BCC"}
#: Message class prefix → item kind, as pffexport names its folders.
_KINDS = (("IPM.CONTACT", "Contact"), ("IPM.DISTLIST", "DistributionList"),
          ("IPM.APPOINTMENT", "Appointment"), ("IPM.SCHEDULE.MEETING", "Meeting"),
          ("IPM.TASK", "Task"), ("IPM.STICKYNOTE", "Note"), ("IPM.ACTIVITY", "Activity"),
          ("IPM.DOCUMENT", "Document"), ("IPM.POST", "Post"))

#: What libpff raises on a damaged structure (IOError is OSError); AttributeError when a
#: damaged node is read as a bare item where a message was expected.
_READ_ERRORS = (OSError, ValueError, TypeError, MemoryError, OverflowError, SystemError,
                AttributeError, IndexError)


class _Stopped(Exception):
    """A limit was passed; the message is the reason."""


@dataclass
class _State:
    """What a reading has given so far, against the limits."""

    named: NamedIds = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    items: int = 0
    total: int = 0
    unreadable: int = 0
    too_large: int = 0
    too_deep: int = 0
    deep_folders: int = 0
    no_recovery: bool = False
    recovery_stopped: bool = False

    def item(self) -> None:
        self.items += 1
        if self.items > MAX_ITEMS:
            raise _Stopped(f"more than {MAX_ITEMS} items")
        if time.monotonic() - self.started > PST_TIMEOUT:
            raise _Stopped(f"PST time limit exceeded ({PST_TIMEOUT:g} s)")

    def spend(self, size: int) -> None:
        self.total += size
        if self.total > MAX_TOTAL_BYTES:
            raise _Stopped(f"members larger than {MAX_TOTAL_BYTES >> 20} MiB in all")


# ---------------------------------------------------------------- properties


def _entries(record_set: Any) -> dict[int, tuple[int, bytes]]:
    """``{property id: (value type, bytes)}`` of one record set (the first value of an id
    wins; an entry libpff cannot read is left out)."""
    out: dict[int, tuple[int, bytes]] = {}
    try:
        count = record_set.number_of_entries
    except _READ_ERRORS:
        return out
    for index in range(count or 0):
        try:
            entry = record_set.get_entry(index)
            pid, kind, data = entry.entry_type, entry.value_type, entry.data
        except _READ_ERRORS:
            continue
        if pid is not None and pid & 0xFFFF not in out:
            out[pid & 0xFFFF] = (kind or 0, bytes(data or b""))
    return out


def _properties(item: Any) -> dict[int, tuple[int, bytes]]:
    """The item's own properties (its first record set)."""
    try:
        if not item.number_of_record_sets:
            return {}
        return _entries(item.get_record_set(0))
    except _READ_ERRORS:
        return {}


def _string(kind: int, data: bytes) -> str | None:
    if kind == PT_UNICODE:
        return data.decode("utf-16-le", "replace").rstrip("\x00")
    if kind == PT_STRING8:
        return data.decode("cp1252", "replace").rstrip("\x00")
    return None


def _date(kind: int, data: bytes) -> dt.datetime | None:
    if kind != PT_SYSTIME or len(data) != 8:
        return None
    try:
        return dt.datetime(1601, 1, 1) + dt.timedelta(
            microseconds=int.from_bytes(data, "little") // 10)
    except OverflowError:
        return None


class Properties:
    """The reads :mod:`breachscope.extract.outlook_items` makes (``str_prop_value``,
    ``date_prop_value``), over an item's record entries."""

    def __init__(self, values: dict[int, tuple[int, bytes]]) -> None:
        self.values = values

    def str_prop_value(self, pid: int) -> str | None:
        return _string(*self.values.get(pid, (0, b"")))

    def date_prop_value(self, pid: int) -> dt.datetime | None:
        return _date(*self.values.get(pid, (0, b"")))

    def int_value(self, pid: int) -> int | None:
        kind, data = self.values.get(pid, (0, b""))
        return int.from_bytes(data[:4], "little") if kind == PT_LONG and len(data) >= 4 else None


class _PropertyItem:
    def __init__(self, properties: Properties) -> None:
        self.properties = properties


class _Stream:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.bytes_ = name, data


class _Storage:
    def __init__(self, name: str, streams: list[_Stream]) -> None:
        self.name, self.streams = name, streams


class _Root:
    """A ``.msg`` root storage as :func:`named_property_ids` reads it."""

    def __init__(self, storages: list[_Storage]) -> None:
        self.storages = storages


def _named_ids(pff: Any) -> NamedIds:
    """The file's named-property map: node 0x61 holds the GUID (``0x0002``) and entry
    (``0x0003``) streams a ``.msg`` keeps in its ``__nameid`` storage (MS-PST 2.4.7), read by
    :func:`named_property_ids` (pypff reads the map but gives no access to its entries)."""
    try:
        node = pff.get_name_to_id_map()
    except _READ_ERRORS:
        return {}
    if node is None:
        return {}
    values = _properties(node)
    streams = [_Stream(f"__substg1.0_{pid:04X}0102", values[pid][1])
               for pid in (0x0002, 0x0003) if pid in values]
    return named_property_ids(_Root([_Storage(NAMEID_STORAGE, streams)]))


# ---------------------------------------------------------------- names


def _clean(name: str | None, fallback: str) -> str:
    """A name part that cannot split or climb a member path (a hostile folder may be named
    ``../x`` or ``a/b``) and holds no control character."""
    text = "".join(c if c.isprintable() else "_" for c in (name or "")).strip()
    text = text.replace("/", "_").replace("\\", "_")[:MAX_NAME_CHARS]
    return fallback if text in ("", ".", "..") else text


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name (2)``... when a sibling already has it (two folders of the same
    name must not merge their items' members)."""
    candidate, rank = name, 1
    while candidate.casefold() in used:
        rank += 1
        candidate = f"{name} ({rank})"
    used.add(candidate.casefold())
    return candidate


def _kind(message_class: str) -> str:
    upper = message_class.upper()
    return next((kind for prefix, kind in _KINDS if upper.startswith(prefix)), "Message")


# ---------------------------------------------------------------- members


def _bytes_member(name: str, data: bytes, state: _State) -> EmbeddedFile:
    state.spend(len(data))

    def chunks() -> Iterator[bytes]:
        for at in range(0, len(data), CHUNK_BYTES):
            yield data[at : at + CHUNK_BYTES]

    return EmbeddedFile(name, chunks)


def _attachment_chunks(attachment: Any, size: int,
                       state: _State) -> Callable[[], Iterator[bytes]]:
    """The attachment's bytes, read with libpff in pieces, never more than ``size``. Data
    libpff cannot read ends the member there and counts as a part not read (the worker
    reads a member before asking for the next unit: the count is in before the end)."""

    def chunks() -> Iterator[bytes]:
        left = size
        try:
            attachment.seek_offset(0, 0)
            while left > 0:
                block = attachment.read_buffer(min(CHUNK_BYTES, left))
                if not block:
                    return
                left -= len(block)
                yield bytes(block)
        except _READ_ERRORS:
            state.unreadable += 1

    return chunks


def _headers(props: Properties, message_class: str) -> str:
    lines = [f"Message class:\t\t\t\t{message_class}"]
    flags = props.int_value(PID_MESSAGE_FLAGS)
    if flags is not None:
        names = ", ".join(label for bit, label in _FLAGS if flags & bit)
        lines.append(f"Flags:\t\t\t\t\t0x{flags:08x}" + (f" ({names})" if names else ""))
    for label, pid in (("Subject", PID_SUBJECT), *_HEADERS):
        kind, data = props.values.get(pid, (0, b""))
        value = _string(kind, data)
        if value is None and (when := _date(kind, data)) is not None:
            value = when.strftime("%Y-%m-%d %H:%M:%S UTC")
        if value and value.strip():
            lines.append(f"{label}:\t\t\t\t{' '.join(value.split())}")
    return "Message:\n" + "\n".join(lines) + "\n"


def _recipients(item: Any) -> str:
    """Recipients.txt: each recipient's display name, type and addresses."""
    try:
        table = item.recipients
        count = table.number_of_record_sets if table is not None else 0
    except _READ_ERRORS:
        return ""
    blocks = []
    for index in range(count or 0):
        try:
            props = Properties(_entries(table.get_record_set(index)))
        except _READ_ERRORS:
            continue
        lines = [f"Recipient {index + 1}:"]
        kind = props.int_value(PID_RECIPIENT_TYPE)
        if kind is not None:
            lines.append(f"Recipient type:\t\t\t{_RECIPIENT_KINDS.get(kind & 0xF, 'Unknown')}")
        for label, pid in (("Display name", PID_DISPLAY_NAME), ("Email address",
                           PID_EMAIL_ADDRESS), ("SMTP address", PID_SMTP_ADDRESS)):
            if value := props.str_prop_value(pid):
                lines.append(f"{label}:\t\t\t{' '.join(value.split())}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _body(item: Any) -> tuple[str, bytes] | None:
    """(member file name, bytes) of the best body: plain text, else HTML, else RTF."""
    for name, read in (("Message.txt", lambda: item.plain_text_body),
                       ("Message.html", lambda: item.html_body),
                       ("Message.rtf", lambda: item.rtf_body)):
        try:
            data = read()
        except _READ_ERRORS:
            continue
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = bytes(data or b"").rstrip(b"\x00")
        if data.strip():
            return name, data
    return None


def _attachments(item: Any, base: str, state: _State, depth: int) -> Units:
    try:
        count = item.number_of_attachments
    except _READ_ERRORS:
        return
    used: set[str] = set()
    for index in range(count or 0):
        try:
            attachment = item.get_attachment(index)
            props = Properties(_properties(attachment))
        except _READ_ERRORS:
            state.unreadable += 1
            continue
        if props.int_value(PID_ATTACH_METHOD) == ATTACH_EMBEDDED_MESSAGE:
            engine = native()
            try:
                embedded = engine.attached_item(attachment) if engine else None
            except _READ_ERRORS:
                embedded = None
            if embedded is None:
                state.unreadable += 1
            elif depth < MAX_EMBEDDING_DEPTH:
                name = _unique(f"{index + 1}_Message", used)
                yield from _item(embedded, f"{base}/Attachments/{name}", state, depth + 1)
            else:
                state.too_deep += 1
            continue
        try:
            filename = attachment.long_filename
        except _READ_ERRORS:
            filename = None
        filename = (filename or props.str_prop_value(PID_ATTACH_LONG_FILENAME)
                    or props.str_prop_value(PID_ATTACH_FILENAME)
                    or props.str_prop_value(PID_DISPLAY_NAME))
        name = _unique(f"{index + 1}_{_clean(filename, 'Attachment')}", used)
        try:
            size = attachment.size or 0
        except _READ_ERRORS:
            state.unreadable += 1
            continue
        if size > MAX_ATTACHMENT_BYTES:
            state.too_large += 1
            continue
        state.spend(size)
        yield EmbeddedFile(f"{base}/Attachments/{name}",
                           _attachment_chunks(attachment, size, state))


def _item(item: Any, base: str, state: _State, depth: int = 0,
          number: int | None = None) -> Units:
    """Members and units of one item (a message, a contact, an attached message...), named
    ``base`` or, given its ``number`` in a folder, ``base`` + its kind + that number."""
    state.item()
    props = Properties(_properties(item))
    if not props.values:
        state.unreadable += 1
        return
    message_class = props.str_prop_value(PID_MESSAGE_CLASS) or "IPM.Note"
    if number is not None:
        base = f"{base}{_kind(message_class)}{number:05d}"
    yield _bytes_member(f"{base}/OutlookHeaders.txt",
                        _headers(props, message_class).encode("utf-8"), state)
    try:
        transport = item.transport_headers
    except _READ_ERRORS:
        transport = None
    if transport and transport.strip():
        yield _bytes_member(f"{base}/InternetHeaders.txt", transport.encode("utf-8"), state)
    if recipients := _recipients(item):
        yield _bytes_member(f"{base}/Recipients.txt", recipients.encode("utf-8"), state)
    if body := _body(item):
        yield _bytes_member(f"{base}/{body[0]}", body[1], state)
    for unit in item_units(_PropertyItem(props), state.named):
        unit.name = f"{base}, {unit.name}"
        yield unit
    yield from _attachments(item, base, state, depth)


def _folder(folder: Any, prefix: str, state: _State, depth: int) -> Units:
    """The items of ``folder`` then its sub-folders, recursively."""
    try:
        messages = folder.number_of_sub_messages or 0
    except _READ_ERRORS:
        state.unreadable += 1
        messages = 0
    for index in range(messages):
        try:
            item = folder.get_sub_message(index)
        except _READ_ERRORS:
            state.unreadable += 1
            continue
        yield from _item(item, prefix, state, number=index + 1)
    try:
        folders = folder.number_of_sub_folders or 0
    except _READ_ERRORS:
        state.unreadable += 1
        folders = 0
    if folders and depth >= MAX_FOLDER_DEPTH:
        state.deep_folders += folders
        return
    used: set[str] = set()
    for index in range(folders):
        try:
            sub = folder.get_sub_folder(index)
            name = sub.name
        except _READ_ERRORS:
            state.unreadable += 1
            continue
        state.item()  # a folder counts as an item: a tree of empty folders is bounded too
        name = _unique(_clean(name, f"Folder{index + 1:05d}"), used)
        yield from _folder(sub, f"{prefix}{name}/", state, depth + 1)


def _orphans(pff: Any, state: _State) -> Units:
    import pypff

    try:
        count = pff.number_of_orphan_items or 0
    except _READ_ERRORS:
        return
    for index in range(count):
        try:
            item = pff.get_orphan_item(index)
        except _READ_ERRORS:
            state.unreadable += 1
            continue
        if item is None or isinstance(item, pypff.folder):
            continue  # an orphan folder: its items are orphans of their own
        yield from _item(item, "orphans/", state, number=index + 1)


def _declared_size(path: Path) -> tuple[int, int] | None:
    """(the size the header declares, ``ibFileEof``; the file's size), read to say why a
    file cannot be opened (MS-PST 2.2.2.6: Unicode from version 23, ANSI before)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(200)
            actual = handle.seek(0, 2)
            handle.seek(8)
            covered = handle.read(471)
    except OSError:
        return None
    if len(header) < 200 or header[:4] != b"!BDN":
        return None
    # dwCRCPartial: the PST's CRC-32 (no initial or final inversion) of bytes 8 to 479.
    if zlib.crc32(covered, 0xFFFFFFFF) ^ 0xFFFFFFFF != int.from_bytes(header[4:8], "little"):
        return None  # not a header at all: the sizes it would give mean nothing
    version = int.from_bytes(header[10:12], "little")
    at, width = (184, 8) if version >= 23 else (172, 4)
    return int.from_bytes(header[at : at + width], "little"), actual


def _run_recovery(pff: Any, engine: Any, state: _State) -> int:
    """libpff's recovery in a thread of its own (it releases the GIL), stopped through
    ``signal_abort`` past :data:`RECOVERY_TIMEOUT` or when the worker's own time limit
    interrupts the wait: it never outlives this call (the file is closed afterwards)."""
    found: list[int] = []

    def run() -> None:
        with contextlib.suppress(*_READ_ERRORS):
            found.append(engine.recover(pff))

    thread = threading.Thread(target=run, name="pst-recovery", daemon=True)
    thread.start()
    try:
        thread.join(RECOVERY_TIMEOUT)
    finally:
        if thread.is_alive():
            state.recovery_stopped = True
            with contextlib.suppress(*_READ_ERRORS):
                pff.signal_abort()
            thread.join()
    return found[0] if found and not state.recovery_stopped else 0


def _recovered(pff: Any, state: _State) -> Units:
    """Deleted items found by libpff's recovery, under ``recovered/``. Run last: the
    recovery scans the file's free space and rebuilds libpff's index roots as it goes."""
    engine = native()
    if engine is None:
        state.no_recovery = True
        return
    for index in range(_run_recovery(pff, engine, state)):
        try:
            item = engine.recovered_item(pff, index)
        except _READ_ERRORS:
            state.unreadable += 1
            continue
        if isinstance(item, engine.pypff.folder):
            continue  # a deleted folder: its deleted items are recovered of their own
        yield from _item(item, "recovered/", state, number=index + 1)


def _open(path: Path) -> Any:
    import pypff

    pff = pypff.file()
    try:
        pff.open(str(path))
    except _READ_ERRORS:
        sizes = _declared_size(path)
        if sizes and sizes[1] < sizes[0]:
            raise ExtractionError(f"truncated PST: {sizes[1]} of the {sizes[0]} bytes its "
                                  "header declares, index B-trees unreadable") from None
        raise ExtractionError("damaged PST: libpff cannot open the file (header or index "
                              "B-trees unreadable)") from None
    return pff


def partition_pst(path: Path) -> Units:
    """Every item of a PST/OST file (see the module docstring)."""
    # An in-memory file (/proc/self/fd/N) is opened by that path as it is.
    source = Path(path) if str(path).startswith("/proc/self/fd/") else Path(path).resolve()
    pff = _open(source)
    state = _State()
    stopped: str | None = None
    try:
        state.named = _named_ids(pff)
        try:
            root = pff.get_root_folder()
        except _READ_ERRORS:
            root = None
        if root is None:
            raise ExtractionError("damaged PST: no root folder (the folder tree is unreadable)")
        try:
            yield from _folder(root, "", state, 0)
            yield from _orphans(pff, state)
            yield from _recovered(pff, state)
        except _Stopped as exc:
            stopped = str(exc)
    finally:
        with contextlib.suppress(*_READ_ERRORS):
            pff.close()
    reasons = [stopped] if stopped else []
    if state.unreadable:
        reasons.append(f"damaged PST: {state.unreadable} items or parts not read")
    if state.too_deep:
        reasons.append(f"{state.too_deep} attached messages nested deeper than "
                       f"{MAX_EMBEDDING_DEPTH} levels skipped")
    if state.deep_folders:
        reasons.append(f"{state.deep_folders} folders nested deeper than {MAX_FOLDER_DEPTH} "
                       "levels skipped")
    if state.recovery_stopped:
        reasons.append(f"deleted-item recovery stopped after {RECOVERY_TIMEOUT:g} s")
    if state.no_recovery:
        reasons.append("deleted items not looked for (libpff's recovery unavailable)")
    if state.too_large:
        reasons.append(f"{state.too_large} attachments larger than "
                       f"{MAX_ATTACHMENT_BYTES >> 20} MiB skipped")
    if reasons:
        raise PartialContent("; ".join(reasons))
