"""Read archive members as streams, with hostile-input limits checked while streaming.

Members are only ever read, never extracted by an archive library: the caller streams their
bytes into content-addressed blobs, so member names cannot choose where anything is written
(a member name is a label).

Formats (:data:`ARCHIVE_TYPES`): zip (zip64, ZipCrypto and WinZip AES with known passwords),
tar (plain), single-file gzip / bzip2 / xz, whose content is iterated as a tar when it is
one (``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``), 7z (py7zr: headers parsed by py7zr,
data decoded here in bounded steps; AES with known passwords, encrypted headers too) and RAR
1.5-5 (headers parsed by rarfile, each member decoded by the ``unar`` tool into a pipe read
here in bounded steps; the tool is killed when a limit trips).

Everything is decompressed here, in bounded steps (never more than :data:`CHUNK` bytes of
output per step), so the limits of :class:`ArchiveLimits` are checked as bytes are produced: a
zip bomb is stopped after a few MiB of output, not after gigabytes. The zip central directory
is read as a stream too (its size is set by the attacker), so memory stays constant whatever
the number of members.
"""

from __future__ import annotations

import bz2
import lzma
import stat
import struct
import tarfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import BinaryIO, ClassVar, Union

ARCHIVE_TYPES = {"zip", "tar", "gzip", "bzip2", "xz", "7z", "rar"}
CHUNK = 1 << 20  # bytes of output per step; a member is never held in memory whole
_INPUT = 1 << 16  # compressed bytes read per step
_SLACK = _INPUT  # compressed bytes a decompressor may hold unaccounted (ratio denominator)


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits against decompression bombs; all are checked while bytes are produced."""

    max_member_bytes: int = 2 * 1024**3  # one member, uncompressed
    max_total_bytes: int = 20 * 1024**3  # all expanded from one top-level archive, nested too
    max_ratio: float = 200.0  # uncompressed / compressed, once a member passed the floor
    ratio_floor_bytes: int = 8 * 1024**2
    max_members: int = 200_000  # per archive
    max_depth: int = 8  # nesting (enforced by the caller)


DEFAULT_LIMITS = ArchiveLimits()


class ArchiveError(Exception):
    """The archive (or a member) cannot be read; the message is the recorded reason."""


class LimitExceeded(ArchiveError):
    """A limit of :class:`ArchiveLimits` was hit; the message says which, with numbers."""


class ByteBudget:
    """Bytes that may still be expanded from one top-level archive, nested archives included.

    Share one budget between the nested :func:`iter_members` calls of one top-level archive.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def consume(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise LimitExceeded(
                f"archive expands beyond the {_human(self.limit)} total limit "
                "(nested archives included)"
            )


@dataclass(slots=True)
class Member:
    """A member: ``status`` is ``ok`` or the status to record (``encrypted``, ``skipped``,
    ``failed``). ``name`` is a label (forward slashes, no leading ``/``), never a path.
    ``chunks()`` yields the bytes of an ``ok`` member and raises :class:`LimitExceeded` or
    :class:`ArchiveError` mid-stream; call it fully before asking for the next member, while
    the iterator of :func:`iter_members` is still open (a tar is read as one stream)."""

    name: str
    size: int
    status: str
    reason: str
    chunks: Callable[[], Iterator[bytes]]


def load_passwords(path: Path) -> list[bytes]:
    """Known archive passwords: one per line, UTF-8, blank lines ignored."""
    text = Path(path).read_text(encoding="utf-8-sig")
    lines = (line.removesuffix("\r") for line in text.split("\n"))
    return [line.encode("utf-8") for line in lines if line.strip()]


def iter_members(
    path: Path,
    file_type: str,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    budget: ByteBudget | None = None,
    passwords: Sequence[bytes] = (),
) -> Iterator[Member]:
    """The members of the archive at ``path`` (``file_type`` from :func:`sniff_type`).

    Raises :class:`ArchiveError` when the archive itself cannot be read (possibly after some
    members were yielded: a corrupt central directory or tar header stops the listing).
    """
    path = Path(path)
    if budget is None:
        budget = ByteBudget(limits.max_total_bytes)
    if file_type == "zip":
        yield from _zip_members(path, limits, budget, list(passwords))
    elif file_type == "tar":
        yield from _tar_file_members(path, limits, budget)
    elif file_type in _STREAM_KINDS:
        yield from _compressed_members(path, file_type, limits, budget)
    elif file_type == "7z":
        yield from _7z_members(path, limits, budget, list(passwords))
    elif file_type == "rar":
        yield from _rar_members(path, limits, budget, list(passwords))
    else:
        raise ArchiveError(f"unsupported archive type: {file_type}")


# -- limits ----------------------------------------------------------------------------------


class _Meter:
    """Checks one member's limits as its bytes are produced.

    ``consumed`` returns the compressed bytes read so far (for the ratio), or is None when the
    bytes are not decompressed here. ``charge`` is False when the bytes were already charged
    to the budget (a member of a compressed tar: the whole stream is charged).
    """

    def __init__(self, limits: ArchiveLimits, budget: ByteBudget,
                 consumed: Callable[[], int] | None, *, charge: bool = True) -> None:
        self.limits = limits
        self.budget = budget
        self.consumed = consumed
        self.start = consumed() if consumed else 0
        self.charge = charge
        self.produced = 0
        self.slack = _SLACK  # compressed bytes possibly read but not yet used

    def count(self, n: int) -> None:
        self.produced += n
        limits = self.limits
        if self.produced > limits.max_member_bytes:
            raise LimitExceeded(
                f"member expands beyond the {_human(limits.max_member_bytes)} per-member limit")
        if self.charge:
            self.budget.consume(n)
        if self.consumed is not None and self.produced >= limits.ratio_floor_bytes:
            used = self.consumed() - self.start
            if self.produced > limits.max_ratio * (used + self.slack):
                raise LimitExceeded(
                    f"member expands beyond ratio {limits.max_ratio:g} "
                    f"({_human(self.produced)} from {_human(used)})")


def _metered(read: Callable[[int], bytes], meter: _Meter) -> Iterator[bytes]:
    while chunk := read(CHUNK):
        meter.count(len(chunk))
        yield chunk


def _human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            break
        n /= 1024
    if unit == "bytes":
        return f"{int(n)} bytes"
    return f"{n:.1f} {unit}".replace(".0 ", " ")


def _too_many(limits: ArchiveLimits) -> Member:
    return Member("(more members not read)", 0, "skipped",
                  f"archive has more than {limits.max_members} members; the rest were not read",
                  _none)


def _declared_too_big(size: int, limits: ArchiveLimits) -> str:
    return (f"member declares {_human(size)}, beyond the "
            f"{_human(limits.max_member_bytes)} per-member limit")


# -- bounded decompression -------------------------------------------------------------------

_STREAM_KINDS = {"gzip": b"\x1f\x8b", "bzip2": b"BZh", "xz": b"\xfd7zXZ\x00"}


class _Decoder:
    """Decompresses the bytes of ``source`` in steps of at most ``n`` bytes of output.

    ``kind`` is ``stored``, ``deflate`` (raw, as in zip), ``bzip2``, ``lzma-zip`` (a zip LZMA
    member) or a stream format (``gzip``, ``bzip2``, ``xz``, concatenated streams followed).
    ``consumed`` counts the compressed bytes read (a decompressor may hold up to
    :data:`_INPUT` of them not yet used).
    """

    def __init__(self, source: Callable[[int], bytes], kind: str, *, multi: bool = False) -> None:
        self.source = source
        self.kind = kind
        self.multi = multi  # follow concatenated streams (gzip -c a >> f; pbzip2; xz)
        self.fed = 0
        self.pending = b""  # input read but not given to (zlib: not used by) the decompressor
        self.done = False
        self.error: ArchiveError | None = None
        self.dec = self._new() if kind != "stored" else None

    @property
    def consumed(self) -> int:
        return self.fed - len(self.pending)

    def _new(self) -> _AnyDecompressor:
        kind = self.kind
        if kind == "deflate":
            return zlib.decompressobj(-zlib.MAX_WBITS)
        if kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if kind == "bzip2":
            return bz2.BZ2Decompressor()
        if kind == "xz":
            return lzma.LZMADecompressor(lzma.FORMAT_AUTO)
        if kind == "lzma-zip":
            return _ZipLzma(self._take)
        raise ArchiveError(f"unsupported compression: {kind}")  # pragma: no cover

    def _take(self, n: int) -> bytes:
        """Up to ``n`` input bytes: pending first, then the source."""
        if self.pending:
            data, self.pending = self.pending[:n], self.pending[n:]
            return data
        data = self.source(n)
        self.fed += len(data)
        return data

    def read(self, n: int) -> bytes:
        if self.error is not None:  # a decompressor is unusable after an error
            raise self.error
        try:
            return self._read(n)
        except ArchiveError as exc:
            self.error = exc
            raise
        except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError,
                RuntimeError) as exc:
            self.error = ArchiveError(f"corrupt compressed data: {exc}")
            raise self.error from exc

    def _read(self, n: int) -> bytes:
        while not self.done:
            dec = self.dec
            if dec is None:  # stored
                data = self._take(n)
                if not data:
                    self.done = True
                return data
            if dec.eof:
                self._next_stream()
                continue
            if isinstance(dec, _ZLIB_TYPE):
                if not self.pending:
                    self.pending = self.source(_INPUT)
                    self.fed += len(self.pending)
                    if not self.pending:
                        if out := dec.flush():  # at most a window of output
                            return out
                        raise ArchiveError("compressed data ends early (truncated?)")
                out = dec.decompress(self.pending, n)
                self.pending = dec.unconsumed_tail
                if dec.eof:
                    self.pending = dec.unused_data
            else:
                data = b""
                if dec.needs_input:
                    data = self._take(_INPUT)
                    if not data:
                        if self.kind == "lzma-zip":  # may end without an end marker
                            self.done = True
                            return b""
                        raise ArchiveError("compressed data ends early (truncated?)")
                out = dec.decompress(data, n)
                if dec.eof:
                    self.pending = dec.unused_data + self.pending
            if out:
                return out
        return b""

    def _next_stream(self) -> None:
        """After the end of one stream: start the next concatenated one, or stop."""
        magic = _STREAM_KINDS.get(self.kind)
        if not self.multi or magic is None:
            self.done = True
            return
        if self.kind == "xz":  # stream padding: zero bytes between streams
            self.pending = self.pending.lstrip(b"\x00")
        while len(self.pending) < len(magic):
            more = self.source(_INPUT)
            if not more:
                break
            self.fed += len(more)
            self.pending += more.lstrip(b"\x00") if self.kind == "xz" else more
        if self.pending.startswith(magic):
            self.dec = self._new()
        else:  # trailing garbage or padding after the last stream: ignored
            self.done = True


