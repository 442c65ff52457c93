"""Zip members read from the central directory as a stream (zip64, ZipCrypto, WinZip AES)."""

from __future__ import annotations

import stat
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

from breachscope.ingest.archives.decoder import Decoder
from breachscope.ingest.archives.limits import (
    INPUT,
    ArchiveError,
    ArchiveLimits,
    ByteBudget,
    Member,
    Meter,
    declared_too_big,
    member_label,
    metered,
    no_data,
    too_many,
)

_ZIP_METHODS = {0: "stored", 8: "deflate", 12: "bzip2", 14: "lzma-zip"}
_ZIP_METHOD_NAMES = {1: "shrink", 6: "implode", 9: "deflate64", 19: "lz77", 93: "zstandard",
                     95: "xz", 96: "jpeg", 97: "wavpack", 98: "ppmd",
                     99: "AES without its parameters"}
_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_AES_SALT = {1: 8, 2: 12, 3: 16}
_AES_KEY = {1: 16, 2: 24, 3: 32}
_AES_HMAC = 10


@dataclass(slots=True)
class _ZipEntry:
    name: str
    flags: int
    method: int
    raw_time: int
    crc: int
    csize: int
    usize: int
    offset: int  # of the local header, from the start of the archive data
    mode: int  # unix mode bits from the external attributes
    aes_strength: int = 0  # WinZip AES (method 99): key strength and version
    aes_version: int = 0
    raw_name: bytes = b""  # as stored in the directory (compared with the local header)
    raw_method: int = 0  # as stored in the directory (99 for WinZip AES)


def zip_members(path: Path, limits: ArchiveLimits, budget: ByteBudget,
                 passwords: list[bytes]) -> Iterator[Member]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ArchiveError(f"cannot read zip: {exc.strerror}") from exc
    with handle:
        overlapping = _overlapping_entries(handle, limits)
        start, entries = _zip_directory(handle)
        count = 0
        preferred: list[int] = []  # the password that worked last is tried first
        for position, entry in enumerate(entries):
            name = member_label(entry.name)
            if entry.name.replace("\\", "/").endswith("/"):
                continue  # a directory
            count += 1
            if count > limits.max_members:
                yield too_many(limits)
                return
            if position in overlapping:
                yield Member(name, entry.usize, "failed", _OVERLAP_REASON, no_data)
                continue
            mismatch = _local_mismatch(handle, start, entry)
            if mismatch is not None:
                yield Member(name, entry.usize, "failed", mismatch, no_data)
                continue
            if stat.S_ISLNK(entry.mode):
                yield Member(name, 0, "skipped", "symbolic link in archive not followed", no_data)
                continue
            if entry.usize > limits.max_member_bytes:
                yield Member(name, entry.usize, "skipped",
                             declared_too_big(entry.usize, limits), no_data)
                continue
            kind = _ZIP_METHODS.get(entry.method)
            if kind is None:
                method = _ZIP_METHOD_NAMES.get(entry.method, "unknown")
                yield Member(name, entry.usize, "failed",
                             f"unsupported zip compression method {entry.method} ({method})",
                             no_data)
                continue
            password, reason = None, ""
            if entry.flags & 0x1:
                if entry.flags & 0x40:
                    yield Member(name, entry.usize, "encrypted",
                                 "password-protected member (unsupported strong encryption)",
                                 no_data)
                    continue
                found = _zip_password(path, start, entry, passwords, preferred)
                if found is None:
                    reason = "password-protected member"
                    if passwords:
                        reason += "; no known password opened it"
                    yield Member(name, entry.usize, "encrypted", reason, no_data)
                    continue
                index, password = found
                preferred[:] = [index]
                reason = f"opened with password #{index + 1} of the list"
            if (spent := budget.exhausted()) is not None:
                yield Member(name, entry.usize, "skipped", spent, no_data)
                continue
            yield Member(name, entry.usize, "ok", reason,
                         _zip_reader(path, start, entry, kind, password, limits, budget))


_OVERLAP_REASON = ("entry overlaps another entry of the archive (overlapping-entry bomb "
                   "or damaged directory); not read")


