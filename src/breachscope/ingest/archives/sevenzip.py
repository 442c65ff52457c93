"""7z: headers parsed by py7zr, data decoded here folder by folder in bounded steps."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from breachscope.ingest.archives.limits import (
    CHUNK,
    INPUT,
    ArchiveError,
    ArchiveLimits,
    ByteBudget,
    LimitExceeded,
    Member,
    Meter,
    declared_too_big,
    member_label,
    no_data,
    open_archive,
    password_text,
    short_reason,
    too_many,
)

# py7zr parses the headers (header encryption included); the data is decoded here, folder by
# folder in archive order, with py7zr's folder decompressor asked for at most CHUNK bytes per
# step. A folder is a "solid block": its members are one compressed stream, so a member can
# only be reached by decoding those before it. Unread bytes are decoded and discarded under
# the same limits; once a member of a block is stopped by a limit or fails, the rest of that
# block is not read (recorded with the reason), never decoded past the limit.
#
# Why py7zr's internals (``header.main_streams``, ``afterheader``, ``files[i].folder``,
# ``py7zr.compressor.SevenZipDecompressor``) rather than its public API: the public readers
# (``read``/``readall``, ``extract`` with a ``WriterFactory``) decode whole folders on their
# own schedule, push the output into a writer and give no way to (a) ask for a bounded number
# of bytes per step, (b) know how many compressed bytes are behind the output (the ratio
# check) or (c) pull a member's bytes as an iterator while the caller streams them to a blob.
# ``SevenZipFile.list()`` gives names and sizes but not the folder of each member, which the
# solid-block bookkeeping needs. The internals used are few and checked by the tests of every
# 7z method we support (py7zr is pinned by the lock file).

_7Z_ENCRYPTED_NAMES = "(encrypted file names)"


def sevenzip_members(path: Path, limits: ArchiveLimits, budget: ByteBudget,
                passwords: list[bytes]) -> Iterator[Member]:
    with open_archive(path) as fh:
        archive, opened_with = _7z_open(fh, passwords)
        if archive is None:
            reason = "password-protected archive (file names encrypted)"
            if passwords:
                reason += "; no known password opened it"
            yield Member(_7Z_ENCRYPTED_NAMES, 0, "encrypted", reason, no_data)
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
        text = password_text(password)
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
        raise ArchiveError(f"corrupt 7z: {short_reason(exc)}") from exc



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
        name = member_label(str(f.filename))
        if f.is_directory:
            continue
        count += 1
        if count > limits.max_members:
            yield too_many(limits)
            return
        size = int(f.uncompressed or 0)
        if f.emptystream or f.folder is None:
            status, reason = ("skipped", "symbolic link in archive not followed") \
                if f.is_symlink else ("ok", "")
            yield Member(name, 0, status, reason, no_data)
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
            yield Member(name, size, status, reason, no_data)
            continue
        if f.is_symlink or f.is_junction:
            yield Member(name, 0, "skipped", "symbolic link in archive not followed", no_data)
            continue
        if size > limits.max_member_bytes:
            yield Member(name, size, "skipped", declared_too_big(size, limits), no_data)
            block.broken = ("skipped", "not read: follows a member beyond the limits in the "
                                       "same solid block")
            continue
        if (spent := budget.exhausted()) is not None:
            yield Member(name, size, "skipped", spent, no_data)
            continue
        yield Member(name, size, "ok", block.reason, _7z_reader(block, offset, size, f.crc32))


def _7z_reader(block: _7zBlock, offset: int, size: int,
               crc: int | None) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        if block.broken is not None:
            raise ArchiveError(block.broken[1])
        try:
            block.skip_to(offset)
            meter = Meter(block.limits, block.budget, lambda: block.consumed,
                          before=block.produced)
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
                text = password_text(passwords[index])
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
        want = first_size if whole else min(first_size, INPUT)
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
        blocksize = 4096 if ids & _7Z_UNBOUNDED else INPUT
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
        meter = Meter(self.limits, self.budget, lambda: self.consumed, before=self.produced)
        while self.produced < offset:
            meter.count(len(self.read(min(CHUNK, offset - self.produced))))


class _Input:
    """The file object py7zr's decompressor reads from (``read`` only)."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self.read = read