_ZLIB_TYPE = type(zlib.decompressobj())
_AnyDecompressor = Union["zlib._Decompress", bz2.BZ2Decompressor, lzma.LZMADecompressor,
                         "_ZipLzma"]


class _ZipLzma:
    """A zip LZMA member: a 4-byte header and the LZMA properties, then a raw LZMA1 stream."""

    def __init__(self, take: Callable[[int], bytes]) -> None:
        self.take = take
        self.dec: lzma.LZMADecompressor | None = None

    def _start(self, data: bytes) -> bytes:
        head = data
        while len(head) < 4:
            more = self.take(_INPUT)
            if not more:
                raise ArchiveError("corrupt zip LZMA member header")
            head += more
        size = struct.unpack("<H", head[2:4])[0]
        while len(head) < 4 + size:
            more = self.take(_INPUT)
            if not more:
                raise ArchiveError("corrupt zip LZMA member header")
            head += more
        props = head[4 : 4 + size]
        if size < 5 or props[0] >= 9 * 5 * 5:
            raise ArchiveError("corrupt zip LZMA member header")
        lc_lp_pb, dict_size = props[0], struct.unpack("<I", props[1:5])[0]
        pb, rest = divmod(lc_lp_pb, 45)
        lp, lc = divmod(rest, 9)
        self.dec = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[{
            "id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}])
        return head[4 + size :]

    @property
    def eof(self) -> bool:
        return self.dec is not None and self.dec.eof

    @property
    def needs_input(self) -> bool:
        return self.dec is None or self.dec.needs_input

    @property
    def unused_data(self) -> bytes:
        return self.dec.unused_data if self.dec is not None else b""

    def decompress(self, data: bytes, n: int) -> bytes:
        if self.dec is None:
            data = self._start(data)
        return self.dec.decompress(data, n)


# -- zip -------------------------------------------------------------------------------------

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


def _zip_members(path: Path, limits: ArchiveLimits, budget: ByteBudget,
                 passwords: list[bytes]) -> Iterator[Member]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ArchiveError(f"cannot read zip: {exc.strerror}") from exc
    with handle:
        start, entries = _zip_directory(handle)
        count = 0
        preferred: list[int] = []  # the password that worked last is tried first
        for entry in entries:
            name = _member_label(entry.name)
            if entry.name.replace("\\", "/").endswith("/"):
                continue  # a directory
            count += 1
            if count > limits.max_members:
                yield _too_many(limits)
                return
            if stat.S_ISLNK(entry.mode):
                yield Member(name, 0, "skipped", "symbolic link in archive not followed", _none)
                continue
            if entry.usize > limits.max_member_bytes:
                yield Member(name, entry.usize, "skipped",
                             _declared_too_big(entry.usize, limits), _none)
                continue
            kind = _ZIP_METHODS.get(entry.method)
            if kind is None:
                method = _ZIP_METHOD_NAMES.get(entry.method, "unknown")
                yield Member(name, entry.usize, "failed",
                             f"unsupported zip compression method {entry.method} ({method})",
                             _none)
                continue
            password, reason = None, ""
            if entry.flags & 0x1:
                if entry.flags & 0x40:
                    yield Member(name, entry.usize, "encrypted",
                                 "password-protected member (unsupported strong encryption)",
                                 _none)
                    continue
                found = _zip_password(path, start, entry, passwords, preferred)
                if found is None:
                    reason = "password-protected member"
                    if passwords:
                        reason += "; no known password opened it"
                    yield Member(name, entry.usize, "encrypted", reason, _none)
                    continue
                index, password = found
                preferred[:] = [index]
                reason = f"opened with password #{index + 1} of the list"
            budget.consume(0)  # an exhausted budget ends the archive (overlapping-entry bombs)
            yield Member(name, entry.usize, "ok", reason,
                         _zip_reader(path, start, entry, kind, password, limits, budget))


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
        entry = _ZipEntry(name, flags, method, raw_time, crc, csize, usize, offset, eattr >> 16)
        _read_extra(entry, extra, raw_name)
        i += total
        done += total
        yield entry


def _refill(fh: BinaryIO, buf: bytes, i: int, at: int, left: int, need: int) -> tuple[bytes, int]:
    """``buf[i:]`` (the file's bytes at ``at``) extended to at least ``need`` bytes if the
    ``left`` bytes of the directory allow; returns the new buffer, indexed from 0."""
    rest = buf[i:]
    want = min(max(need, _INPUT), left) - len(rest)
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
    """Traditional PKWARE encryption (ZipCrypto), decryption only."""

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
            from pyzipper.zipfile_aes import AESZipDecrypter

            salt = _AES_SALT.get(entry.aes_strength)
            if salt is None:
                raise ArchiveError("corrupt zip member: unknown AES key strength")
            header = self._raw(salt + 2)
            info = SimpleNamespace(filename=entry.name, wz_aes_strength=entry.aes_strength)
            self.left -= _AES_HMAC
            try:
                self.aes = AESZipDecrypter(info, password, header)
            except RuntimeError as exc:
                raise _BadPassword from exc
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
            code = self.fh.read(_AES_HMAC)
            try:
                self.aes.check_hmac(code)
            except Exception as exc:  # pyzipper raises its own BadZipFile
                raise ArchiveError("corrupt zip member: authentication code mismatch") from exc


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
            decoder = _Decoder(source.read, kind)
            meter = _Meter(limits, budget, None if kind == "stored" else lambda: decoder.consumed)
            crc = 0
            for chunk in _metered(decoder.read, meter):
                crc = zlib.crc32(chunk, crc)
                yield chunk
            source.finish()
            if entry.aes_version != 2 and crc != entry.crc:  # AE-2 stores no CRC
                raise ArchiveError("corrupt zip member: CRC mismatch")

    return chunks


# -- tar and compressed streams ----------------------------------------------------------------

_SUFFIXES = {
    "gzip": {".gz": "", ".gzip": "", ".tgz": ".tar", ".taz": ".tar"},
    "bzip2": {".bz2": "", ".bz": "", ".tbz2": ".tar", ".tbz": ".tar"},
    "xz": {".xz": "", ".txz": ".tar", ".lzma": ""},
}


class _FileSource:
    """A file read from the start, counting the bytes read."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.consumed = 0

    def read(self, n: int) -> bytes:
        data = self.fh.read(n)
        self.consumed += len(data)
        return data


class _GuardedStream:
    """The decompressed bytes of a compressed tar, as a file for :mod:`tarfile`: every byte
    (headers and skipped data included) is charged to the budget, and the whole stream's
    ratio is checked, so nothing tarfile reads past can expand unchecked."""

    def __init__(self, decoder: _Decoder, limits: ArchiveLimits, budget: ByteBudget) -> None:
        self.decoder = decoder
        self.limits = limits
        self.budget = budget
        self.produced = 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = CHUNK
        data = self.decoder.read(min(n, CHUNK))
        self.produced += len(data)
        self.budget.consume(len(data))
        limits = self.limits
        if self.produced >= limits.ratio_floor_bytes:
            used = self.decoder.consumed
            # A backstop: more lenient than the member check, which names the member.
            if self.produced > limits.max_ratio * (used + 4 * _SLACK):
                raise LimitExceeded(
                    f"compressed archive expands beyond ratio {limits.max_ratio:g} "
                    f"({_human(self.produced)} from {_human(used)})")
        return data


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise ArchiveError(f"cannot read archive: {exc.strerror}") from exc


def _tar_file_members(path: Path, limits: ArchiveLimits, budget: ByteBudget) -> Iterator[Member]:
    with _open(path) as fh:
        yield from _tar_members(_FileSource(fh), None, limits, budget)


def _compressed_members(path: Path, kind: str, limits: ArchiveLimits,
                        budget: ByteBudget) -> Iterator[Member]:
    """A single compressed file: its content as one member, or the members of its tar."""
    with _open(path) as fh:
        if _is_tar(_head(_Decoder(_FileSource(fh).read, kind, multi=True), 512)):
            fh.seek(0)
            decoder = _Decoder(_FileSource(fh).read, kind, multi=True)
            stream = _GuardedStream(decoder, limits, budget)
            yield from _tar_members(stream, lambda: decoder.consumed, limits, budget)
            return
        fh.seek(0)
        name = _stream_member_name(path, kind, fh)
        size = 0
        if kind == "gzip" and fh.seek(0, 2) >= 18:  # ISIZE: the size modulo 4 GiB
            fh.seek(-4, 2)
            size = int.from_bytes(fh.read(4), "little")

    def chunks() -> Iterator[bytes]:
        with _open(path) as handle:
            decoder = _Decoder(_FileSource(handle).read, kind, multi=True)
            yield from _metered(decoder.read, _Meter(limits, budget, lambda: decoder.consumed))

    yield Member(name, size, "ok", "", chunks)


def _head(decoder: _Decoder, n: int) -> bytes:
    """The first ``n`` decompressed bytes (fewer if the stream is short or damaged)."""
    head = b""
    try:
        while len(head) < n and (data := decoder.read(n - len(head))):
            head += data
    except ArchiveError:
        pass  # reading the member will report it
    return head


def _is_tar(head: bytes) -> bool:
    from breachscope.ingest.sniff import is_tar_header

    return is_tar_header(head)


def _stream_member_name(path: Path, kind: str, fh: BinaryIO) -> str:
    """``liste.csv.gz`` → ``liste.csv``; without a known suffix, the name a gzip header
    carries, else ``content``."""
    suffix = path.suffix.lower()
    replacement = _SUFFIXES[kind].get(suffix)
    if replacement is not None and len(path.name) > len(suffix):
        return _member_label(path.name[: -len(suffix)] + replacement)
    if kind == "gzip":
        head = fh.read(_INPUT)
        if len(head) >= 10 and head[3] & 0x08:  # FNAME
            pos = 10
            if head[3] & 0x04:  # FEXTRA
                pos += 2 + int.from_bytes(head[10:12], "little")
            end = head.find(b"\x00", pos)
            if end > pos:
                raw = head[pos:end][:1024]
                try:
                    original = raw.decode("utf-8")
                except UnicodeDecodeError:
                    original = raw.decode("latin-1")
                label = _member_label(original)
                if label != "(unnamed)":
                    return label
    return "content"


def _tar_members(fileobj: _FileSource | _GuardedStream, consumed: Callable[[], int] | None,
                 limits: ArchiveLimits, budget: ByteBudget) -> Iterator[Member]:
    """Members of a tar read as a stream (``r|``). ``consumed`` is the compressed position for
    a compressed tar (whose stream already charges the budget), None for a plain tar."""
    try:
        archive = tarfile.open(fileobj=fileobj, mode="r|")  # noqa: SIM115 - closed below
    except tarfile.TarError as exc:
        raise ArchiveError(f"corrupt tar: {exc}") from exc
    count = 0
    with archive:
        while True:
            try:
                info = archive.next()
            except (tarfile.TarError, EOFError) as exc:
                raise ArchiveError(f"corrupt tar: {exc}") from exc
            if info is None:
                return
            archive.members.clear()  # tarfile keeps every header met; we never need them
            if info.isdir():
                continue
            count += 1
            if count > limits.max_members:
                yield _too_many(limits)
                return
            name = _member_label(info.name)
            if info.issym() or info.islnk():
                yield Member(name, 0, "skipped", "link in archive not followed", _none)
            elif info.ischr() or info.isblk() or info.isfifo():
                yield Member(name, 0, "skipped", "device or pipe in archive not read", _none)
            elif info.size > limits.max_member_bytes:
                yield Member(name, info.size, "skipped",
                             _declared_too_big(info.size, limits), _none)
            else:
                budget.consume(0)  # an exhausted budget ends the archive
                yield Member(name, info.size, "ok", "",
                             _tar_reader(archive, info, consumed, limits, budget))


def _tar_reader(archive: tarfile.TarFile, info: tarfile.TarInfo,
                consumed: Callable[[], int] | None, limits: ArchiveLimits,
                budget: ByteBudget) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        try:
            stream = archive.extractfile(info)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ArchiveError(f"corrupt tar member: {exc}") from exc
        if stream is None:  # pragma: no cover - only regular members get here
            return
        meter = _Meter(limits, budget, consumed, charge=consumed is None)

        def read(n: int) -> bytes:
            try:
                return stream.read(n)
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise ArchiveError(f"corrupt tar member: {exc}") from exc

        yield from _metered(read, meter)

    return chunks


# -- helpers ---------------------------------------------------------------------------------


def _member_label(raw: str) -> str:
    """A display name for a member: forward slashes, no leading ``/`` (names are labels)."""
    return raw.replace("\\", "/").lstrip("/") or "(unnamed)"


def _none() -> Iterator[bytes]:
    return iter(())


# -- 7z --------------------------------------------------------------------------------------
#
# py7zr parses the headers (header encryption included); the data is decoded here, folder by
# folder in archive order, with py7zr's folder decompressor asked for at most CHUNK bytes per
# step. A folder is a "solid block": its members are one compressed stream, so a member can
# only be reached by decoding those before it. Unread bytes are decoded and discarded under
# the same limits; once a member of a block is stopped by a limit or fails, the rest of that
# block is not read (recorded with the reason), never decoded past the limit.

_7Z_ENCRYPTED_NAMES = "(encrypted file names)"


def _7z_members(path: Path, limits: ArchiveLimits, budget: ByteBudget,
                passwords: list[bytes]) -> Iterator[Member]:
    with _open(path) as fh:
        archive, opened_with = _7z_open(fh, passwords)
        if archive is None:
            reason = "password-protected archive (file names encrypted)"
            if passwords:
                reason += "; no known password opened it"
            yield Member(_7Z_ENCRYPTED_NAMES, 0, "encrypted", reason, _none)
            return
        yield from _7z_walk(fh, archive, opened_with, limits, budget, passwords)


def _7z_open(fh: BinaryIO, passwords: list[bytes]) -> tuple[object | None, int | None]:
    """(py7zr archive, index of the password that opened its header, if one was needed)."""
    import py7zr

    try:
        return _7z_call(lambda: py7zr.SevenZipFile(fh, "r")), None
    except _7zPassword:
        pass
    for index, password in enumerate(passwords):
        text = _password_text(password)
        if text is None:
            continue
        fh.seek(0)
        try:
            return _7z_call(lambda text=text: py7zr.SevenZipFile(fh, "r", password=text)), index
        except (_7zPassword, ArchiveError):
            continue
    return None, None


class _7zPassword(Exception):
    pass


def _7z_call(fn: Callable[[], object]) -> object:
    """Calls py7zr, turning its errors (hostile input reaches any of them) into ours."""
    from py7zr.exceptions import PasswordRequired, UnsupportedCompressionMethodError

    try:
        return fn()
    except PasswordRequired as exc:
        raise _7zPassword from exc
    except UnsupportedCompressionMethodError as exc:
        raise ArchiveError("unsupported 7z compression method") from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise ArchiveError(f"corrupt 7z: {_short(exc)}") from exc


def _short(exc: BaseException) -> str:
    """An exception as a reason: its type, and its message when short and printable (py7zr
    messages name fields, never file content)."""
    text = str(exc)
    if 0 < len(text) <= 120 and text.isprintable():
        return text
    return type(exc).__name__


def _password_text(password: bytes) -> str | None:
    try:
        return password.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _7z_walk(fh: BinaryIO, archive: object, opened_with: int | None, limits: ArchiveLimits,
             budget: ByteBudget, passwords: list[bytes]) -> Iterator[Member]:
    header = archive.header  # type: ignore[attr-defined]
    streams = getattr(header, "main_streams", None)
    folders = list(streams.unpackinfo.folders) if streams is not None else []
    positions = list(streams.packinfo.packpositions) if streams is not None else []
    start = archive.afterheader  # type: ignore[attr-defined]
    blocks: dict[int, _7zBlock] = {}
    offsets: dict[int, int] = {}  # folder index -> bytes of the folder before the next file
    preferred: list[int] = [] if opened_with is None else [opened_with]
    count = 0
    for index, folder in enumerate(folders):
        if index + 1 >= len(positions):
            raise ArchiveError("corrupt 7z: pack positions missing")
        blocks[id(folder)] = _7zBlock(fh, folder, index, start + positions[index],
                                      positions[index + 1] - positions[index], limits, budget)
    for f in archive.files:  # type: ignore[attr-defined]
        name = _member_label(str(f.filename))
        if f.is_directory:
            continue
        count += 1
        if count > limits.max_members:
            yield _too_many(limits)
            return
        size = int(f.uncompressed or 0)
        if f.emptystream or f.folder is None:
            status, reason = ("skipped", "symbolic link in archive not followed") \
                if f.is_symlink else ("ok", "")
            yield Member(name, 0, status, reason, _none)
            continue
        block = blocks.get(id(f.folder))
        if block is None:
            raise ArchiveError("corrupt 7z: member outside every folder")
        offset = offsets.get(block.index, 0)
        offsets[block.index] = offset + size
        if block.broken is None:
            block.prepare(passwords, preferred, first_size=size, first_crc=f.crc32)
        if block.broken is None:
            try:
                block.skip_to(offset)
            except LimitExceeded as exc:
                block.broken = ("skipped", f"not read: in a solid block that expands beyond "
                                           f"the limits while skipping ({exc})")
            except ArchiveError as exc:
                block.broken = ("failed", f"not read: solid block damaged ({exc})")
        if block.broken is not None:
            status, reason = block.broken
            yield Member(name, size, status, reason, _none)
            continue
        if f.is_symlink or f.is_junction:
            yield Member(name, 0, "skipped", "symbolic link in archive not followed", _none)
            continue
        if size > limits.max_member_bytes:
            yield Member(name, size, "skipped", _declared_too_big(size, limits), _none)
            block.broken = ("skipped", "not read: follows a member beyond the limits in the "
                                       "same solid block")
            continue
        budget.consume(0)  # an exhausted budget ends the archive
        yield Member(name, size, "ok", block.reason, _7z_reader(block, offset, size, f.crc32))


def _7z_reader(block: _7zBlock, offset: int, size: int,
               crc: int | None) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        if block.broken is not None:
            raise ArchiveError(block.broken[1])
        try:
            block.skip_to(offset)
            meter = _Meter(block.limits, block.budget, lambda: block.consumed)
            left, digest = size, 0
            while left:
                data = block.read(min(CHUNK, left))
                left -= len(data)
                meter.count(len(data))
                digest = zlib.crc32(data, digest)
                yield data
            if crc is not None and digest != crc:
                raise ArchiveError("corrupt 7z member: CRC mismatch")
        except LimitExceeded as exc:
            block.broken = ("skipped", "not read: in the same solid block as a member "
                                       f"stopped by a limit ({exc})")
            raise
        except ArchiveError as exc:
            block.broken = ("failed", f"not read: solid block damaged ({exc})")
            raise

    return chunks


_7Z_UNBOUNDED = {0x32, 0x35, 0x37, 0x38}  # deflate, zstd, brotli, deflate64 in py7zr


class _7zBlock:
    """One 7z folder decoded in order, at most ``n`` bytes per step.

    py7zr's decompressor reads a block of input at every call; it is fed only when its
    decoders need input (otherwise the compressed position would run ahead of the output and
    the ratio could not be measured). Deflate, Deflate64, zstd and brotli decoders in py7zr
    ignore the output bound, so those folders are fed 4 KiB at a time (one step then yields at
    most about 4 MiB of deflate output; zstd and brotli can give more, up to the worker memory
    limit)."""

    def __init__(self, fh: BinaryIO, folder: object, index: int, start: int, packsize: int,
                 limits: ArchiveLimits, budget: ByteBudget) -> None:
        self.fh = fh
        self.folder = folder
        self.index = index
        self.start = start
        self.packsize = packsize
        self.limits = limits
        self.budget = budget
        self.broken: tuple[str, str] | None = None
        self.reason = ""
        self.password: str | None = getattr(folder, "password", None)
        self.dec: object | None = None
        self.pos = start  # file position of the next compressed byte
        self.produced = 0
        self.stalls = 0
        self.prepared = False

    @property
    def consumed(self) -> int:
        return self.pos - self.start

    def prepare(self, passwords: list[bytes], preferred: list[int], *, first_size: int,
                first_crc: int | None) -> None:
        """Once per folder: find its password if it needs one, and make its decoder."""
        if self.prepared:
            return
        self.prepared = True
        from py7zr.compressor import SupportedMethods

        coders = self.folder.coders  # type: ignore[attr-defined]
        try:
            encrypted = SupportedMethods.needs_password(coders)
        except Exception:
            encrypted = False
        if encrypted:
            order = preferred + [i for i in range(len(passwords)) if i not in preferred]
            for index in order:
                text = _password_text(passwords[index])
                if text is not None and self._opens(text, first_size, first_crc):
                    self.password = text
                    preferred[:] = [index]
                    self.reason = f"opened with password #{index + 1} of the list"
                    break
            else:
                reason = "password-protected member"
                if passwords:
                    reason += "; no known password opened it"
                self.broken = ("encrypted", reason)
                return
        try:
            self._reset()
        except ArchiveError as exc:
            self.broken = ("failed", str(exc))

    def _opens(self, password: str, first_size: int, first_crc: int | None) -> bool:
        """Whether ``password`` decodes the folder's first member (whole, CRC checked, when
        under 1 MiB; else its first 64 KiB without error)."""
        self.password = password
        whole = first_size <= CHUNK and first_crc is not None
        want = first_size if whole else min(first_size, _INPUT)
        try:
            self._reset()
            data = b""
            while len(data) < want:
                data += self.read(want - len(data))
        except (ArchiveError, _7zPassword):
            return False
        finally:
            self.dec = None
        return not whole or zlib.crc32(data) == first_crc

    def _reset(self) -> None:
        from py7zr.compressor import SevenZipDecompressor, SupportedMethods

        folder = self.folder
        coders = folder.coders  # type: ignore[attr-defined]
        try:
            ids = {SupportedMethods.get_filter_id(c) for c in coders}
        except Exception:
            ids = set()
        blocksize = 4096 if ids & _7Z_UNBOUNDED else _INPUT
        self.pos, self.produced, self.stalls = self.start, 0, 0
        self.dec = _7z_call(lambda: SevenZipDecompressor(
            coders, self.packsize, folder.unpacksizes,  # type: ignore[attr-defined]
            getattr(folder, "crc", None), self.password, blocksize))

    def _read_input(self, n: int) -> bytes:
        """The decompressor's input: nothing while one of its decoders still holds input."""
        if any(getattr(d, "needs_input", True) is False
               for d in self.dec.chain):  # type: ignore[attr-defined]
            return b""
        self.fh.seek(self.pos)
        data = self.fh.read(n)
        self.pos += len(data)
        return data

    def read(self, n: int) -> bytes:
        """Up to ``n`` decoded bytes; raises at the end of the folder's data."""
        dec = self.dec
        if dec is None:
            raise ArchiveError("7z folder cannot be decoded")
        before = self.pos
        out = _7z_call(lambda: dec.decompress(_Input(self._read_input), n))  # type: ignore
        if not out:
            self.stalls = self.stalls + 1 if self.pos == before else 0
            if self.stalls > 3 or (self.consumed >= self.packsize and self.stalls):
                raise ArchiveError("corrupt 7z: compressed data ends early (truncated?)")
        self.produced += len(out)
        return bytes(out)

    def skip_to(self, offset: int) -> None:
        """Decode and discard up to ``offset`` bytes of the folder (members not read)."""
        if self.produced > offset:
            raise ArchiveError("7z member read out of order")
        if self.produced == offset:
            return
        meter = _Meter(self.limits, self.budget, lambda: self.consumed)
        while self.produced < offset:
            meter.count(len(self.read(min(CHUNK, offset - self.produced))))


class _Input:
    """The file object py7zr's decompressor reads from (``read`` only)."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self.read = read


# -- rar -------------------------------------------------------------------------------------
#
# rarfile (pure Python) parses the headers: names, sizes, CRCs, flags, encryption. The data is
# decoded by The Unarchiver's ``unar`` (Debian package ``unar``: RAR 1.5 to 5, solid,
# encrypted), one process per member writing it to a pipe, read here in CHUNK steps under the
# limits; the process is killed as soon as a limit trips or the reader stops. unar is given
# the archive as ``/dev/fd/N`` so that it cannot pick sibling files of the dump as volumes,
# never extracts to disk (``-o -``) and does not expand nested archives (``-nr``).

UNAR = "unar"
_RAR_ENCRYPTED_NAMES = "(encrypted file names)"


def _rarfile():
    import rarfile

    if not rarfile._have_crypto:  # header decryption through pycryptodomex (pyzipper's)
        try:
            from Cryptodome.Cipher import AES

            rarfile.AES, rarfile._have_crypto = AES, 2
        except ImportError:  # pragma: no cover
            pass
    return rarfile


def _rar_members(path: Path, limits: ArchiveLimits, budget: ByteBudget,
                 passwords: list[bytes]) -> Iterator[Member]:
    rarfile = _rarfile()
    with _open(path) as fh:
        try:
            archive = rarfile.RarFile(fh)
            infos = archive.infolist()
            opened_with: int | None = None
            if not infos and archive.needs_password():  # file names encrypted (-hp)
                archive = None
                for index, password in enumerate(passwords):
                    text = _password_text(password)
                    if text is None:
                        continue
                    fh.seek(0)
                    try:
                        candidate = rarfile.RarFile(fh)
                        candidate.setpassword(text)
                    except (rarfile.Error, ValueError, struct.error):
                        continue
                    if candidate.infolist():
                        archive, infos, opened_with = candidate, candidate.infolist(), index
                        break
                if archive is None:
                    reason = "password-protected archive (file names encrypted)"
                    if passwords:
                        reason += "; no known password opened it"
                    yield Member(_RAR_ENCRYPTED_NAMES, 0, "encrypted", reason, _none)
                    return
            error = archive._file_parser._parse_error if archive._file_parser else None
        except MemoryError:
            raise
        except Exception as exc:
            raise ArchiveError(f"corrupt rar: {_short(exc)}") from exc
        if error and not infos:
            raise ArchiveError(f"corrupt rar: {error}")
        if not infos:
            # The RAR tools cannot write an archive without a single entry: a signature
            # followed by nothing readable is a damaged file, not an empty archive.
            raise ArchiveError("corrupt rar: no entry header could be read")
        size = fh.seek(0, 2)
        solid = archive.is_solid()
    yield from _rar_walk(path, infos, size, solid, opened_with, limits, budget, passwords)
    if error:
        raise ArchiveError(f"corrupt rar: {error}")


def _rar_walk(path: Path, infos: list, file_size: int, solid: bool, opened_with: int | None,
              limits: ArchiveLimits, budget: ByteBudget,
              passwords: list[bytes]) -> Iterator[Member]:
    rarfile = _rarfile()
    preferred: list[int] = [] if opened_with is None else [opened_with]
    count = 0
    solid_broken: tuple[str, str] | None = None
    for index, info in enumerate(infos):
        if info.is_dir():
            continue
        count += 1
        if count > limits.max_members:
            yield _too_many(limits)
            return
        name = _member_label(info.filename)
        size = int(info.file_size or 0)
        if info.file_redir or info.is_symlink():
            yield Member(name, 0, "skipped", "link in archive not followed", _none)
            continue
        if info.flags & rarfile.RAR_FILE_SPLIT_BEFORE or info.flags & rarfile.RAR_FILE_SPLIT_AFTER:
            yield Member(name, size, "failed",
                         "member continues in another volume of a multi-volume RAR (not read)",
                         _none)
            continue
        if solid and solid_broken is not None:
            yield Member(name, size, *solid_broken, _none)
            continue
        if size > limits.max_member_bytes:
            yield Member(name, size, "skipped", _declared_too_big(size, limits), _none)
            solid_broken = ("skipped", "not read: follows a member beyond the limits in a "
                                       "solid archive")
            continue
        if size == 0:  # nothing to decode (and nothing a password would show)
            yield Member(name, 0, "ok", "", _none)
            continue
        password, reason = None, ""
        if info.needs_password():
            found = _rar_password(path, index, info, passwords, preferred)
            if found is None:
                reason = "password-protected member"
                if passwords:
                    reason += "; no known password opened it"
                yield Member(name, size, "encrypted", reason, _none)
                continue
            slot, password = found
            preferred[:] = [slot]
            reason = f"opened with password #{slot + 1} of the list"
        elif opened_with is not None:
            password = _password_text(passwords[opened_with])
        budget.consume(0)
        state: dict[str, tuple[str, str]] = {}
        yield Member(name, size, "ok", reason,
                     _rar_reader(path, index, info, password, file_size, limits, budget, state))
        if state:
            solid_broken = state["broken"]


def _rar_command(index: int, password: str | None, fd: int) -> list[str]:
    command = [UNAR, "-q", "-o", "-", "-nr", "-k", "skip", "-i"]
    command += ["-p", password] if password is not None else ["-p", ""]
    return [*command, f"/dev/fd/{fd}", str(index)]


def _rar_stream(path: Path, index: int, password: str | None) -> Iterator[bytes]:
    """The bytes unar writes for member ``index``; the process is killed when the caller
    stops reading. Raises ArchiveError when unar fails."""
    import subprocess

    try:
        fh = path.open("rb")
    except OSError as exc:
        raise ArchiveError(f"cannot read rar: {exc.strerror}") from exc
    with fh:
        fd = fh.fileno()
        try:
            proc = subprocess.Popen(
                _rar_command(index, password, fd), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, pass_fds=(fd,),
                close_fds=True, start_new_session=True)
        except OSError as exc:
            raise ArchiveError(f"cannot run {UNAR} to read rar (is unar installed?): "
                               f"{exc.strerror}") from exc
        try:
            assert proc.stdout is not None
            while chunk := proc.stdout.read(CHUNK):
                yield chunk
            code = proc.wait()
            if code != 0:
                raise ArchiveError(f"corrupt rar member: {UNAR} failed (exit status {code})")
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def _rar_reader(path: Path, index: int, info: object, password: str | None, file_size: int,
                limits: ArchiveLimits, budget: ByteBudget,
                state: dict[str, tuple[str, str]]) -> Callable[[], Iterator[bytes]]:
    size = int(info.file_size or 0)  # type: ignore[attr-defined]
    packed = min(int(info.compress_size or 0), file_size)  # type: ignore[attr-defined]
    crc = _rar_crc(info)

    def chunks() -> Iterator[bytes]:
        produced = 0
        # The compressed bytes behind the output: the member's packed size (unar reads it
        # whole; rarfile checked it against the file while walking the headers).
        meter = _Meter(limits, budget, lambda: packed)
        meter.start, meter.slack = 0, 0
        digest = 0
        stream = _rar_stream(path, index, password)
        try:
            for chunk in stream:
                produced += len(chunk)
                if produced > size:
                    raise ArchiveError("corrupt rar member: more data than declared")
                meter.count(len(chunk))
                digest = zlib.crc32(chunk, digest)
                yield chunk
            if produced != size:
                raise ArchiveError("corrupt rar member: data ends early (truncated?)")
            if crc is not None and digest != crc:
                raise ArchiveError("corrupt rar member: CRC mismatch")
        except LimitExceeded as exc:
            state["broken"] = ("skipped", "not read: follows a member stopped by a limit in "
                                          f"a solid archive ({exc})")
            raise
        except ArchiveError as exc:
            state["broken"] = ("failed", f"not read: solid archive damaged ({exc})")
            raise
        finally:
            stream.close()

    return chunks


def _rar_crc(info: object) -> int | None:
    """The member's plain CRC-32, or None when it has none to check (RAR5 with only a BLAKE2
    hash, or an encrypted RAR5 member whose checksum is keyed by the password). unar exits 0
    even when a wrong password gives nothing: the declared size is checked as well."""
    rarfile = _rarfile()
    if getattr(info, "_md_class", None) is not rarfile.CRC32Context:
        return None
    crc = getattr(info, "CRC", None)
    return int(crc) if crc is not None else None


def _rar_password(path: Path, index: int, info: object, passwords: list[bytes],
                  preferred: list[int]) -> tuple[int, str] | None:
    """(index in the list, password) of the first password that opens member ``index``: the
    whole member is decoded and its CRC checked when under 1 MiB, else its first 64 KiB."""
    size = int(info.file_size or 0)  # type: ignore[attr-defined]
    crc = _rar_crc(info)
    whole = size <= CHUNK and crc is not None
    order = preferred + [i for i in range(len(passwords)) if i not in preferred]
    for slot in order:
        text = _password_text(passwords[slot])
        if text is None:
            continue
        data, digest = 0, 0
        stream = _rar_stream(path, index, text)
        try:
            for chunk in stream:
                data += len(chunk)
                digest = zlib.crc32(chunk, digest)
                if not whole and data >= _INPUT:
                    break
        except ArchiveError:
            continue
        finally:
            stream.close()
        if data == 0 and size:
            continue
        if whole and (data != size or digest != crc):
            continue
        return slot, text
    return None