def _overlapping_entries(fh: BinaryIO, limits: ArchiveLimits) -> set[int]:
    """Positions (in directory order) of the entries whose bytes overlap another entry's.

    An entry's bytes run from its local header to the end of its compressed data; those of
    two entries never overlap in an archive made by a zip tool. Overlaps are how one small
    archive makes many large members out of one compressed kernel (Fifield's "better zip
    bomb", 2019: each entry's data quotes the next local headers, then reaches the shared
    kernel). Every entry of an overlapping pair is refused, so none of the bomb is inflated.

    A first pass over the directory (which is read as a stream: it may be huge), keeping two
    integers per entry; ranges are sorted once, so the check is O(n log n) whatever the order
    of the directory. The range used starts at the local header offset and is at least the
    fixed local header plus the compressed size: a lower bound of the real extent, so an
    overlap found is a real one.
    """
    from array import array

    starts, ends = array("q"), array("q")
    _start, entries = _zip_directory(fh)
    files = 0
    for entry in entries:
        if not entry.name.replace("\\", "/").endswith("/"):
            files += 1
            if files > limits.max_members:  # the members read stop there too
                break
        starts.append(min(entry.offset, 2**62))
        ends.append(min(entry.offset + _LOCAL.size + entry.csize, 2**62))
    order = sorted(range(len(starts)), key=starts.__getitem__)
    found: set[int] = set()
    reach, holder = -1, -1  # the furthest end met so far, and whose it is
    for position in order:
        if starts[position] < reach:
            found.add(position)
            found.add(holder)
        if ends[position] > reach:
            reach, holder = ends[position], position
    return found


def _local_mismatch(fh: BinaryIO, start: int, entry: _ZipEntry) -> str | None:
    """Why the entry's local header disagrees with its directory entry, or None.

    Readers that trust the local header and those that trust the directory see different
    archives; a member whose two descriptions differ is refused rather than guessed (name,
    compression method, encryption and, unless sizes are in a data descriptor, CRC and
    sizes). Python's zipfile refuses a name mismatch too."""
    fh.seek(start + entry.offset)
    head = fh.read(_LOCAL.size)
    if len(head) < _LOCAL.size or head[:4] != b"PK\x03\x04":
        return "corrupt zip member: bad local header"
    (_sig, _version, _os, flags, method, _time, _date, crc, csize, usize, n_name,
     n_extra) = _LOCAL.unpack(head)
    tail = fh.read(n_name + n_extra)
    if len(tail) < n_name + n_extra:
        return "corrupt zip member: bad local header"
    if tail[:n_name] != entry.raw_name:
        return "local header and directory disagree on the member name; not read"
    if method != entry.raw_method:
        return "local header and directory disagree on the compression method; not read"
    if (flags ^ entry.flags) & 0x1:
        return "local header and directory disagree on the encryption; not read"
    if flags & 0x8:  # CRC and sizes are in a data descriptor after the data
        return None
    if 0xFFFFFFFF in (usize, csize):  # zip64: both sizes in the local zip64 extra field
        usize, csize = _local_zip64(tail[n_name:], usize, csize)
    if (crc, csize, usize) != (entry.crc, entry.csize, entry.usize):
        return "local header and directory disagree on the CRC or sizes; not read"
    return None


