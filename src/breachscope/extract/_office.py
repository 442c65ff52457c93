"""Helpers shared by the office-document extractors (ODS, XLS, DOCX, ODT, RTF, DOC): the
zip-bomb check for zip-based formats, the embedded objects and pictures of a zip-based
document as members, sheet layout (title rows, header, chunks) from rows already turned into
strings, and cell values as strings."""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from pathlib import Path

from breachscope.extract._ole import OLE_MAGIC, ole_payload
from breachscope.extract._table import HEADER_SEARCH_ROWS, find_header, span, table_chunks
from breachscope.extract.units import EmbeddedFile, ExtractionError, TableUnit, TextUnit

#: Refuse zip-based documents whose parts inflate beyond this (zip bombs dressed as office
#: files), as :mod:`breachscope.extract.spreadsheet` does for XLSX...
MAX_UNCOMPRESSED = 4 * 1024**3
#: ...or inflate more than this ratio once past :data:`RATIO_FLOOR` bytes.
MAX_RATIO = 200
RATIO_FLOOR = 100 * 1024**2
#: Parts parsed whole into a tree (DOCX and ODT XML parts) may not inflate beyond this.
MAX_PARSED_PART = 512 * 1024**2

#: An embedded object or picture bigger than this once inflated is not read (recorded as a
#: skipped member with the reason)...
MAX_EMBEDDED_PART = 64 * 1024**2
#: ...nor one inflating more than :data:`MAX_RATIO` times once past this (a small part's ratio
#: says nothing: a blank 200 KiB bitmap deflates 300 times, and harms no one)...
EMBEDDED_RATIO_FLOOR = 1024**2
#: ...nor the parts past this total, or past this count, in one document.
MAX_EMBEDDED_TOTAL = 512 * 1024**2
MAX_EMBEDDED_PARTS = 500
_CHUNK = 1 << 20
#: Where an OpenDocument keeps its objects (``Object 1/`` folders, ``Object 2`` OLE files)
#: and pictures; ``ObjectReplacements/`` (previews of the objects) and ``Thumbnails/`` (of
#: the first page) repeat what is read elsewhere.
ODF_EMBEDDED = ("Object ", "Pictures/")
#: Member name extensions of the ODF sub-documents rebuilt from an ``Object N/`` folder.
_ODF_OBJECTS = {"application/vnd.oasis.opendocument.text": "odt",
                "application/vnd.oasis.opendocument.spreadsheet": "ods"}


def check_zip(path: Path, kind: str, parsed: Iterable[str] = ()) -> list[zipfile.ZipInfo]:
    """Refuse a zip-based ``kind`` file that is not a zip or would inflate too much; the
    members named in ``parsed`` (XML parts a library loads whole) have their own limit.
    Returns the members."""
    with open_zip(path, kind) as archive:
        return checked_members(archive, kind, parsed)


def open_zip(path: Path, kind: str) -> zipfile.ZipFile:
    """The zip of a ``kind`` document, read once for all its parts (its central directory is
    read whole on opening: issue 15, a letter's zip was opened five times); a file that is not
    a zip raises :class:`ExtractionError` (``corrupt docx: ...``)."""
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"corrupt {kind}: {str(exc)[:120]}") from None


def checked_members(archive: zipfile.ZipFile, kind: str,
                    parsed: Iterable[str] | Callable[[str], bool] = ()
                    ) -> list[zipfile.ZipInfo]:
    """The members of an open ``kind`` zip, refused (:class:`ExtractionError`) when they would
    inflate too much or when a member named in ``parsed`` (a collection of names, or a test
    of a name) is over :data:`MAX_PARSED_PART`."""
    members = archive.infolist()
    inflated = sum(m.file_size for m in members)
    compressed = sum(m.compress_size for m in members) or 1
    if inflated > MAX_UNCOMPRESSED or (
        inflated > RATIO_FLOOR and inflated / compressed > MAX_RATIO
    ):
        raise ExtractionError(
            f"{kind} refused: {inflated // 1024**2} MiB uncompressed "
            f"(ratio {inflated // compressed})"
        )
    is_parsed = parsed if callable(parsed) else set(parsed).__contains__
    for member in members:
        if member.file_size > MAX_PARSED_PART and is_parsed(member.filename):
            raise ExtractionError(
                f"{kind} refused: part {member.filename} is {member.file_size // 1024**2} MiB"
            )
    return members


