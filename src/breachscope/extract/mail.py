"""Mail: ``eml`` (one RFC 822/MIME message), ``mbox`` (many) and ``msg`` (Outlook).

What a message gives:

- the **body**: each text/plain part, and each text/html part reduced to its visible text, as
  :class:`TextUnit` pieces named ``body`` (the first body part), ``body, part 2``...; lines are
  counted from the part's start (for HTML, the line of the HTML source). Of the alternatives of
  a ``multipart/alternative`` only one is read (plain text, else HTML), so a value is not found
  twice.
- the **Subject** as a :class:`TextUnit` named ``header Subject``.
- each **correspondent** of From, Sender, Reply-To, To and Cc as a :class:`RecordUnit` named
  ``header From`` (``header To``...) whose fields are the display name (``PERSON``, unless it
  is only the address) and the address (``EMAIL``), both at ``address N`` (N-th address of
  that header): findings read ``header To, address 2``. Role: ``UNKNOWN``.
- each **attachment** (a part with a file name or ``Content-Disposition: attachment``, an
  inline image, any non-text leaf part) as an :class:`EmbeddedFile` with a sanitized name
  (base name only, never empty, duplicates suffixed ``_2``, ``_3``); an attached message
  (``message/rfc822``) as ``<subject>.eml``, scanned in turn as a message:
  ``msg.eml!/fwd.eml!/liste.csv``.
- an **S/MIME** message (``application/pkcs7-mime``, MSSanté) is such an attachment,
  ``smime.p7m`` (``.p7m`` when unnamed), whose signed content
  :mod:`breachscope.extract.smime` yields in turn: ``msg.eml!/smime.p7m!/message.eml``; a
  clear-signed message's ``smime.p7s`` signature part gives its signer's certificate.

A message saved as UTF-16 (with or without a byte-order mark, little- or big-endian: how
some Windows tools save "Unicode" mail) or UTF-32 is decoded first and parsed as UTF-8; its
unencoded text parts are then read as that UTF-8 whatever charset they declare (the
characters are already known), base64 and quoted-printable parts in their declared charset.
A UTF-8 byte-order mark is dropped (it would hide the first header).

In an mbox, units are prefixed ``message N, `` and attachments named ``message-N/<file>``.

Limits: a message is parsed whole by the standard library's ``email`` package (memory a few
times its size), so one larger than :data:`MAX_MESSAGE_BYTES` is not MIME-decoded: its raw
lines are scanned as text (plain bodies and headers are still read, attachments are not
extracted). An mbox is streamed message by message. Malformed MIME is read as far as the
``email`` package's lenient parser goes; an unknown charset decodes with replacement
characters.

Outlook ``.msg`` files are read with ``python-oxmsg`` (MIT) over ``olefile``; the body is the
plain-text property, else the HTML one, else the compressed RTF (``compressed-rtf``, then
``striprtf``). Attached files become :class:`EmbeddedFile` items; an attached Outlook message
(attach method 5, a storage inside the file) is rebuilt as an RFC 822 message and yielded as
``<subject>.eml`` (its body, correspondents and own attachments), since no MIT-licensed writer
for compound files exists to copy it out as a ``.msg``. ``extract-msg`` is GPL: not used.

Every Outlook item class is read: besides subject, correspondents and body, a contact's
names, birthday, phones, e-mail addresses and addresses, an appointment's location and
times, a task's owner (:mod:`breachscope.extract.outlook_items`). An attached item other than
a mail keeps those as a second text part (``Item details``) of its rebuilt message.
"""

from __future__ import annotations

import email.policy
import mimetypes
import re
import unicodedata
from collections.abc import Callable, Iterator
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesFeedParser, BytesParser
from email.utils import getaddresses
from itertools import chain
from pathlib import Path
from typing import Any

from breachscope.extract.encoding import guess_encoding
from breachscope.extract.htmlfile import visible_text_units
from breachscope.extract.outlook_items import NamedIds, item_units, named_property_ids
from breachscope.extract.stream import decoded_chunks, segments, text_segments
from breachscope.extract.text import text_units
from breachscope.extract.units import (
    EmbeddedFile,
    ExtractionError,
    FieldValue,
    RecordUnit,
    TextUnit,
)