def _local_zip64(extra: bytes, usize: int, csize: int) -> tuple[int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<2H", extra, i)
        body = extra[i + 4 : i + 4 + size]
        i += 4 + size
        if tag == 0x0001:
            values = [usize, csize]
            k = 0
            for slot in (0, 1):
                if values[slot] == 0xFFFFFFFF and 8 * k + 8 <= len(body):
                    values[slot] = struct.unpack_from("<Q", body, 8 * k)[0]
                    k += 1
            return values[0], values[1]
    return usize, csize


def _zip_directory(fh: BinaryIO) -> tuple[int, Iterator[_ZipEntry]]:
    """(offset of the archive data in the file, entries of the central directory as a stream).

    The start offset is non-zero when data was prepended (a self-extracting archive).
    """
    fh.seek(0, 2)
    size = fh.tell()
    tail_len = min(size, _EOCD.size + 0xFFFF + _EOCD64_LOCATOR.size)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    while pos != -1 and len(tail) - pos < _EOCD.size:
        pos = tail.rfind(b"PK\x05\x06", 0, pos)
    if pos == -1:
        raise ArchiveError("corrupt zip: no end of central directory (truncated?)")
    (_sig, _disk, _cd_disk, _n_disk, _n_total, cd_size, cd_offset,
     _comment) = _EOCD.unpack_from(tail, pos)
    eocd_at = size - tail_len + pos
    directory_end = eocd_at
    locator_at = pos - _EOCD64_LOCATOR.size
    if locator_at >= 0 and tail[locator_at : locator_at + 4] == b"PK\x06\x07":
        _sig, _disk, _eocd64_offset, _disks = _EOCD64_LOCATOR.unpack_from(tail, locator_at)
        eocd64_at = eocd_at - _EOCD64_LOCATOR.size - _EOCD64.size
        fh.seek(eocd64_at)
        record = fh.read(_EOCD64.size)
        if len(record) == _EOCD64.size and record[:4] == b"PK\x06\x06":
            (_sig, _size, _made, _need, _disk, _cd_disk, _n_disk, _n_total, cd_size,
             cd_offset) = _EOCD64.unpack(record)
            directory_end = eocd64_at
    start = directory_end - cd_size - cd_offset
    if start < 0 or cd_size < 0:
        raise ArchiveError("corrupt zip: central directory outside the file")
    return start, _central_entries(fh, start + cd_offset, cd_size)


def _central_entries(fh: BinaryIO, at: int, length: int) -> Iterator[_ZipEntry]:
    """Entries of the central directory (``length`` bytes at ``at``), read in blocks."""
    buf = b""
    i = 0  # position in buf
    done = 0  # bytes of the directory before buf[i]
    index = 0
    while done < length:
        index += 1
        if len(buf) - i < _CENTRAL.size:
            buf, i = _refill(fh, buf, i, at + done, length - done, _CENTRAL.size)
        if len(buf) - i < _CENTRAL.size or buf[i : i + 4] != b"PK\x01\x02":
            raise ArchiveError(f"corrupt zip: bad central directory entry #{index}")
        (_sig, _made_v, _made_os, _need_v, _need_os, flags, method, raw_time, _date, crc,
         csize, usize, n_name, n_extra, n_comment, _disk, _iattr, eattr,
         offset) = _CENTRAL.unpack_from(buf, i)
        total = _CENTRAL.size + n_name + n_extra + n_comment
        if len(buf) - i < total:
            buf, i = _refill(fh, buf, i, at + done, length - done, total)
            if len(buf) - i < total:
                raise ArchiveError(f"corrupt zip: bad central directory entry #{index}")
        name_at = i + _CENTRAL.size
        raw_name = buf[name_at : name_at + n_name]
        extra = buf[name_at + n_name : name_at + n_name + n_extra]
        name = (raw_name.decode("utf-8", "replace") if flags & 0x800
                else raw_name.decode("cp437"))
        entry = _ZipEntry(name, flags, method, raw_time, crc, csize, usize, offset, eattr >> 16,
                          raw_name=raw_name, raw_method=method)
        _read_extra(entry, extra, raw_name)
        i += total
        done += total
        yield entry


def _refill(fh: BinaryIO, buf: bytes, i: int, at: int, left: int, need: int) -> tuple[bytes, int]:
    """``buf[i:]`` (the file's bytes at ``at``) extended to at least ``need`` bytes if the
    ``left`` bytes of the directory allow; returns the new buffer, indexed from 0."""
    rest = buf[i:]
    want = min(max(need, INPUT), left) - len(rest)
    if want > 0:
        fh.seek(at + len(rest))
        rest += fh.read(want)
    return rest, 0


def _read_extra(entry: _ZipEntry, extra: bytes, raw_name: bytes) -> None:
    """Zip64 sizes and offset, WinZip AES parameters, Info-ZIP Unicode path."""
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<2H", extra, i)
        body = extra[i + 4 : i + 4 + size]
        i += 4 + size
        if tag == 0x0001:
            fields = [v for v in ("usize", "csize", "offset")
                      if getattr(entry, v) == 0xFFFFFFFF]
            for k, field_name in enumerate(fields):
                if 8 * k + 8 <= len(body):
                    setattr(entry, field_name, struct.unpack_from("<Q", body, 8 * k)[0])
        elif tag == 0x9901 and len(body) >= 7:
            version, _vendor, strength, method = struct.unpack_from("<H2sBH", body)
            if entry.method == 99:
                entry.aes_version, entry.aes_strength, entry.method = version, strength, method
        elif (tag == 0x7075 and len(body) >= 5 and body[0] == 1
              and struct.unpack_from("<L", body, 1)[0] == zlib.crc32(raw_name)):
            entry.name = body[5:].decode("utf-8", "replace")


class _ZipCrypto:
    """Traditional PKWARE encryption (ZipCrypto), decryption only. Written here because
    Python's zipfile keeps its decrypter private (``zipfile._ZipDecrypter``) and pyzipper's
    is tied to its ``ZipInfo``; the algorithm is a few lines of the APPNOTE."""

    _TABLE: ClassVar[list[int]] = []

    def __init__(self, password: bytes) -> None:
        if not self._TABLE:
            for i in range(256):
                c = i
                for _ in range(8):
                    c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
                self._TABLE.append(c)
        self.k0, self.k1, self.k2 = 305419896, 591751049, 878082192
        for byte in password:
            self._update(byte)

    def _update(self, byte: int) -> None:
        table = self._TABLE
        self.k0 = (self.k0 >> 8) ^ table[(self.k0 ^ byte) & 0xFF]
        self.k1 = ((self.k1 + (self.k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        self.k2 = (self.k2 >> 8) ^ table[(self.k2 ^ (self.k1 >> 24)) & 0xFF]

    def decrypt(self, data: bytes) -> bytes:
        out = bytearray(len(data))
        table = self._TABLE
        k0, k1, k2 = self.k0, self.k1, self.k2
        for i, c in enumerate(data):
            k = k2 | 2
            c ^= ((k * (k ^ 1)) >> 8) & 0xFF
            out[i] = c
            k0 = (k0 >> 8) ^ table[(k0 ^ c) & 0xFF]
            k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
            k2 = (k2 >> 8) ^ table[(k2 ^ (k1 >> 24)) & 0xFF]
        self.k0, self.k1, self.k2 = k0, k1, k2
        return bytes(out)


class _ZipSource:
    """The (decrypted) compressed bytes of one zip member, read from the file."""

    def __init__(self, fh: BinaryIO, start: int, entry: _ZipEntry, password: bytes | None):
        self.fh = fh
        self.entry = entry
        self.aes = None
        fh.seek(start + entry.offset)
        local = fh.read(_LOCAL.size)
        if len(local) < _LOCAL.size or local[:4] != b"PK\x03\x04":
            raise ArchiveError("corrupt zip member: bad local header")
        n_name, n_extra = _LOCAL.unpack(local)[-2:]
        fh.seek(start + entry.offset + _LOCAL.size + n_name + n_extra)
        self.left = entry.csize
        self.crypto: _ZipCrypto | None = None
        if password is None:
            return
        if entry.aes_version:
            salt = _AES_SALT.get(entry.aes_strength)
            if salt is None:
                raise ArchiveError("corrupt zip member: unknown AES key strength")
            header = self._raw(salt + 2)
            self.left -= _AES_HMAC
            self.aes = _WinZipAes(password, entry.aes_strength, header)
        else:
            self.crypto = _ZipCrypto(password)
            header = self.crypto.decrypt(self._raw(12))
            # The check byte: from the time when sizes are in a data descriptor, else the CRC.
            check = (entry.raw_time >> 8) & 0xFF if entry.flags & 0x8 else entry.crc >> 24
            if header[11] != check:
                raise _BadPassword

    def _raw(self, n: int) -> bytes:
        n = max(min(n, self.left), 0)
        data = self.fh.read(n) if n else b""
        if len(data) < n:
            raise ArchiveError("corrupt zip member: data ends early (truncated?)")
        self.left -= n
        return data

    def read(self, n: int) -> bytes:
        data = self._raw(n)
        if self.crypto is not None:
            return self.crypto.decrypt(data)
        if self.aes is not None:
            return self.aes.decrypt(data)
        return data

    def finish(self) -> None:
        """Checks the WinZip AES authentication code after the data."""
        if self.aes is not None:
            self.aes.check(self.fh.read(_AES_HMAC))


class _WinZipAes:
    """WinZip AES (AE-1 and AE-2) decryption, with pycryptodomex's public API.

    PBKDF2-HMAC-SHA1 (1 000 rounds) derives from the password and the member's salt the AES
    key, the authentication key and a 2-byte password verifier; the data is AES in CTR mode
    with a little-endian counter starting at 1; HMAC-SHA1 of the encrypted bytes, cut to 10
    bytes, follows them. (pyzipper implements the same but only behind its ``ZipInfo``-shaped
    internal decrypter, which we would have to fake.)"""

    def __init__(self, password: bytes, strength: int, header: bytes) -> None:
        from Cryptodome.Cipher import AES
        from Cryptodome.Hash import HMAC, SHA1
        from Cryptodome.Protocol.KDF import PBKDF2
        from Cryptodome.Util import Counter

        n = _AES_KEY[strength]
        salt, verifier = header[:-2], header[-2:]
        material = PBKDF2(password, salt, dkLen=2 * n + 2, count=1000, hmac_hash_module=SHA1)
        if len(header) != _AES_SALT[strength] + 2 or material[2 * n :] != verifier:
            raise _BadPassword
        self.cipher = AES.new(material[:n], AES.MODE_CTR,
                              counter=Counter.new(128, initial_value=1, little_endian=True))
        self.mac = HMAC.new(material[n : 2 * n], digestmod=SHA1)

    def decrypt(self, data: bytes) -> bytes:
        self.mac.update(data)
        return self.cipher.decrypt(data)

    def check(self, code: bytes) -> None:
        import hmac

        if not hmac.compare_digest(self.mac.digest()[:_AES_HMAC], code):
            raise ArchiveError("corrupt zip member: authentication code mismatch")


class _BadPassword(Exception):
    pass


def _zip_password(path: Path, start: int, entry: _ZipEntry, passwords: list[bytes],
                  preferred: list[int]) -> tuple[int, bytes] | None:
    """(index in the list, bytes) of the first password that opens ``entry``, or None.

    A password is tried as given (UTF-8), then, for ZipCrypto, in the Windows code pages old
    zip tools used for accented passwords."""
    order = preferred + [i for i in range(len(passwords)) if i not in preferred]
    kind = _ZIP_METHODS.get(entry.method, "stored")
    for index in order:
        for password in _password_variants(passwords[index], aes=bool(entry.aes_version)):
            try:
                with path.open("rb") as fh:
                    source = _ZipSource(fh, start, entry, password)
                    if kind == "deflate":  # ZipCrypto's check byte lets 1 in 256 wrong ones in
                        zlib.decompressobj(-zlib.MAX_WBITS).decompress(source.read(4096), 1)
            except (_BadPassword, zlib.error):
                continue
            except (ArchiveError, OSError):
                return None  # the member itself is damaged; reading it will say so
            return index, password
    return None


def _password_variants(password: bytes, *, aes: bool) -> list[bytes]:
    variants = [password]
    if aes:
        return variants
    try:
        text = password.decode("utf-8")
    except UnicodeDecodeError:
        return variants
    for codepage in ("cp1252", "cp437", "cp850"):
        try:
            encoded = text.encode(codepage)
        except UnicodeEncodeError:
            continue
        if encoded not in variants:
            variants.append(encoded)
    return variants


def _zip_reader(path: Path, start: int, entry: _ZipEntry, kind: str, password: bytes | None,
                limits: ArchiveLimits, budget: ByteBudget) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        try:
            fh = path.open("rb")
        except OSError as exc:
            raise ArchiveError(f"cannot read zip: {exc.strerror}") from exc
        with fh:
            try:
                source = _ZipSource(fh, start, entry, password)
            except _BadPassword as exc:
                raise ArchiveError("password no longer opens the member") from exc
            decoder = Decoder(source.read, kind)
            meter = Meter(limits, budget, None if kind == "stored" else lambda: decoder.consumed)
            crc = 0
            for chunk in metered(decoder.read, meter):
                crc = zlib.crc32(chunk, crc)
                yield chunk
            source.finish()
            if entry.aes_version != 2 and crc != entry.crc:  # AE-2 stores no CRC
                raise ArchiveError("corrupt zip member: CRC mismatch")

    return chunks