def odf_encrypted(path: Path) -> bool:
    """Whether the OpenDocument file at ``path`` is password protected: its manifest (a small
    part, read up to 1 MiB) gives parts ``encryption-data``."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("META-INF/manifest.xml") as part:
            return b"encryption-data" in part.read(1 << 20)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
            zlib.error):
        return False


def cell_text(value: object) -> str:
    """A cell value read by a spreadsheet library as a string: dates ``YYYY-MM-DD`` (the time
    only when it is not midnight), integral numbers as digits (a NIR stored as a number gives
    its 15 digits, no exponent, no ``.0``), other floats ``repr``, booleans ``TRUE``/``FALSE``,
    ``None`` as ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def sheet_units(name: str, rows: Iterator[tuple[int, list[str]]]
                ) -> Iterator[TableUnit | TextUnit]:
    """One sheet's units from its non-empty rows ``(row number, cells)``: the title rows
    above the header as a :class:`TextUnit` (line numbers = row numbers), then the table in
    chunks (see :func:`~breachscope.extract._table.table_chunks`)."""
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    if not head:
        return
    header_index, data_start = find_header([cells for _, cells in head])
    header = head[header_index][1] if header_index is not None else []
    title_end = header_index if header_index is not None else data_start
    if title_end:
        lines = [""] * head[title_end - 1][0]
        for number, cells in head[:title_end]:
            lines[number - 1] = " ".join(c for c in cells if c)
        yield TextUnit(text="\n".join(lines), name=name, first_line=1)
    yield from table_chunks(name, header, chain(head[data_start:], rows))


def trimmed(cells: list[str]) -> list[str]:
    """``cells`` without its trailing empty cells."""
    end = span(cells)
    return cells if end == len(cells) else cells[:end]


# -- embedded objects and pictures -----------------------------------------------------------

def embedded_parts(path: Path, kind: str, members: list[zipfile.ZipInfo],
                   folders: tuple[str, ...]) -> Iterator[EmbeddedFile]:
    """The objects and pictures of the zip-based document at ``path`` as members for the
    worker to scan: every part under ``folders`` (``word/embeddings/``, ``word/media/``),
    named by its base name (``image3.png``, ``Microsoft_Excel_Worksheet.xlsx``), unique in the
    document. An OLE object (``oleObject1.bin``, an ODF ``Object 2``) gives the file it wraps
    (:func:`~breachscope.extract._ole.ole_payload`: ``rapport.pdf``). For an OpenDocument
    (``folders`` holding ``Object ``), an embedded text or spreadsheet stored as a folder
    (``Object 1/content.xml``...) is rebuilt as a document of its own (``Object 1.ods``).

    The document is hostile: a part over :data:`MAX_EMBEDDED_PART` or inflating more than
    :data:`MAX_RATIO` times (past :data:`EMBEDDED_RATIO_FLOOR`), or past the document's
    :data:`MAX_EMBEDDED_TOTAL` / :data:`MAX_EMBEDDED_PARTS`, is not read: it is yielded as a
    member whose reading fails with the reason (recorded ``skipped``). Zip's own reader stops
    at a part's declared size and checks its CRC."""
    shared = SharedZip(path)
    try:
        yield from _embedded_parts(shared, kind, members, folders)
    finally:
        shared.close()