#: A message larger than this is not MIME-parsed (its raw lines are scanned as text).
MAX_MESSAGE_BYTES = 100 * 1024 * 1024
#: An Outlook file larger than this is refused (python-oxmsg reads every stream in memory).
MAX_MSG_BYTES = 256 * 1024 * 1024
#: Attachments are handed to the worker in slices of this size.
CHUNK_BYTES = 1 << 20
#: Attached messages nested deeper than this inside one .msg are not rebuilt.
MAX_MSG_DEPTH = 8

ADDRESS_HEADERS = ("From", "Sender", "Reply-To", "To", "Cc")
_POLICY = email.policy.default
_QUOTED_FROM = re.compile(rb">+From ")
#: Extensions for unnamed parts where :mod:`mimetypes` has none or another one (an S/MIME
#: message's body part is read by :mod:`breachscope.extract.smime`).
_EXTENSIONS = {"application/pkcs7-mime": ".p7m", "application/x-pkcs7-mime": ".p7m",
               "application/pkcs7-signature": ".p7s", "application/x-pkcs7-signature": ".p7s"}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
MAX_NAME_CHARS = 120


# ---------------------------------------------------------------- names


def sanitize_filename(raw: str | None, fallback: str) -> str:
    """A member name from an attachment's file name: the base name only (no directory, no
    ``..``), no control or path characters, at most :data:`MAX_NAME_CHARS` characters,
    ``fallback`` when nothing is left."""
    name = str(raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME_CHARS]
    return name or fallback


class _Names:
    """Unique member names within one message: ``liste.csv``, ``liste_2.csv``..."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.seen: set[str] = set()

    def take(self, name: str) -> str:
        candidate = name
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, dot, ext = name, "", ""
        number = 1
        while candidate.lower() in self.seen:
            number += 1
            candidate = f"{stem}_{number}{dot}{ext}"
        self.seen.add(candidate.lower())
        return self.prefix + candidate


def _slices(data: bytes) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(data), CHUNK_BYTES):
            yield bytes(view[start : start + CHUNK_BYTES])

    return chunks


# ---------------------------------------------------------------- text helpers


def _text_units(text: str, name: str) -> Iterator[TextUnit]:
    if text.strip():
        yield from text_units(text_segments(text), name, 1)


def html_units(html: str, name: str) -> Iterator[TextUnit]:
    """The visible text of an HTML body, each piece on its line of the HTML source."""
    return visible_text_units([html], name)


def _decode(data: bytes, charset: str | None) -> str:
    """Bytes of a text part in its declared charset; without one, UTF-8 else cp1252. An
    unknown charset or bad bytes give replacement characters, never an error."""
    if charset:
        try:
            return data.decode(charset, errors="replace")
        except (LookupError, ValueError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# ---------------------------------------------------------------- correspondents


def _folded(text: str) -> str:
    return " ".join(text.split()).strip().strip("'\"").strip().lower()


def correspondent_record(header: str, position: int, display_name: str, address: str,
                         prefix: str = "") -> RecordUnit | None:
    """One correspondent as a record: ``PERSON`` (the display name, unless it is empty or
    only an address) and ``EMAIL``; None when there is neither."""
    display_name = " ".join((display_name or "").split()).strip().strip("'\"").strip()
    address = (address or "").strip().strip("<>").strip()
    fields: list[FieldValue] = []
    location = f"address {position}"
    if display_name and "@" not in display_name and _folded(display_name) != _folded(address):
        fields.append(FieldValue("PERSON", display_name, location))
    if address:
        fields.append(FieldValue("EMAIL", address, location))
    if not fields:
        return None
    return RecordUnit(fields=fields, name=f"{prefix}header {header}", role_hint="UNKNOWN")


def _header_addresses(message: Message, header: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of every occurrence of ``header``; a header the
    structured parser cannot read is split by :func:`email.utils.getaddresses`."""
    pairs: list[tuple[str, str]] = []
    try:
        values = message.get_all(header) or []
    except Exception:  # a header the policy's parser chokes on: read it raw
        values = [v for k, v in message.raw_items() if k.lower() == header.lower()]
    for value in values:
        try:
            addresses = getattr(value, "addresses", None)
            if addresses is not None:
                for item in addresses:
                    if isinstance(item, Address):
                        pairs.append((item.display_name, item.addr_spec))
                continue
        except Exception:
            pass
        raw = str(value)
        for name, addr in getaddresses([raw]):
            pairs.append((name, addr))
    return pairs


