"""WinZip AES zips written byte by byte, in the ways other tools than pyzipper write them
(7-Zip and Keka on macOS, which uses 7-Zip's zip code): AE-1 or AE-2, sizes in a data
descriptor, UTF-8 names in NFD form, an Info-ZIP Unicode path field, an NTFS time field in
the directory only, empty members. The encryption follows the WinZip AES specification with
pycryptodomex's public API (independent of pyzipper, which the reader uses)."""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass

from Cryptodome.Cipher import AES
from Cryptodome.Hash import HMAC, SHA1
from Cryptodome.Protocol.KDF import PBKDF2
from Cryptodome.Util import Counter

_KEY = {1: 16, 2: 24, 3: 32}
_SALT = {1: 8, 2: 12, 3: 16}


@dataclass
class AesMember:
    name: str
    data: bytes
    method: int = 8  # 0 stored, 8 deflate
    version: int = 2  # AE-1 (CRC kept) or AE-2 (CRC zero)
    strength: int = 3  # 1: AES-128, 2: AES-192, 3: AES-256
    data_descriptor: bool = False
    utf8_flag: bool = True
    unicode_extra: str | None = None  # an Info-ZIP 0x7075 field holding this name


def encrypt(data: bytes, password: bytes, strength: int, salt: bytes) -> bytes:
    """salt + password verifier + AES-CTR ciphertext + 10-byte HMAC-SHA1."""
    n = _KEY[strength]
    material = PBKDF2(password, salt, dkLen=2 * n + 2, count=1000, hmac_hash_module=SHA1)
    key, mac_key, verifier = material[:n], material[n : 2 * n], material[2 * n :]
    counter = Counter.new(128, initial_value=1, little_endian=True)
    cipher = AES.new(key, AES.MODE_CTR, counter=counter)
    body = cipher.encrypt(data)
    mac = HMAC.new(mac_key, body, SHA1).digest()[:10]
    return salt + verifier + body + mac


def aes_zip(members: list[AesMember], password: bytes) -> bytes:
    out = io.BytesIO()
    central = io.BytesIO()
    for m in members:
        if m.method == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            packed = c.compress(m.data) + c.flush()
        else:
            packed = m.data
        payload = encrypt(packed, password, m.strength, os.urandom(_SALT[m.strength]))
        crc = zlib.crc32(m.data) if m.version == 1 else 0
        flags = 0x1 | (0x8 if m.data_descriptor else 0) | (0x800 if m.utf8_flag else 0)
        raw_name = m.name.encode("utf-8") if m.utf8_flag else m.name.encode("cp437")
        aes_extra = struct.pack("<HHH2sBH", 0x9901, 7, m.version, b"AE", m.strength, m.method)
        extra = aes_extra
        if m.unicode_extra is not None:
            text = m.unicode_extra.encode("utf-8")
            extra += struct.pack("<HHBL", 0x7075, 5 + len(text), 1, zlib.crc32(raw_name)) + text
        ntfs = struct.pack("<HHLHH3Q", 0x000A, 32, 0, 1, 24, 0, 0, 0)
        offset = out.tell()
        local_sizes = (0, 0, 0) if m.data_descriptor else (crc, len(payload), len(m.data))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 51, flags, 99, 0, 0x21,
                              *local_sizes, len(raw_name), len(extra)))
        out.write(raw_name + extra + payload)
        if m.data_descriptor:
            out.write(struct.pack("<4s3L", b"PK\x07\x08", crc, len(payload), len(m.data)))
        central_extra = extra + ntfs  # 7-Zip writes times in the directory only
        central.write(struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 63, 51, flags, 99, 0, 0x21, crc,
            len(payload), len(m.data), len(raw_name), len(central_extra), 0, 0, 0,
            0o100644 << 16, offset))
        central.write(raw_name + central_extra)
    cd = central.getvalue()
    cd_offset = out.tell()
    out.write(cd)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members),
                          len(cd), cd_offset, 0))
    return out.getvalue()
