"""Windows metafiles (EMF, WMF: drawings exported by Office, scanned-form templates, charts
pasted from a patient list) → the text they draw, and their bitmaps as images to OCR.

No Python library reads a metafile's records (Pillow only renders WMF/EMF on Windows;
``libwmf``/``libemf`` render, they do not list text), so the records are walked here: each
record is a type and a size, the loops are bounded by the file's size and
:data:`MAX_RECORDS`, every offset is checked against its record before it is read.

- **EMF**: ``EMR_EXTTEXTOUTW`` (UTF-16LE), ``EMR_EXTTEXTOUTA`` (cp1252),
  ``EMR_SMALLTEXTOUT`` (either), and the ``EmfPlusDrawString`` records of EMF+ (GDI+)
  drawings carried in ``EMR_COMMENT``. Bitmaps (``EMR_STRETCHDIBITS``,
  ``EMR_SETDIBITSTODEVICE``, ``EMR_BITBLT``, ``EMR_STRETCHBLT``) become ``image-N.bmp`` members
  (OCR'd by :mod:`breachscope.extract.image`) when they are large enough to hold text
  (:data:`MIN_IMAGE_PIXELS`).
- **WMF** (placeable or not): ``META_TEXTOUT`` and ``META_EXTTEXTOUT`` (cp1252); bitmaps of
  ``META_STRETCHDIB``, ``META_DIBSTRETCHBLT`` and ``META_DIBBITBLT`` as members.
- Text pieces are put in drawing order; a piece drawn at another height than the previous
  one starts a new line, pieces on one line are joined by a space (single characters placed
  one by one, as some generators draw, are joined without one). Findings read ``line N``.
- Text drawn as glyph indices (``ETO_GLYPH_INDEX``: codes of the font's glyphs, which
  only the font could turn back into characters) is not read: the file is then ``partial``
  and the reason counts those records.
- A record whose size runs past the file ends the walk: what was read is kept and the file
  is ``partial`` (``damaged emf: stopped at record N``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path

from breachscope.extract.partial import PartialContent
from breachscope.extract.text import split_text
from breachscope.extract.units import EmbeddedFile, ExtractionError, TextUnit

#: A metafile larger than this is not read (it is read in memory).
MAX_METAFILE_BYTES = 128 * 1024 * 1024
#: Records walked at most.
MAX_RECORDS = 2_000_000
#: Bitmaps yielded as members at most, and the smallest worth OCR (pixels).
MAX_IMAGES = 50
MIN_IMAGE_PIXELS = 20_000

_EMR_HEADER, _EMR_EOF, _EMR_COMMENT = 1, 14, 70
_EMR_EXTTEXTOUTA, _EMR_EXTTEXTOUTW, _EMR_SMALLTEXTOUT = 83, 84, 108
#: EMF bitmap records → offset of their offBmiSrc field (then cbBmi, offBits, cbBits).
_EMR_BITMAPS = {0x51: 48, 0x50: 48, 0x4C: 84, 0x4D: 84}
_EMF_PLUS = 0x2B464D45  # "EMF+"
_EMFPLUS_DRAWSTRING = 0x401C
_ETO_GLYPH_INDEX, _ETO_NO_RECT, _ETO_SMALL_CHARS = 0x10, 0x100, 0x200

_META_EOF, _META_TEXTOUT, _META_EXTTEXTOUT = 0x0000, 0x0521, 0x0A32
#: WMF bitmap records → offset of the DIB in the record (the record with a bitmap).
_META_BITMAPS = {0x0F43: 28, 0x0B41: 26, 0x0940: 22}
_ETO_OPAQUE, _ETO_CLIPPED = 0x2, 0x4


class _Text:
    """Text pieces assembled into lines by the height they are drawn at."""

    def __init__(self) -> None:
        self.lines: list[list[str]] = []
        self.y: int | None = None
        self.last = ""  # the previous piece as drawn
        self.glyphs = 0  # text records drawn as glyph indices (font-specific: unreadable)

    def add(self, text: str, y: int) -> None:
        text = text.replace("\x00", "").strip("\r\n")
        if not text.strip():
            return
        if not self.lines or y != self.y:
            self.lines.append([text])
        else:
            glue = "" if (len(text) == 1 and len(self.last) == 1) or self.last.endswith(" ") \
                else " "
            self.lines[-1].append(glue + text)
        self.y, self.last = y, text

    def units(self) -> list[TextUnit]:
        text = "\n".join("".join(line) for line in self.lines)
        return split_text(text) if text.strip() else []


def _bmp(info: bytes, bits: bytes) -> bytes | None:
    """A BMP file from a DIB's header (with its colour table) and its pixels; None for a
    bitmap too small to hold text or a header that does not hold together."""
    if len(info) < 12 or not bits:
        return None
    header_size = struct.unpack_from("<I", info)[0]
    if header_size == 12:
        width, height = struct.unpack_from("<HH", info, 4)
    elif header_size >= 40 and len(info) >= 40:
        width, height = struct.unpack_from("<ii", info, 4)
    else:
        return None
    if abs(width) * abs(height) < MIN_IMAGE_PIXELS:
        return None
    size = 14 + len(info) + len(bits)
    return b"BM" + struct.pack("<IHHI", size, 0, 0, 14 + len(info)) + info + bits


def _dib_split(dib: bytes) -> tuple[bytes, bytes]:
    """A packed DIB (header, colour table, pixels: WMF) cut into header+table and pixels."""
    if len(dib) < 40:
        return dib, b""
    header_size, _w, _h, _planes, bit_count, compression = struct.unpack_from("<IiiHHI", dib)
    if header_size == 12:
        bit_count = struct.unpack_from("<H", dib, 10)[0]
        colours = (1 << bit_count) if bit_count <= 8 else 0
        table = 3 * colours
    else:
        used = struct.unpack_from("<I", dib, 32)[0] if len(dib) >= 36 else 0
        colours = used or ((1 << bit_count) if bit_count <= 8 else 0)
        table = 4 * colours + (12 if compression == 3 and header_size == 40 else 0)
    split = min(len(dib), header_size + table)
    return dib[:split], dib[split:]


def _u32(data: bytes, offset: int) -> int:
    return struct.unpack_from("<I", data, offset)[0]


def _emf_text_record(record: bytes, kind: int, text: _Text) -> None:
    if kind in (_EMR_EXTTEXTOUTA, _EMR_EXTTEXTOUTW):
        if len(record) < 76:
            return
        # Bounds, graphics mode, scales, then EmrText: reference point, chars, offString...
        y = struct.unpack_from("<i", record, 40)[0]
        chars, offset, options = struct.unpack_from("<III", record, 44)
        if options & _ETO_GLYPH_INDEX:
            text.glyphs += 1
            return
        width = 2 if kind == _EMR_EXTTEXTOUTW else 1
        raw = record[offset : offset + chars * width] if offset >= 76 else b""
        text.add(raw.decode("utf-16-le" if width == 2 else "cp1252", "replace"), y)
    elif kind == _EMR_SMALLTEXTOUT:
        if len(record) < 36:
            return
        y, chars, options = struct.unpack_from("<iII", record, 12)
        if options & _ETO_GLYPH_INDEX:
            text.glyphs += 1
            return
        start = 36 if options & _ETO_NO_RECT else 52
        width = 1 if options & _ETO_SMALL_CHARS else 2
        raw = record[start : start + chars * width]
        text.add(raw.decode("cp1252" if width == 1 else "utf-16-le", "replace"), y)


def _emf_plus(record: bytes, text: _Text) -> None:
    """EmfPlusDrawString records inside one EMR_COMMENT carrying EMF+ records."""
    if len(record) < 16 or _u32(record, 12) != _EMF_PLUS:
        return
    end = min(len(record), 12 + _u32(record, 8))
    offset = 16
    while offset + 12 <= end:
        kind, _flags, size, data_size = struct.unpack_from("<HHII", record, offset)
        if size < 12 or offset + size > end:
            return
        if kind == _EMFPLUS_DRAWSTRING and data_size >= 28:
            length = _u32(record, offset + 12 + 8)
            y = int(struct.unpack_from("<f", record, offset + 12 + 16)[0])
            start = offset + 12 + 28
            raw = record[start : min(start + 2 * length, offset + size)]
            text.add(raw.decode("utf-16-le", "replace"), y)
        offset += size


def _emf_bitmap(record: bytes, field: int) -> bytes | None:
    if len(record) < field + 16:
        return None
    bmi_offset, bmi_size, bits_offset, bits_size = struct.unpack_from("<IIII", record, field)
    if not bmi_size or bmi_offset + bmi_size > len(record) or bits_offset + bits_size > len(
            record):
        return None
    return _bmp(record[bmi_offset : bmi_offset + bmi_size],
                record[bits_offset : bits_offset + bits_size])


def _walk_emf(data: bytes, text: _Text, images: list[bytes]) -> str | None:
    """Walk EMF records; the reason the walk stopped early, or None."""
    offset = 0
    for number in range(1, MAX_RECORDS + 1):
        if offset + 8 > len(data):
            return None if number > 1 else "damaged emf: no header"
        kind, size = struct.unpack_from("<II", data, offset)
        if size < 8 or size % 4 or offset + size > len(data):
            return f"damaged emf: stopped at record {number}"
        record = data[offset : offset + size]
        if kind == _EMR_EOF:
            return None
        if kind in (_EMR_EXTTEXTOUTA, _EMR_EXTTEXTOUTW, _EMR_SMALLTEXTOUT):
            _emf_text_record(record, kind, text)
        elif kind == _EMR_COMMENT:
            _emf_plus(record, text)
        elif kind in _EMR_BITMAPS and len(images) < MAX_IMAGES and (
                bmp := _emf_bitmap(record, _EMR_BITMAPS[kind])):
            images.append(bmp)
        offset += size
    return f"emf: more than {MAX_RECORDS} records, the rest not read"


def _wmf_string(raw: bytes) -> str:
    return raw.decode("cp1252", "replace")


def _walk_wmf(data: bytes, text: _Text, images: list[bytes]) -> str | None:
    offset = 22 if data[:4] == b"\xd7\xcd\xc6\x9a" else 0  # placeable header
    if offset + 18 > len(data):
        return "damaged wmf: no header"
    header_words = struct.unpack_from("<H", data, offset + 2)[0]
    offset += max(9, header_words) * 2
    for number in range(1, MAX_RECORDS + 1):
        if offset + 6 > len(data):
            return None  # no META_EOF: ends with the file
        words, function = struct.unpack_from("<IH", data, offset)
        size = words * 2
        if size < 6 or offset + size > len(data):
            return f"damaged wmf: stopped at record {number}"
        record = data[offset : offset + size]
        if function == _META_EOF:
            return None
        if function == _META_TEXTOUT and size >= 8:
            length = struct.unpack_from("<H", record, 6)[0]
            padded = length + (length & 1)
            y_at = 8 + padded
            y = struct.unpack_from("<h", record, y_at)[0] if y_at + 2 <= size else 0
            text.add(_wmf_string(record[8 : 8 + length]), y)
        elif function == _META_EXTTEXTOUT and size >= 14:
            y, _x, length, options = struct.unpack_from("<hhHH", record, 6)
            if options & _ETO_GLYPH_INDEX:
                text.glyphs += 1
                offset += size
                continue
            start = 14 + (8 if options & (_ETO_OPAQUE | _ETO_CLIPPED) else 0)
            text.add(_wmf_string(record[start : start + length]), y)
        elif function in _META_BITMAPS and len(images) < MAX_IMAGES:
            dib = record[_META_BITMAPS[function] :]
            if function == 0x0940 and words == (function >> 8) + 3:
                dib = b""  # the variant without a bitmap
            if dib and (bmp := _bmp(*_dib_split(dib))):
                images.append(bmp)
        offset += size
    return f"wmf: more than {MAX_RECORDS} records, the rest not read"


def _chunks(data: bytes) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        yield data

    return chunks


def partition_metafile(path: Path) -> Iterator[TextUnit | EmbeddedFile]:
    """The text an EMF or WMF file draws, and its bitmaps as members (see the module
    docstring)."""
    path = Path(path)
    if path.stat().st_size > MAX_METAFILE_BYTES:
        raise ExtractionError(f"metafile larger than {MAX_METAFILE_BYTES >> 20} MiB: not read")
    data = path.read_bytes()
    is_emf = len(data) >= 44 and data[40:44] == b" EMF" and _u32(data, 0) == _EMR_HEADER
    text, images = _Text(), list[bytes]()
    stopped = (_walk_emf if is_emf else _walk_wmf)(data, text, images)
    del data
    units = text.units()
    yield from units
    for number, image in enumerate(images, 1):
        yield EmbeddedFile(f"image-{number}.bmp", _chunks(image))
    if not stopped and text.glyphs:
        stopped = (f"{text.glyphs} text records drawn as glyph indices "
                   "(font-specific codes, not characters) not read")
    if stopped and (units or images or text.glyphs):
        raise PartialContent(stopped)
    if stopped:
        raise ExtractionError(stopped)