def _header_units(message: Message, prefix: str) -> Iterator[TextUnit | RecordUnit]:
    try:
        subject = message.get("Subject")
    except Exception:
        subject = None
    if subject is not None:
        text = " ".join(str(subject).split())
        if text:
            yield TextUnit(text=text, name=f"{prefix}header Subject")
    for header in ADDRESS_HEADERS:
        for position, (name, addr) in enumerate(_header_addresses(message, header), 1):
            record = correspondent_record(header, position, name, addr, prefix)
            if record is not None:
                yield record


def _subject(message: Message) -> str:
    try:
        return " ".join(str(message.get("Subject") or "").split())
    except Exception:
        return ""


# ---------------------------------------------------------------- MIME messages


def _filename(part: Message) -> str | None:
    try:
        return part.get_filename()
    except Exception:
        raw = part.get_param("filename", header="content-disposition") or part.get_param("name")
        return str(raw) if raw else None


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    return disposition == "attachment" or bool(_filename(part))


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _message_bytes(message: Message) -> bytes:
    """An attached message serialized again (its bytes are not kept by the parser)."""
    for policy in (_POLICY, email.policy.compat32):
        try:
            return message.as_bytes(policy=policy)
        except Exception:
            continue
    return b""


class _MessageReader:
    """The units of one parsed message; ``prefix`` names its units (``message 3, ``) and
    ``names`` its attachments."""

    def __init__(self, prefix: str, names: _Names, transcoded: bool = False) -> None:
        self.prefix = prefix
        self.names = names
        self.bodies = 0
        self.parts = 0
        # The message was UTF-16/32 on disk and re-encoded as UTF-8 before parsing.
        self.transcoded = transcoded

    def units(self, message: Message) -> Iterator[TextUnit | RecordUnit | EmbeddedFile]:
        yield from _header_units(message, self.prefix)
        yield from self._walk(message, 0)

    def _walk(self, part: Message, depth: int) -> Iterator[TextUnit | EmbeddedFile]:
        if depth > 50:
            raise ExtractionError("mail parts nested too deeply")
        self.parts += 1
        content_type = part.get_content_type()
        if part.is_multipart() and content_type != "message/rfc822":
            children = [c for c in (part.get_payload() or []) if isinstance(c, Message)]
            if content_type == "multipart/alternative" and children:
                children = [self._preferred(children)]
            for child in children:
                yield from self._walk(child, depth + 1)
            return
        if content_type == "message/rfc822" or isinstance(part.get_payload(), list):
            inner = part.get_payload()
            inner_message = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner_message, Message):
                data = _message_bytes(inner_message)
                name = sanitize_filename(_subject(inner_message) or "message", "message")
                yield EmbeddedFile(self.names.take(name + ".eml"), _slices(data))
            return
        maintype = part.get_content_maintype()
        if content_type in ("text/plain", "text/html") and not _is_attachment(part):
            yield from self._body(part, content_type)
            return
        data = _payload_bytes(part)
        if not data and not _is_attachment(part):
            return
        ext = _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or (
            ".txt" if maintype == "text" else "")
        fallback = f"part-{self.parts}{ext}"
        name = sanitize_filename(_filename(part), fallback)
        yield EmbeddedFile(self.names.take(name), _slices(data))

    @staticmethod
    def _preferred(children: list[Message]) -> Message:
        for wanted in ("text/plain", "text/html"):
            for child in children:
                if child.get_content_type() == wanted and not _is_attachment(child):
                    return child
        return children[-1]

    def _body(self, part: Message, content_type: str) -> Iterator[TextUnit]:
        charset = part.get_content_charset()
        if self.transcoded and str(part.get("Content-Transfer-Encoding", "")).strip().lower() \
                not in ("base64", "quoted-printable"):
            charset = "utf-8"
        text = _decode(_payload_bytes(part), charset)
        if not text.strip():
            return
        self.bodies += 1
        name = "body" if self.bodies == 1 else f"body, part {self.bodies}"
        name = self.prefix + name
        if content_type == "text/html":
            yield from html_units(text, name)
        else:
            yield from _text_units(text, name)


def message_units(data: bytes, prefix: str = "",
                  names: _Names | None = None) -> Iterator[TextUnit | RecordUnit | EmbeddedFile]:
    """The units of one message given as bytes."""
    message = BytesParser(policy=_POLICY).parsebytes(data)
    yield from _MessageReader(prefix, names or _Names()).units(message)


