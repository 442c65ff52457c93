"""EMF and WMF files built record by record (MS-EMF, MS-WMF): no Python library writes
metafiles. Only the records breachscope reads, plus the header and end records a reader
expects."""

from __future__ import annotations

import struct


def _emf_record(kind: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    return struct.pack("<II", kind, 8 + len(body)) + body


def emf_header(total_size: int, records: int) -> bytes:
    body = bytearray(100)  # bounds, frame, signature at record offset 40
    struct.pack_into("<4s", body, 32, b" EMF")  # dSignature (record offset 40)
    struct.pack_into("<IIIHH", body, 36, 0x00010000, total_size, records, 1, 0)
    return _emf_record(1, bytes(body))


def emf_exttextout(text: str, y: int, wide: bool = True, options: int = 0) -> bytes:
    raw = text.encode("utf-16-le" if wide else "cp1252")
    fixed = bytearray(68)  # bounds(16) mode scales(12) ref(8) chars off options rect(16) offDx
    struct.pack_into("<iiii", fixed, 0, 0, 0, 1000, 1000)
    struct.pack_into("<Iff", fixed, 16, 1, 1.0, 1.0)
    struct.pack_into("<ii", fixed, 28, 100, y)
    struct.pack_into("<III", fixed, 36, len(text), 76, options)
    return _emf_record(84 if wide else 83, bytes(fixed) + raw)


def emf_smalltextout(text: str, y: int) -> bytes:
    raw = text.encode("cp1252")
    body = struct.pack("<iiIIIff", 100, y, len(raw), 0x100 | 0x200, 1, 1.0, 1.0) + raw
    return _emf_record(108, body)


def emf_plus_drawstring(text: str, y: float) -> bytes:
    raw = text.encode("utf-16-le")
    data = struct.pack("<III4f", 0, 0, len(text), 10.0, y, 500.0, 20.0) + raw
    data += b"\x00" * (-len(data) % 4)
    plus = struct.pack("<HHII", 0x401C, 0, 12 + len(data), len(data)) + data
    payload = struct.pack("<I", 0x2B464D45) + plus
    return _emf_record(70, struct.pack("<I", len(payload)) + payload)


def emf_stretchdibits(grey_image) -> bytes:
    """A greyscale PIL image as an EMR_STRETCHDIBITS bitmap (8-bit, grey palette)."""
    width, height = grey_image.size
    stride = (width + 3) & ~3
    rows = [grey_image.tobytes()[y * width : (y + 1) * width].ljust(stride, b"\x00")
            for y in range(height - 1, -1, -1)]  # bottom-up
    bits = b"".join(rows)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 0, len(bits), 0, 0, 256, 0)
    info += b"".join(bytes((v, v, v, 0)) for v in range(256))
    fixed = struct.pack("<iiii", 0, 0, width, height) + struct.pack("<iiiiii", 0, 0, 0, 0,
                                                                      width, height)
    header_size = 8 + len(fixed) + 32
    tail = struct.pack("<IIIIIIii", header_size, len(info), header_size + len(info), len(bits),
                       0, 0x00CC0020, width, height)
    return _emf_record(0x51, fixed + tail + info + bits)


def emf(records: list[bytes]) -> bytes:
    eof = _emf_record(14, struct.pack("<III", 0, 16, 20))
    body = b"".join(records) + eof
    header = emf_header(0, len(records) + 2)
    total = len(header) + len(body)
    return emf_header(total, len(records) + 2) + body


def _wmf_record(function: int, params: bytes) -> bytes:
    params += b"\x00" * (len(params) & 1)
    return struct.pack("<IH", (6 + len(params)) // 2, function) + params


def wmf_textout(text: str, y: int) -> bytes:
    raw = text.encode("cp1252")
    return _wmf_record(0x0521, struct.pack("<H", len(raw)) + raw + b"\x00" * (len(raw) & 1)
                       + struct.pack("<hh", y, 100))


def wmf_exttextout(text: str, y: int, clipped: bool = False) -> bytes:
    raw = text.encode("cp1252")
    options = 0x4 if clipped else 0
    rect = struct.pack("<hhhh", 0, 0, 100, 100) if clipped else b""
    return _wmf_record(0x0A32, struct.pack("<hhHH", y, 100, len(raw), options) + rect + raw)


def wmf(records: list[bytes], placeable: bool = True) -> bytes:
    body = b"".join(records) + _wmf_record(0x0000, b"")
    header = struct.pack("<HHHIHIH", 1, 9, 0x0300, (18 + len(body)) // 2, 0, 100, 0)
    out = header + body
    if placeable:
        fields = struct.pack("<IHhhhhHI", 0x9AC6CDD7, 0, 0, 0, 2000, 1000, 1440, 0)
        checksum = 0
        for (word,) in struct.iter_unpack("<H", fields[:20]):
            checksum ^= word
        out = fields + struct.pack("<H", checksum) + out
    return out
