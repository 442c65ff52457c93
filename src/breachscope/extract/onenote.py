"""OneNote sections (``.one``: the [MS-ONESTORE] revision store) → the text of the section's
paragraphs, and its embedded files (attachments, pictures) as members.

- ``pyOneNote`` (Apache-2.0; pure Python, the only Python reader of the format) parses the
  store: file node lists, object declarations and their property sets. Only its parser is
  used: its ``get_properties``/``get_files`` helpers name objects through the global id
  table and fail on a file without one, and its command-line entry point prints and writes
  files, so the nodes are walked here and two properties read: ``RichEditTextUnicode``
  (UTF-16LE paragraph text) and ``TextExtendedAscii`` (paragraphs OneNote stores 8-bit,
  cp1252: plain ASCII text such as a NIR or a phone number is stored this way).
- pyOneNote follows file chunk references wherever the file points, without guarding
  against loops, and reads lengths the file declares. It is therefore given a reader
  (:class:`_BoundedReader`) that never returns more than the file holds and stops after
  :data:`READ_FACTOR` times the file's size has been read: a loop in the file ends in an
  error, not a hang; deep nesting ends in Python's recursion limit (an error too).
- When pyOneNote cannot parse the file (damaged, or a structure it does not know), the raw
  bytes are scanned instead (bounded: the file is at most :data:`MAX_FILE`): runs of
  UTF-16LE text and runs of printable ASCII are read as lines, then the content is recorded
  ``partial`` (:class:`~breachscope.extract.partial.PartialContent`), since the structure
  was not read.
- Units: :class:`TextUnit` named ``""``, one line per paragraph property in file order
  (OneNote stores pages' objects in revision order, not page order: lines are not grouped
  by page); embedded files as :class:`EmbeddedFile` ``file1.png``..., their extension from
  the store.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

from breachscope.extract.text import text_units
from breachscope.extract.units import EmbeddedFile, ExtractionError, TextUnit

#: Biggest section read (bytes).
MAX_FILE = 512 * 1024 * 1024
#: pyOneNote may read at most this many times the file's size (it seeks back and forth).
READ_FACTOR = 8
#: Embedded files yielded per section, at most.
MAX_EMBEDDED = 1000

_RICH_TEXT = 0x1C001C22  # RichEditTextUnicode
_ASCII_TEXT = 0x1C003498  # TextExtendedAscii
_UTF16_RUN = re.compile(rb"(?:[\x09\x0a\x0d\x20-\x7e\xa0-\xff]\x00){6,}")
_ASCII_RUN = re.compile(rb"[\x20-\x7e]{8,}")
_SAFE_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


class _ReadBudgetExceeded(Exception):
    pass


class _BoundedReader(io.RawIOBase):
    """A read-only view of the file that returns at most what the file holds and at most
    :data:`READ_FACTOR` times its size in all."""

    def __init__(self, handle: io.BufferedReader, size: int) -> None:
        self.handle = handle
        self.size = size
        self.budget = READ_FACTOR * size + (1 << 20)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()

    def read(self, size: int = -1) -> bytes:
        left = max(0, self.size - self.handle.tell())
        size = left if size is None or size < 0 else min(size, left)
        if size > self.budget:
            raise _ReadBudgetExceeded
        self.budget -= size
        return self.handle.read(size)


def partition_onenote(path: Path) -> Iterator[TextUnit | EmbeddedFile]:
    """Stream the text and embedded files of the OneNote section at ``path``."""
    from breachscope.extract.partial import PartialContent

    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE:
        raise ExtractionError(f"onenote refused: over {MAX_FILE // 1024**2} MiB")
    try:
        lines, files = _parse(path, size)
    except Exception as exc:  # pyOneNote fails in many ways on what it does not expect
        why = ("read limit reached (a loop in the file)" if isinstance(
            exc, _ReadBudgetExceeded) else f"{type(exc).__name__} in the OneNote parser")
        data = path.read_bytes()
        yield from text_units((line, True) for line in _scan(data))
        raise PartialContent(f"onenote structure not read ({why}): text recovered by a "
                             "scan of the raw bytes") from None
    yield from text_units((line, True) for line in lines)
    for index, (extension, content) in enumerate(files[:MAX_EMBEDDED], start=1):
        yield EmbeddedFile(name=f"file{index}{extension}",
                           chunks=lambda content=content: iter([content]))


def _parse(path: Path, size: int) -> tuple[list[str], list[tuple[str, bytes]]]:
    from pyOneNote.FileNode import (
        FileDataStoreObjectReferenceFND,
        ObjectDeclarationFileData3RefCountFND,
    )
    from pyOneNote.OneDocument import OneDocment

    with path.open("rb") as raw:
        document = OneDocment(_BoundedReader(raw, size))
    nodes: list = []
    OneDocment.traverse_nodes(document.root_file_node_list, nodes, [])
    lines: list[str] = []
    contents: dict[str, bytes] = {}
    extensions: dict[str, str] = {}
    for node in nodes:
        properties = getattr(node, "propertySet", None)
        if properties is not None:
            body = properties.body
            for prid, data in zip(body.rgPrids, body.rgData, strict=False):
                if prid.value in (_RICH_TEXT, _ASCII_TEXT) and hasattr(data, "Data"):
                    lines.extend(_decode(prid.value, data.Data))
        data = getattr(node, "data", None)
        if isinstance(data, FileDataStoreObjectReferenceFND):
            contents[str(data.guidReference).lower()] = data.fileDataStoreObject.FileData
        elif isinstance(data, ObjectDeclarationFileData3RefCountFND):
            guid = data.FileDataReference.StringData.replace("<ifndf>{", "").replace("}", "")
            extension = data.Extension.StringData.strip().rstrip("\x00")
            extensions[guid.lower()] = extension if _SAFE_EXTENSION.match(extension) else ""
    files = [(extensions.get(guid, ""), content) for guid, content in contents.items()]
    return lines, files


def _decode(prid: int, raw: bytes) -> list[str]:
    if prid == _RICH_TEXT:
        text = raw[: len(raw) - len(raw) % 2].decode("utf-16-le", "replace")
    else:
        text = raw.decode("cp1252", "replace")
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    return [line.strip() for line in text.replace("\x0b", "\n").split("\n")]


def _scan(data: bytes) -> Iterator[str]:
    """Lines of text found in raw bytes: UTF-16LE runs and printable ASCII runs, in file
    order."""
    found = [(m.start(), m.group().decode("utf-16-le")) for m in _UTF16_RUN.finditer(data)]
    found += [(m.start(), m.group().decode("ascii")) for m in _ASCII_RUN.finditer(data)]
    for _, text in sorted(found):
        for line in text.replace("\r", "\n").split("\n"):
            if line.strip():
                yield line.strip()