def _embedded_parts(shared: SharedZip, kind: str, members: list[zipfile.ZipInfo],
                    folders: tuple[str, ...]) -> Iterator[EmbeddedFile]:
    names = UniqueNames()
    total = count = 0
    odf_folders: dict[str, list[zipfile.ZipInfo]] = {}
    for info in members:
        name = info.filename
        if info.is_dir() or not name.startswith(folders):
            continue
        top, _, rest = name.partition("/")
        if top.startswith("Object ") and rest:  # an ODF object stored as a folder
            odf_folders.setdefault(top, []).append(info)
            continue
        count += 1
        if count > MAX_EMBEDDED_PARTS:
            break
        base = posixpath.basename(name)
        refusal = _part_refusal(info, total)
        if refusal is not None:
            yield EmbeddedFile(names.take(base, "part"), refused_chunks(refusal))
            continue
        total += info.file_size
        if _maybe_ole(shared, name, base):
            yield _ole_member(shared, kind, name, base, names)
        else:
            yield EmbeddedFile(names.take(base, "part"), part_chunks(shared, name, kind))
    if count > MAX_EMBEDDED_PARTS:
        yield EmbeddedFile("more embedded parts", refused_chunks(
            f"{kind}: more than {MAX_EMBEDDED_PARTS} embedded objects and pictures; "
            "the rest not read"))
    if odf_folders:
        types = _odf_object_types(shared)
        for folder, parts in odf_folders.items():
            extension = types.get(folder)
            if extension is None:
                continue  # a chart or a formula: no document of its own
            size = sum(p.file_size for p in parts)
            refusal = _size_refusal(size, sum(p.compress_size for p in parts), total)
            if refusal is not None:
                yield EmbeddedFile(names.take(f"{folder}.{extension}", "object"),
                                   refused_chunks(refusal))
                continue
            total += size
            yield EmbeddedFile(names.take(f"{folder}.{extension}", "object"),
                               _odf_object_chunks(shared, kind, folder, extension, parts))


def _part_refusal(info: zipfile.ZipInfo, total: int) -> str | None:
    return _size_refusal(info.file_size, info.compress_size, total)


def _size_refusal(size: int, compressed: int, total: int) -> str | None:
    """Why an embedded part of ``size`` bytes (``compressed`` in the zip) is not read."""
    mib = size // 1024**2
    if size > MAX_EMBEDDED_PART:
        return (f"embedded part too large: {mib} MiB uncompressed "
                f"(limit {MAX_EMBEDDED_PART // 1024**2} MiB)")
    ratio = size / max(compressed, 1)
    if size > EMBEDDED_RATIO_FLOOR and ratio > MAX_RATIO:
        return f"embedded part refused: compression ratio {int(ratio)} (limit {MAX_RATIO})"
    if total + size > MAX_EMBEDDED_TOTAL:
        return (f"embedded parts over {MAX_EMBEDDED_TOTAL // 1024**2} MiB in one document: "
                "the rest not read")
    return None


def refused_chunks(reason: str) -> Callable[[], Iterator[bytes]]:
    """Chunks that fail at once with ``reason``: the worker records the member ``skipped``
    (a limit, not damage)."""

    def chunks() -> Iterator[bytes]:
        from breachscope.ingest.archives import LimitExceeded

        raise LimitExceeded(reason)
        yield b""  # pragma: no cover - makes this a generator

    return chunks


