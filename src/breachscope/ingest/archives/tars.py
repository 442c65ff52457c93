"""Tar (plain or compressed) and single-file gzip / bzip2 / xz, read as streams."""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from breachscope.ingest.archives.decoder import Decoder, FileSource
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
    human,
    member_label,
    metered,
    no_data,
    open_archive,
    too_many,
)

_SUFFIXES = {
    "gzip": {".gz": "", ".gzip": "", ".tgz": ".tar", ".taz": ".tar"},
    "bzip2": {".bz2": "", ".bz": "", ".tbz2": ".tar", ".tbz": ".tar"},
    "xz": {".xz": "", ".txz": ".tar", ".lzma": ""},
}



class _GuardedStream:
    """The decompressed bytes of a compressed tar, as a file for :mod:`tarfile`: every byte
    (headers and skipped data included) is charged to the budget, and the whole stream's
    ratio is checked, so nothing tarfile reads past can expand unchecked."""

    def __init__(self, decoder: Decoder, limits: ArchiveLimits, budget: ByteBudget) -> None:
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
        allowance = 4 * limits.ratio_allowance_bytes
        if self.produced > allowance:
            used = self.decoder.consumed
            # A backstop: more lenient than the member check, which names the member.
            if self.produced > limits.max_ratio * used + allowance:
                raise LimitExceeded(
                    f"compressed archive expands beyond ratio {limits.max_ratio:g} "
                    f"({human(self.produced)} from {human(used)})")
        return data



def tar_file_members(path: Path, limits: ArchiveLimits, budget: ByteBudget) -> Iterator[Member]:
    with open_archive(path) as fh:
        source = FileSource(fh)
        # The ratio of a plain tar member is its output over the archive bytes read for it:
        # 1 for an ordinary member, huge for a sparse one (a GNU sparse member declares
        # gigabytes of holes and stores a few blocks).
        yield from _tar_members(source, lambda: source.consumed, limits, budget, charge=True)


def compressed_members(path: Path, kind: str, limits: ArchiveLimits,
                        budget: ByteBudget) -> Iterator[Member]:
    """A single compressed file: its content as one member, or the members of its tar."""
    with open_archive(path) as fh:
        if _is_tar(_head(Decoder(FileSource(fh).read, kind, multi=True), 512)):
            fh.seek(0)
            decoder = Decoder(FileSource(fh).read, kind, multi=True)
            stream = _GuardedStream(decoder, limits, budget)
            yield from _tar_members(stream, lambda: decoder.consumed, limits, budget,
                                    charge=False)
            return
        fh.seek(0)
        name = _stream_member_name(path, kind, fh)
        size = 0
        if kind == "gzip" and fh.seek(0, 2) >= 18:  # ISIZE: the size modulo 4 GiB
            fh.seek(-4, 2)
            size = int.from_bytes(fh.read(4), "little")

    def chunks() -> Iterator[bytes]:
        with open_archive(path) as handle:
            decoder = Decoder(FileSource(handle).read, kind, multi=True)
            yield from metered(decoder.read, Meter(limits, budget, lambda: decoder.consumed))

    yield Member(name, size, "ok", "", chunks)


def _head(decoder: Decoder, n: int) -> bytes:
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
        return member_label(path.name[: -len(suffix)] + replacement)
    if kind == "gzip":
        head = fh.read(INPUT)
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
                label = member_label(original)
                if label != "(unnamed)":
                    return label
    return "content"


def _tar_members(fileobj: FileSource | _GuardedStream, consumed: Callable[[], int],
                 limits: ArchiveLimits, budget: ByteBudget, *,
                 charge: bool) -> Iterator[Member]:
    """Members of a tar read as a stream (``r|``). ``consumed`` is the position in the
    archive file (compressed, for a compressed tar). ``charge`` is False for a compressed
    tar, whose stream already charges the budget with every byte it produces."""
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
                yield too_many(limits)
                return
            name = member_label(info.name)
            if info.issym() or info.islnk():
                yield Member(name, 0, "skipped", "link in archive not followed", no_data)
            elif info.ischr() or info.isblk() or info.isfifo():
                yield Member(name, 0, "skipped", "device or pipe in archive not read", no_data)
            elif info.size > limits.max_member_bytes:
                yield Member(name, info.size, "skipped",
                             declared_too_big(info.size, limits), no_data)
            elif charge and (spent := budget.exhausted()) is not None:
                # A plain tar: reading on costs no expansion, the other members get rows.
                yield Member(name, info.size, "skipped", spent, no_data)
            else:
                # A compressed tar: reading on is expanding, an exhausted budget ends it.
                budget.consume(0)
                yield Member(name, info.size, "ok", "",
                             _tar_reader(archive, info, consumed, limits, budget, charge,
                                         None if charge else lambda: fileobj.produced))


def _tar_reader(archive: tarfile.TarFile, info: tarfile.TarInfo,
                consumed: Callable[[], int], limits: ArchiveLimits,
                budget: ByteBudget, charge: bool,
                before: Callable[[], int] | None) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        try:
            stream = archive.extractfile(info)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ArchiveError(f"corrupt tar member: {exc}") from exc
        if stream is None:  # pragma: no cover - only regular members get here
            return
        # A compressed tar is one solid stream: its ratio so far (see Meter).
        meter = Meter(limits, budget, consumed, charge=charge,
                      before=before() if before is not None else None)

        def read(n: int) -> bytes:
            try:
                return stream.read(n)
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise ArchiveError(f"corrupt tar member: {exc}") from exc

        yield from metered(read, meter)

    return chunks

