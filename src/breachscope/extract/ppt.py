"""PowerPoint 97-2003 presentations (``.ppt``: records in the ``PowerPoint Document`` stream
of an OLE compound file) → a text unit per slide and per slide's notes.

Why a parser here rather than Debian's ``catppt``: catppt prints the text of the slides'
placeholders that PowerPoint caches in the document's ``SlideListWithText``, and nothing
else: on a public test file whose slides hold text boxes (Unstructured's
``fake-power-point.ppt``) it prints nothing at all, and on the test sample
(``tests/samples/office_more.py``) the title only, not the NIR in a text box. Nor does
any maintained Python library read ``.ppt`` text. The format is documented ([MS-PPT]) and
the part needed is small: records are an 8-byte header (version/instance, type, length) and
containers nest records.
olefile (BSD, already used to sniff OLE files) reads the streams; this module reads:

- the persist directory: ``Current User`` gives the offset of the last ``UserEditAtom``,
  each edit gives its ``PersistDirectoryAtom`` (persist id → stream offset) and the previous
  edit (incremental saves): the newest offset of each object is its current version;
- the document container's ``SlideListWithText`` lists (slides, then notes), in slide order:
  each ``SlidePersistAtom`` names a slide's persist id, followed by the text PowerPoint caches
  for its placeholders (``TextCharsAtom`` UTF-16, ``TextBytesAtom`` 8-bit);
- each slide's and notes page's container: every text atom inside it (text boxes, shapes,
  tables' cells), at any depth; and the earlier versions of a slide an incremental save left
  in the stream (text deleted by an edit is still in the file): their lines the current
  version no longer holds make a unit ``slide N (earlier version)``.

Units: ``headers and footers`` (the presentation's footer and header text: a department, a
phone number); ``slide N`` (N = the slide's position in the presentation, from 1), one line
per paragraph; ``slide N notes`` for its speaker notes (notes are matched to slides by the
slide id the ``NotesAtom`` names). A text met twice for one slide (cached and in a shape) is
kept once. When the persist directory is damaged, the stream is read in order instead: every
slide container is a slide, numbered as met.

Limits: the stream is read whole only up to :data:`MAX_STREAM`; records nest at most
:data:`MAX_DEPTH` deep; an edit chain is followed at most :data:`MAX_EDITS` steps (a loop is
cut). A record's length never reaches past its container. A password-protected
presentation (``Current User``'s encrypted header token) is decrypted with the scan's
passwords (:mod:`breachscope.extract.office_crypto`) or recorded ``encrypted``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from breachscope.extract.units import ExtractionError, TextUnit

#: Biggest ``PowerPoint Document`` stream read (bytes).
MAX_STREAM = 512 * 1024 * 1024
#: Deepest nesting of containers followed.
MAX_DEPTH = 32
#: Longest chain of incremental edits followed.
MAX_EDITS = 4096
#: Versions of one slide read (the current one and earlier ones still in the stream).
MAX_VERSIONS = 16

_DOCUMENT, _SLIDE, _NOTES = 0x03E8, 0x03EE, 0x03F0
_NOTES_ATOM, _SLIDE_PERSIST, _SLIDE_LIST = 0x03F1, 0x03F3, 0x0FF0
_TEXT_CHARS, _TEXT_BYTES = 0x0FA0, 0x0FA8
_HEADERS_FOOTERS, _CSTRING = 0x0FD9, 0x0FBA
_USER_EDIT, _PERSIST_DIRECTORY, _CURRENT_USER = 0x0FF5, 0x1772, 0x0FF6
_ENCRYPTED_TOKEN = 0xF3D1C4DF
_HEADER = struct.Struct("<HHI")


class _Damaged(Exception):
    """The persist directory cannot be followed: read the stream in order instead."""


def partition_ppt(path: Path) -> Iterator[TextUnit]:
    """Stream the text of the PowerPoint 97-2003 presentation at ``path``."""
    import olefile

    path = Path(path)
    try:
        with olefile.OleFileIO(str(path)) as ole:
            if not ole.exists("PowerPoint Document"):
                raise ExtractionError("corrupt ppt: no PowerPoint Document stream")
            if ole.get_size("PowerPoint Document") > MAX_STREAM:
                raise ExtractionError(
                    f"ppt refused: document stream over {MAX_STREAM // 1024**2} MiB")
            stream = ole.openstream("PowerPoint Document").read()
            user = ole.openstream("Current User").read(4096) if ole.exists(
                "Current User") else b""
    except ExtractionError:
        raise
    except Exception as exc:
        raise ExtractionError(f"corrupt ppt: {type(exc).__name__}") from None
    if _encrypted(user):
        from breachscope.extract.office_crypto import partition_decrypted

        yield from partition_decrypted(path, "ppt")
        return
    try:
        slides = _by_directory(stream, user)
    except _Damaged:
        slides = _in_stream_order(stream)
    for name, lines in slides:
        text = "\n".join(lines)
        if text.strip():
            yield TextUnit(text=text, name=name)


def _encrypted(user: bytes) -> bool:
    if len(user) < 16:
        return False
    _, kind, _ = _HEADER.unpack_from(user, 0)
    return kind == _CURRENT_USER and struct.unpack_from("<I", user, 12)[0] == _ENCRYPTED_TOKEN


def _records(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """The records directly inside ``data[start:end]``: ``(type, instance, body start, body
    end)``; a record claiming more than its container holds is cut to it."""
    offset = start
    while offset + 8 <= end:
        version_instance, kind, length = _HEADER.unpack_from(data, offset)
        body = offset + 8
        stop = min(end, body + length)
        yield kind, version_instance, body, stop
        offset = body + length


def _is_container(version_instance: int) -> bool:
    return version_instance & 0x000F == 0x000F


def _texts(data: bytes, start: int, end: int, depth: int = 0, parent: int = 0) -> list[str]:
    """Every text atom inside ``data[start:end]``, at any depth (up to :data:`MAX_DEPTH`),
    as paragraphs, in document order; and the header and footer text of a headers/footers
    container (``CString`` atoms of instance 1 and 2)."""
    lines: list[str] = []
    for kind, version_instance, body, body_end in _records(data, start, end):
        if kind in (_TEXT_CHARS, _TEXT_BYTES):
            lines.extend(_decode(kind, data[body:body_end]))
        elif kind == _CSTRING and parent == _HEADERS_FOOTERS and version_instance >> 4 in (1, 2):
            lines.extend(_decode(_TEXT_CHARS, data[body:body_end]))
        elif _is_container(version_instance) and depth < MAX_DEPTH:
            lines.extend(_texts(data, body, body_end, depth + 1, kind))
    return lines


def _decode(kind: int, raw: bytes) -> list[str]:
    if kind == _TEXT_CHARS:
        text = raw[: len(raw) - len(raw) % 2].decode("utf-16-le", "replace")
    else:
        text = raw.decode("latin-1")  # the low bytes of UTF-16 code units
    text = text.replace("\r\n", "\r").replace("\x0b", "\r")
    return [line.strip() for line in text.split("\r")]


def _persist_offsets(stream: bytes, user: bytes) -> tuple[dict[int, list[int]], int]:
    """persist id → offsets of the versions of each object, newest first, and the
    document's persist id, from the chain of edits ``Current User`` points at."""
    if len(user) < 20:
        raise _Damaged
    _, kind, _ = _HEADER.unpack_from(user, 0)
    if kind != _CURRENT_USER:
        raise _Damaged
    edit = struct.unpack_from("<I", user, 16)[0]
    offsets: dict[int, list[int]] = {}
    document: int | None = None
    seen: set[int] = set()
    while edit and edit not in seen and len(seen) < MAX_EDITS:
        seen.add(edit)
        if edit + 8 + 20 > len(stream):
            raise _Damaged
        _, kind, _ = _HEADER.unpack_from(stream, edit)
        if kind != _USER_EDIT:
            raise _Damaged
        previous, directory, document_ref = struct.unpack_from("<III", stream, edit + 16)
        if document is None:
            document = document_ref
        _read_directory(stream, directory, offsets)
        edit = previous
    if document is None or document not in offsets:
        raise _Damaged
    return offsets, document