def partition_eml(path: Path) -> Iterator[TextUnit | RecordUnit | EmbeddedFile]:
    """One RFC 822 message (see the module docstring)."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_MESSAGE_BYTES:
        # Too large to parse whole: its raw lines as text (headers, plain bodies).
        yield from text_units(segments(decoded_chunks(path)), "", 1)
        return
    with path.open("rb") as handle:
        head = handle.read(4096)
    encoding = guess_encoding(head, partial=True)
    if encoding.startswith(("utf-16", "utf-32")):
        # Decoded whole (bounded by MAX_MESSAGE_BYTES), then parsed as UTF-8.
        codec = encoding.removesuffix("-sig")  # a BOM is decoded as U+FEFF, dropped below
        data = path.read_bytes()
        text = data.decode(codec, errors="replace").lstrip("\ufeff")
        del data
        message = BytesParser(policy=_POLICY).parsebytes(
            text.encode("utf-8", "surrogateescape"))
        yield from _MessageReader("", _Names(), transcoded=True).units(message)
        return
    parser = BytesFeedParser(policy=_POLICY)
    with path.open("rb") as handle:
        if handle.read(3) != b"\xef\xbb\xbf":  # a UTF-8 BOM would hide the first header
            handle.seek(0)
        while block := handle.read(CHUNK_BYTES):
            parser.feed(block)
    message = parser.close()
    yield from _MessageReader("", _Names()).units(message)


# ---------------------------------------------------------------- mbox


def _numbered(handle: Any) -> Iterator[tuple[int, bytes]]:
    """Lines of a binary file with their numbers (a line longer than :data:`CHUNK_BYTES`
    comes in several pieces with the same number)."""
    number = 1
    while line := handle.readline(CHUNK_BYTES):
        yield number, line
        if line.endswith(b"\n"):
            number += 1


def _mbox_messages(path: Path) -> Iterator[tuple[int, int, list[bytes] | None, Any]]:
    """Messages of an mbox, streamed: ``(number, first line, lines, None)`` for a message
    small enough to parse, ``(number, first line, None, line iterator)`` for a larger one
    (consumed, or skipped, before the next message is read).

    Hand-written because :mod:`mailbox` opens the file read-write and indexes the whole file
    in a first pass; the split is the mbox rule itself: a line starting ``From `` at the start
    of the file or after a blank line begins a message (``>From `` lines are body lines)."""
    with path.open("rb") as handle:
        lines = _numbered(handle)
        head = next(lines, None)
        number = 0
        while head is not None:
            number += 1
            line_no, line = head
            from_line = line.startswith(b"From ")
            first = line_no + 1 if from_line else line_no
            held = [] if from_line else [line]
            boundary: list[tuple[int, bytes]] = []

            def body(boundary: list[tuple[int, bytes]] = boundary) -> Iterator[bytes]:
                previous_blank = False
                for item in lines:
                    if previous_blank and item[1].startswith(b"From "):
                        boundary.append(item)
                        return
                    previous_blank = not item[1].strip()
                    # mboxrd quoting: ">From " (">>From "...) in a body loses one ">"
                    yield item[1][1:] if _QUOTED_FROM.match(item[1]) else item[1]

            rest = body()
            size = sum(map(len, held))
            for piece in rest:
                held.append(piece)
                size += len(piece)
                if size > MAX_MESSAGE_BYTES:
                    break
            if size > MAX_MESSAGE_BYTES:
                yield number, first, None, chain(held, rest)
                for _ in rest:  # what the consumer left
                    pass
            else:
                yield number, first, held, None
            held = []
            head = boundary[0] if boundary else None


def partition_mbox(path: Path) -> Iterator[TextUnit | RecordUnit | EmbeddedFile]:
    """Every message of an mbox file, streamed (see the module docstring)."""
    for number, first, lines, raw in _mbox_messages(Path(path)):
        prefix = f"message {number}, "
        if lines is None:
            pieces = segments(line.decode("utf-8", "replace") for line in raw)
            yield from text_units(pieces, f"message {number}", first)
            continue
        data = b"".join(lines)
        del lines
        yield from message_units(data, prefix, _Names(f"message-{number}/"))


# ---------------------------------------------------------------- Outlook .msg

PID_ATTACH_METHOD = 0x3705
PID_ATTACH_FILENAME = 0x3704
PID_DISPLAY_NAME = 0x3001
PID_RTF_COMPRESSED = 0x1009
PID_RECIPIENT_TYPE = 0x0C15
ATTACH_EMBEDDED_MSG = 5
EMBEDDED_MSG_STORAGE = "__substg1.0_3701000D"
_RECIPIENT_HEADERS = {1: "To", 2: "Cc", 3: "Bcc"}


def _oxmsg_message(storage: Any, embedded: bool) -> Any:
    """A python-oxmsg ``Message`` over a storage; an embedded message's property stream has
    a 24-byte header instead of 32 (MS-OXMSG 2.4.1)."""
    from oxmsg import Message as OxMessage
    from oxmsg.properties import Properties

    message = OxMessage(storage)
    if embedded:
        message.__dict__["_properties"] = Properties(storage, properties_header_offset=24)
    return message


def _prop(getter: Callable[[int], Any], pid: int) -> Any:
    try:
        return getter(pid)
    except Exception:  # a missing or malformed property stream
        return None


def _msg_body(message: Any) -> tuple[str, str] | None:
    """(kind, text) of the best body: plain, HTML or RTF."""
    for kind, read in (("text", lambda: message.body), ("html", lambda: message.html_body)):
        try:
            text = read()
        except Exception:
            text = None
        if text and text.strip():
            return kind, text
    rtf = _prop(message.properties.binary_prop_value, PID_RTF_COMPRESSED)
    if rtf:
        try:
            from compressed_rtf import decompress
            from striprtf.striprtf import rtf_to_text

            return "text", rtf_to_text(decompress(rtf).decode("latin-1"), errors="replace")
        except Exception:
            return None
    return None


def _msg_correspondents(message: Any) -> list[tuple[str, str, str]]:
    """(header, display name, address) of the sender and every recipient."""
    out: list[tuple[str, str, str]] = []
    try:
        headers = message._message_headers
        from_values = headers.get_all("from") or []
    except Exception:
        from_values = []
    if from_values:
        out.extend(("From", n, a) for n, a in getaddresses([str(v) for v in from_values]))
    else:
        props = message.properties
        name = _prop(props.str_prop_value, 0x0C1A) or ""  # PidTagSenderName
        addr = (_prop(props.str_prop_value, 0x5D01)  # PidTagSenderSmtpAddress
                or _prop(props.str_prop_value, 0x0C1F) or "")  # PidTagSenderEmailAddress
        if "@" not in addr:
            addr = ""  # an Exchange X.500 address is no e-mail
        if name or addr:
            out.append(("From", name, addr))
    try:
        recipients = message.recipients
    except Exception:
        recipients = ()
    for recipient in recipients:
        try:
            kind = recipient.properties.int_prop_value(PID_RECIPIENT_TYPE)
            name, addr = recipient.name, recipient.email_address
        except Exception:
            continue
        if "@" not in (addr or ""):
            addr = ""
        out.append((_RECIPIENT_HEADERS.get(kind or 1, "To"), name, addr))
    return out


def _msg_units(message: Any, names: _Names, depth: int,
               named: NamedIds) -> Iterator[TextUnit | RecordUnit | EmbeddedFile]:
    subject = " ".join((message.subject or "").split())
    if subject:
        yield TextUnit(text=subject, name="header Subject")
    positions: dict[str, int] = {}
    for header, name, addr in _msg_correspondents(message):
        positions[header] = positions.get(header, 0) + 1
        record = correspondent_record(header, positions[header], name, addr)
        if record is not None:
            yield record
    yield from item_units(message, named)
    body = _msg_body(message)
    if body is not None:
        kind, text = body
        yield from html_units(text, "body") if kind == "html" else _text_units(text, "body")
    for index, attachment in enumerate(message.attachments, 1):
        yield from _msg_attachment(attachment, index, names, depth, named)


def _item_details(message: Any, named: NamedIds) -> str:
    """An item's own properties (a contact's fields...) as labelled lines."""
    lines: list[str] = []
    for unit in item_units(message, named):
        if isinstance(unit, RecordUnit):
            lines.extend(f"{f.location}: {f.value}" for f in unit.fields)
        else:
            lines.append(unit.text)
    return "\n".join(lines)


def _msg_attachment(attachment: Any, index: int, names: _Names, depth: int,
                    named: NamedIds) -> Iterator[EmbeddedFile]:
    props = attachment.properties
    method = _prop(props.int_prop_value, PID_ATTACH_METHOD)
    if method == ATTACH_EMBEDDED_MSG:
        inner = next((s for s in attachment._storage.storages
                      if s.name == EMBEDDED_MSG_STORAGE), None)
        if inner is None or depth >= MAX_MSG_DEPTH:
            return
        message = _oxmsg_message(inner, embedded=True)
        name = sanitize_filename(message.subject or "message", "message")
        data = _msg_as_eml(message, depth + 1, named)
        yield EmbeddedFile(names.take(name + ".eml"), _slices(data))
        return
    data = _prop(lambda _pid: attachment.file_bytes, 0)
    if not data:
        return  # attached by reference (a path or URL) or empty
    raw_name = (_prop(lambda _pid: attachment.file_name, 0)
                or _prop(props.str_prop_value, PID_ATTACH_FILENAME)
                or _prop(props.str_prop_value, PID_DISPLAY_NAME))
    yield EmbeddedFile(names.take(sanitize_filename(raw_name, f"attachment-{index}")),
                       _slices(data))


def _msg_as_eml(message: Any, depth: int, named: NamedIds) -> bytes:
    """An Outlook message rebuilt as an RFC 822 message: subject, correspondents, body and
    attachments (attached messages nested the same way, as ``message/rfc822`` parts)."""
    out = EmailMessage(policy=_POLICY)
    subject = " ".join((message.subject or "").split())
    if subject:
        out["Subject"] = subject
    grouped: dict[str, list[Address]] = {}
    for header, name, addr in _msg_correspondents(message):
        name = " ".join((name or "").split())
        try:
            address = Address(display_name=name, addr_spec=addr) if addr else Address(name)
        except Exception:
            address = Address(display_name=name)
        grouped.setdefault(header, []).append(address)
    for header, values in grouped.items():
        try:
            out[header] = values
        except Exception:
            continue
    body = _msg_body(message)
    kind, text = body if body else ("text", "")
    out.set_content(text, subtype="html" if kind == "html" else "plain")
    if details := _item_details(message, named):
        out.add_attachment(details, subtype="plain", disposition="inline")
    names = _Names()
    for index, attachment in enumerate(message.attachments, 1):
        is_message = _prop(attachment.properties.int_prop_value,
                           PID_ATTACH_METHOD) == ATTACH_EMBEDDED_MSG
        for embedded in _msg_attachment(attachment, index, names, depth, named):
            data = b"".join(embedded.chunks())
            if is_message:
                out.add_attachment(BytesParser(policy=_POLICY).parsebytes(data))
            else:
                out.add_attachment(data, maintype="application", subtype="octet-stream",
                                   filename=embedded.name)
    return _message_bytes(out)


def partition_msg(path: Path) -> Iterator[TextUnit | RecordUnit | EmbeddedFile]:
    """An Outlook ``.msg`` file (see the module docstring)."""
    from olefile import OleFileIO, isOleFile
    from oxmsg.storage import Storage

    path = Path(path)
    if path.stat().st_size > MAX_MSG_BYTES:
        raise ExtractionError(f"msg larger than {MAX_MSG_BYTES >> 20} MiB: not read")
    if not isOleFile(str(path)):
        raise ExtractionError("not an Outlook compound file")
    try:
        with OleFileIO(str(path)) as ole:
            storage = Storage.from_ole(ole)
            defects = len(ole.parsing_issues)
    except RecursionError:
        raise ExtractionError("msg storages nested too deeply") from None
    except Exception as exc:
        raise ExtractionError(f"corrupt msg: {type(exc).__name__}") from None
    properties = next((s for s in storage.streams if s.name == "__properties_version1.0"), None)
    if properties is None or len(properties.bytes_) < 32:
        raise ExtractionError("corrupt msg: no property stream")
    message = _oxmsg_message(storage, embedded=False)
    try:
        named = named_property_ids(storage)
    except Exception:  # a damaged name map: the named fields are not read, the rest is
        named = {}
    yield from _msg_units(message, _Names(), 0, named)
    if defects:  # olefile read around damage (a cut file, bad sector chains): data is lost
        raise ExtractionError(f"damaged msg: {defects} defects in the compound file "
                              "(what could be read was scanned)")