class SharedZip:
    """One handle on a document's zip for all its parts: opening a zip reads its whole
    central directory, which a hostile document makes 100 000 entries long, so it is not
    done once per part. A part read after the document's generator closed the handle opens
    it again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._archive: zipfile.ZipFile | None = None

    def get(self) -> zipfile.ZipFile:
        if self._archive is None:
            self._archive = zipfile.ZipFile(self.path)
        return self._archive

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None


def part_chunks(shared: SharedZip, name: str, kind: str) -> Callable[[], Iterator[bytes]]:
    """The bytes of part ``name``, streamed from the document's zip. A damaged part fails
    that member only."""

    def chunks() -> Iterator[bytes]:
        try:
            with shared.get().open(name) as member:
                while block := member.read(_CHUNK):
                    yield block
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, KeyError,
                ValueError) as exc:
            from breachscope.ingest.archives import ArchiveError

            raise ArchiveError(f"damaged {kind} part: {zip_reason(exc)}") from None

    return chunks


def _read_part(shared: SharedZip, name: str) -> bytes | None:
    """A whole part (already checked against :data:`MAX_EMBEDDED_PART`); ``None`` when it
    cannot be read."""
    try:
        with shared.get().open(name) as member:
            return member.read(MAX_EMBEDDED_PART + 1)[:MAX_EMBEDDED_PART]
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, KeyError,
            ValueError, OSError):
        return None


def _maybe_ole(shared: SharedZip, name: str, base: str) -> bool:
    """Whether a part may be an OLE object: a ``.bin`` or extension-less part starting with
    the compound-file magic."""
    if "." in base and not base.lower().endswith((".bin", ".ole")):
        return False
    try:
        with shared.get().open(name) as member:
            return member.read(len(OLE_MAGIC)) == OLE_MAGIC
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, KeyError,
            ValueError, OSError):
        return False


def _ole_member(shared: SharedZip, kind: str, name: str, base: str,
                names: UniqueNames) -> EmbeddedFile:
    data = _read_part(shared, name)
    if data is None:
        return EmbeddedFile(names.take(base, "part"), part_chunks(shared, name, kind))
    payload = ole_payload(data)
    del data
    stem = base.rsplit(".", 1)[0] if "." in base else base
    member = payload.name or f"{stem}.{payload.extension}"
    if "." not in member:
        member = f"{member}.{payload.extension}"
    return EmbeddedFile(names.take(member, "object"), byte_chunks(payload.data))


def byte_chunks(data: bytes) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(data), _CHUNK):
            yield bytes(view[start : start + _CHUNK])

    return chunks


def _odf_object_types(shared: SharedZip) -> dict[str, str]:
    """``Object N`` → ``odt``/``ods`` for the text and spreadsheet objects the manifest lists
    (read with defusedxml: no entity expanded, nothing fetched; at most 8 MiB)."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    manifest = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
    try:
        with shared.get().open("META-INF/manifest.xml") as part:
            root = fromstring(part.read(8 << 20), forbid_dtd=True)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
            zlib.error, ParseError, DefusedXmlException):
        return {}
    found = {}
    for entry in root.iter(f"{{{manifest}}}file-entry"):
        full = (entry.get(f"{{{manifest}}}full-path") or "").rstrip("/")
        extension = _ODF_OBJECTS.get(entry.get(f"{{{manifest}}}media-type") or "")
        if extension and full.startswith("Object ") and "/" not in full:
            found[full] = extension
    return found


# The manifest of a rebuilt object (calamine wants one): the document's own entry only.
_MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest='
             '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
             '<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
             '</manifest:manifest>')


def _odf_object_chunks(shared: SharedZip, kind: str, folder: str, extension: str,
                       parts: list[zipfile.ZipInfo]) -> Callable[[], Iterator[bytes]]:
    """An ODF object stored as a folder, rebuilt as a document of its own: its ``mimetype``
    first (stored, as OpenDocument wants), then its parts without the folder prefix."""
    mimetype = next(m for m, e in _ODF_OBJECTS.items() if e == extension)

    def chunks() -> Iterator[bytes]:
        buffer = io.BytesIO()
        try:
            source = shared.get()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
                target.writestr(zipfile.ZipInfo("mimetype"), mimetype,
                                compress_type=zipfile.ZIP_STORED)
                target.writestr("META-INF/manifest.xml", _MANIFEST.format(mimetype=mimetype))
                for info in parts:
                    inner = info.filename[len(folder) + 1 :]
                    if not inner or inner in ("mimetype", "META-INF/manifest.xml"):
                        continue
                    with source.open(info) as member:
                        target.writestr(inner, member.read(MAX_EMBEDDED_PART))
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, KeyError,
                ValueError) as exc:
            from breachscope.ingest.archives import ArchiveError

            raise ArchiveError(f"damaged {kind} object: {zip_reason(exc)}") from None
        yield from byte_chunks(buffer.getvalue())()

    return chunks


def zip_reason(exc: BaseException) -> str:
    """What went wrong reading a zip member (zipfile's messages name members, not content)."""
    if isinstance(exc, zipfile.BadZipFile) and str(exc):
        return str(exc)[:120]
    if isinstance(exc, zlib.error):
        return "damaged compressed data"
    if isinstance(exc, NotImplementedError):
        return "unsupported compression or encryption"
    return "damaged zip"


class UniqueNames:
    """Member names unique within one document (case-insensitive): ``image1.png``,
    ``image1_2.png``...; names cleaned as mail attachment names are."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def take(self, name: str, fallback: str) -> str:
        from breachscope.extract.mail import sanitize_filename

        name = sanitize_filename(name, fallback)
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, dot, ext = name, "", ""
        candidate, number = name, 1
        while candidate.lower() in self.seen:
            number += 1
            candidate = f"{stem}_{number}{dot}{ext}"
        self.seen.add(candidate.lower())
        return candidate
