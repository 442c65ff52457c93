"""Member blobs of an encrypted case: sealed on disk, opened in memory.

Archive members and embedded files are handed from the task that expands them to the task
that scans them through a file in the work area (``work/blobs``). In an encrypted case that
file must not be readable (issue 12: "nothing outside the case ... encrypted or not written
at all"): it is sealed with AES-256-GCM (``cryptography``, as the result batches in
:mod:`breachscope.results`) under the scan's random key, which is never written anywhere, so a
blob left behind by a ``kill -9`` can never be read, not even with the case key.

Format: frames of :data:`FRAME` bytes of plain text (the last one shorter, possibly empty),
each stored as a 12-byte random nonce and the ciphertext with its 16-byte tag. The frame's
index and whether it is the last are authenticated data: frames cannot be reordered, dropped
or the file cut short without the reading failing.

The task that scans a sealed blob decrypts it into an anonymous in-memory file
(``memfd_create``, Linux) and hands the extractors its path ``/proc/self/fd/N``: the plain
bytes exist only in memory and vanish with the process. A program the extractor runs gets the
descriptor itself (:class:`breachscope.extract._program.Program` passes ``N`` on). Memory: the
whole member, at most the per-member limit (``docs/limits.md``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

SUFFIX = ".sblob"  # a sealed blob's name ends so: the scanning task knows to open it
FRAME = 1024 * 1024  # plain bytes per frame
_NONCE = 12
_TAG = 16
_AAD = struct.Struct(">QB")  # frame index, last frame


class SealedBlobError(Exception):
    """A sealed blob that cannot be opened (altered, cut short, or sealed by another scan).
    The message quotes no content."""


def memfd_available() -> bool:
    return hasattr(os, "memfd_create") and Path("/proc/self/fd").is_dir()


class SealedWriter:
    """Write plain bytes to ``path`` sealed with ``key``; :meth:`close` seals the last frame
    (a file without its last frame is refused when read)."""

    def __init__(self, path: Path, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)
        self._out: BinaryIO = Path(path).open("xb")  # noqa: SIM115  (closed by close/abort)
        self._pending = bytearray()
        self._index = 0

    def write(self, data: bytes | memoryview) -> None:
        self._pending += data
        while len(self._pending) > FRAME:  # more follows: never the last frame
            self._seal(bytes(self._pending[:FRAME]), last=False)
            del self._pending[:FRAME]

    def _seal(self, plain: bytes, *, last: bool) -> None:
        nonce = os.urandom(_NONCE)
        self._out.write(nonce + self._aead.encrypt(nonce, plain, _AAD.pack(self._index, last)))
        self._index += 1

    def close(self) -> None:
        if self._out.closed:
            return
        try:
            self._seal(bytes(self._pending), last=True)
            self._pending.clear()
        finally:
            self._out.close()

    def abort(self) -> None:
        """Close without sealing the last frame (the caller removes the file)."""
        self._pending.clear()
        self._out.close()


def seal_stream(source: BinaryIO, target: Path, key: bytes) -> None:
    """Seal what the buffered ``source`` holds from its current position into ``target``
    (whole frames read ahead: no copy through :class:`SealedWriter`'s buffer)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(key)
    try:
        with Path(target).open("xb") as out:
            current, index = source.read(FRAME), 0
            while True:
                following = source.read(FRAME)  # a buffered read: FRAME bytes until the end
                nonce = os.urandom(_NONCE)
                aad = _AAD.pack(index, not following)
                out.write(nonce)
                out.write(aead.encrypt(nonce, current, aad))
                if not following:
                    return
                current, index = following, index + 1
    except BaseException:
        Path(target).unlink(missing_ok=True)
        raise


def iter_plain(path: Path, key: bytes) -> Iterator[bytes]:
    """The plain frames of the sealed blob at ``path``, checked one at a time."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(key)
    stored = FRAME + _NONCE + _TAG
    with Path(path).open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        done = index = 0
        while True:
            frame = fh.read(stored)
            done += len(frame)
            last = done >= size
            if len(frame) < _NONCE + _TAG or (not last and len(frame) != stored):
                raise SealedBlobError("sealed member blob cut short")
            try:
                yield aead.decrypt(frame[:_NONCE], frame[_NONCE:], _AAD.pack(index, last))
            except InvalidTag:
                raise SealedBlobError(
                    "sealed member blob cannot be opened (altered, or from another scan)"
                ) from None
            if last:
                return
            index += 1


@contextlib.contextmanager
def memory_file(name: str = "breachscope-blob") -> Iterator[tuple[BinaryIO, Path]]:
    """An anonymous in-memory file and the path to open it by (``/proc/self/fd/N``); closed,
    and so gone, on exit."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    with os.fdopen(fd, "w+b") as handle:
        yield handle, Path(f"/proc/self/fd/{fd}")


def stream_to_memory(handle: BinaryIO, chunks: Iterable[bytes]) -> tuple[str, int]:
    """Write ``chunks`` to ``handle``; (sha256 of the plain bytes, bytes written)."""
    digest = hashlib.sha256()
    written = 0
    for chunk in chunks:
        digest.update(chunk)
        handle.write(chunk)
        written += len(chunk)
    handle.flush()
    return digest.hexdigest(), written


@contextlib.contextmanager
def opened(path: Path, key: bytes) -> Iterator[Path]:
    """The plain bytes of the sealed blob at ``path`` in an in-memory file, as a path any
    reader in this process can open (and a program given the descriptor)."""
    with memory_file() as (handle, plain):
        for chunk in iter_plain(path, key):
            handle.write(chunk)
        handle.flush()
        yield plain