def _read_directory(stream: bytes, offset: int, offsets: dict[int, list[int]]) -> None:
    if offset + 8 > len(stream):
        raise _Damaged
    _, kind, length = _HEADER.unpack_from(stream, offset)
    if kind != _PERSIST_DIRECTORY:
        raise _Damaged
    position, end = offset + 8, min(len(stream), offset + 8 + length)
    while position + 4 <= end:
        entry = struct.unpack_from("<I", stream, position)[0]
        first, count = entry & 0xFFFFF, entry >> 20
        position += 4
        for index in range(count):
            if position + 4 > end:
                break
            versions = offsets.setdefault(first + index, [])
            if len(versions) < MAX_VERSIONS:  # edits are read newest first
                found = struct.unpack_from("<I", stream, position)[0]
                if found not in versions:
                    versions.append(found)
            position += 4


def _container(stream: bytes, offset: int | None, kind: int) -> tuple[int, int] | None:
    """The body of the record of type ``kind`` at ``offset``, if it is one."""
    if offset is None or offset + 8 > len(stream):
        return None
    _, found, length = _HEADER.unpack_from(stream, offset)
    if found != kind:
        return None
    return offset + 8, min(len(stream), offset + 8 + length)


def _by_directory(stream: bytes, user: bytes) -> list[tuple[str, list[str]]]:
    offsets, document_id = _persist_offsets(stream, user)
    document = _container(stream, offsets[document_id][0], _DOCUMENT)
    if document is None:
        raise _Damaged
    slides: list[tuple[int, int, list[str]]] = []  # persist id, slide id, cached texts
    notes_ids: list[int] = []
    for kind, instance, body, end in _records(stream, *document):
        if kind != _SLIDE_LIST or instance >> 4 not in (0, 2):
            continue
        for item_kind, _, item_body, item_end in _records(stream, body, end):
            if item_kind == _SLIDE_PERSIST and item_end - item_body >= 16:
                persist, _, _, slide_id = struct.unpack_from("<IIII", stream, item_body)
                if instance >> 4 == 0:
                    slides.append((persist, slide_id, []))
                else:
                    notes_ids.append(persist)
            elif item_kind in (_TEXT_CHARS, _TEXT_BYTES) and instance >> 4 == 0 and slides:
                slides[-1][2].extend(_decode(item_kind, stream[item_body:item_end]))
    numbers = {slide_id: number for number, (_, slide_id, _) in enumerate(slides, start=1)}
    out: list[tuple[str, list[str]]] = []
    footers = [line for kind, _, body, end in _records(stream, *document)
               if kind == _HEADERS_FOOTERS
               for line in _texts(stream, body, end, 1, _HEADERS_FOOTERS)]
    if footers:  # the presentation's own headers and footers (each slide may add its own)
        out.append(("headers and footers", _unique(footers)))
    for number, (persist, _, cached) in enumerate(slides, start=1):
        out.extend(_versions(stream, offsets.get(persist, []), _SLIDE, f"slide {number}",
                             cached))
    for persist in notes_ids:
        versions = offsets.get(persist, [])
        body = _container(stream, versions[0] if versions else None, _NOTES)
        if body is None:
            continue
        slide = next((struct.unpack_from("<I", stream, b)[0]
                      for kind, _, b, e in _records(stream, *body)
                      if kind == _NOTES_ATOM and e - b >= 4), None)
        number = numbers.get(slide)
        out.extend(_versions(stream, versions, _NOTES,
                             f"slide {number} notes" if number else "notes", []))
    return out


