"""The file inside an OLE object embedded in a document (``word/embeddings/oleObject1.bin``,
an ODF ``Object 2``): Word and LibreOffice wrap a file inserted as an object ("Package",
"Objet du gestionnaire de paquets") in an OLE compound file, so the PDF, the Outlook message or
the spreadsheet a secretary dragged into a letter is one level further in.

The compound file is read with ``olefile`` (directory and streams only; nothing is run). The
``\\x01Ole10Native`` stream's layout (MS-OLEDS 2.3.6 and the Packager format) has no Python
reader outside ``oletools`` (a large tool kit with several dependencies): its few fields are
parsed here, every length checked against the stream. Other holders of a file are the
``Package`` stream (an OOXML file embedded as OLE) and the ``CONTENTS`` stream (Acrobat's PDF
object). An OLE object that is itself a document (a Word 97 ``.doc``, an ``.xls``, an Outlook
``.msg``) or holds nothing known is returned as it is: the worker sniffs it.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NATIVE = "\x01Ole10Native"
#: Bytes a name in the native stream may take (a Windows path is at most 260 characters,
#: long paths 32 767).
_MAX_STRING = 32_768


@dataclass(slots=True)
class Payload:
    """What an OLE object holds: ``data`` and a file name when the object gives one (the
    packager's label or original path), else ``None``; ``extension`` guessed from the data
    when the name gives none."""

    data: bytes
    name: str | None
    extension: str


def ole_payload(data: bytes) -> Payload:
    """The file inside the OLE object ``data`` (see the module docstring); ``data`` itself
    when it holds no wrapped file or cannot be parsed."""
    if not data.startswith(OLE_MAGIC):
        return Payload(data, None, guess_extension(data))
    try:
        import olefile

        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if ole.exists(_NATIVE):
                found = _native(ole.openstream(_NATIVE).read())
                if found is not None:
                    return found
            for stream in ("Package", "CONTENTS"):
                if ole.exists(stream):
                    inner = ole.openstream(stream).read()
                    if inner.startswith((b"PK\x03\x04", b"%PDF")) or (
                            stream == "Package" and inner):
                        return Payload(inner, None, guess_extension(inner))
    except Exception:  # a damaged compound file: the worker sniffs the bytes as they are
        pass
    return Payload(data, None, guess_extension(data))


def _native(stream: bytes) -> Payload | None:
    """The file in an ``Ole10Native`` stream: the parsed layout (size, flags, label, original
    path, a reserved word pair, the temporary path with its length, the data with its
    length), else the "unparsed" one (the data right after the size), else ``None``."""
    if len(stream) < 6:
        return None
    (declared,) = struct.unpack_from("<I", stream, 0)
    try:
        offset = 6  # the size, then a 2-byte flags word (2)
        label, offset = _cstring(stream, offset)
        original, offset = _cstring(stream, offset)
        offset += 4  # two reserved words (0 and 3: an embedded file)
        (length,) = struct.unpack_from("<I", stream, offset)
        if length > _MAX_STRING:
            raise ValueError("temporary path too long")
        offset += 4 + length
        (size,) = struct.unpack_from("<I", stream, offset)
        offset += 4
        if offset + size > len(stream):
            raise ValueError("data beyond the stream")
        name = _base_name(label) or _base_name(original)
        data = stream[offset : offset + size]
        return Payload(data, name, guess_extension(data))
    except (struct.error, ValueError):
        pass
    data = stream[4 : 4 + declared]
    if not data:
        return None
    return Payload(data, None, guess_extension(data))


def _cstring(data: bytes, offset: int) -> tuple[str, int]:
    end = data.find(b"\x00", offset, offset + _MAX_STRING)
    if end < 0:
        raise ValueError("unterminated string")
    return data[offset:end].decode("cp1252", "replace"), end + 1


def _base_name(path: str) -> str | None:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None


def guess_extension(data: bytes) -> str:
    """An extension for a member name from the first bytes (the worker sniffs the content
    anyway: the name is for the reader of the report)."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist()[:10_000])
        except (zipfile.BadZipFile, OSError, ValueError):
            return "zip"
        for part, extension in (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"),
                                ("ppt/presentation.xml", "pptx")):
            if part in names:
                return extension
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "bin"
    for magic, extension in ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"),
                             (b"GIF8", "gif"), (b"II*\x00", "tif"), (b"MM\x00*", "tif")):
        if data.startswith(magic):
            return extension
    return "bin"
