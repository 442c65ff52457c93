"""Bounded decompression: never more than ``n`` bytes of output per step, whatever the input."""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from collections.abc import Callable
from typing import BinaryIO, Union

from breachscope.ingest.archives.limits import INPUT, ArchiveError

STREAM_KINDS = {"gzip": b"\x1f\x8b", "bzip2": b"BZh", "xz": b"\xfd7zXZ\x00"}


class Decoder:
    """Decompresses the bytes of ``source`` in steps of at most ``n`` bytes of output.

    ``kind`` is ``stored``, ``deflate`` (raw, as in zip), ``bzip2``, ``lzma-zip`` (a zip LZMA
    member) or a stream format (``gzip``, ``bzip2``, ``xz``, concatenated streams followed).
    ``consumed`` counts the compressed bytes read (a decompressor may hold up to
    :data:`INPUT` of them not yet used).
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
                    self.pending = self.source(INPUT)
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
                    data = self._take(INPUT)
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
        magic = STREAM_KINDS.get(self.kind)
        if not self.multi or magic is None:
            self.done = True
            return
        if self.kind == "xz":  # stream padding: zero bytes between streams
            self.pending = self.pending.lstrip(b"\x00")
        while len(self.pending) < len(magic):
            more = self.source(INPUT)
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
            more = self.take(INPUT)
            if not more:
                raise ArchiveError("corrupt zip LZMA member header")
            head += more
        size = struct.unpack("<H", head[2:4])[0]
        while len(head) < 4 + size:
            more = self.take(INPUT)
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



class FileSource:
    """A file read from the start, counting the bytes read."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.consumed = 0

    def read(self, n: int) -> bytes:
        data = self.fh.read(n)
        self.consumed += len(data)
        return data