def _versions(stream: bytes, versions: list[int], kind: int, name: str, cached: list[str]
              ) -> list[tuple[str, list[str]]]:
    """The current version of a slide or notes page as ``name``, then the lines of earlier
    versions still in the stream (an incremental save appends, it does not erase) that the
    current one no longer holds, as ``name (earlier version)``."""
    out: list[tuple[str, list[str]]] = []
    current: set[str] = set()
    for index, offset in enumerate(versions or [None]):
        body = _container(stream, offset, kind)
        lines = _unique((cached if index == 0 else []) + (_texts(stream, *body) if body else []))
        if index == 0:
            current = set(lines)
            out.append((name, lines))
        else:
            older = [line for line in lines if line not in current]
            if older:
                out.append((f"{name} (earlier version)", older))
    return out


def _in_stream_order(stream: bytes) -> list[tuple[str, list[str]]]:
    """Every slide and notes container met at the top of the stream, in order."""
    out: list[tuple[str, list[str]]] = []
    slides = notes = 0
    for kind, _, body, end in _records(stream, 0, len(stream)):
        if kind == _SLIDE:
            slides += 1
            out.append((f"slide {slides}", _unique(_texts(stream, body, end))))
        elif kind == _NOTES:
            notes += 1
            out.append((f"notes {notes}", _unique(_texts(stream, body, end))))
    return out


def _unique(lines: list[str]) -> list[str]:
    """The non-empty lines, each once, in order (a placeholder's text is cached in the
    slide list and may be repeated in the slide's shapes)."""
    seen: set[str] = set()
    out = []
    for line in lines:
        if line and line not in seen:
            seen.add(line)
            out.append(line)
    return out
