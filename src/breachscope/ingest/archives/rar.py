"""RAR 1.5-5: headers parsed by rarfile, members decoded by ``unar`` into a pipe."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from breachscope.childproc import dies_with_parent
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

# rarfile (pure Python) parses the headers: names, sizes, CRCs, flags, encryption. The data is
# decoded by The Unarchiver's ``unar`` (Debian package ``unar``: RAR 1.5 to 5, solid,
# encrypted), one process per member writing it to a pipe, read here in CHUNK steps under the
# limits; the process is killed as soon as a limit trips or the reader stops. unar is given
# the archive as ``/dev/fd/N`` so that it cannot pick sibling files of the dump as volumes,
# never extracts to disk (``-o -``) and does not expand nested archives (``-nr``).

UNAR = "unar"
_RAR_ENCRYPTED_NAMES = "(encrypted file names)"


def _rarfile():
    """rarfile, able to decrypt headers (``-hp`` archives). rarfile looks for the
    ``cryptography`` package or for PyCrypto's ``Crypto`` namespace only and has no public
    hook for another AES: pycryptodomex (installed with pyzipper) is the same API under the
    ``Cryptodome`` name, so it is handed to rarfile's module globals, which is what its own
    import fallback sets. Does nothing once ``cryptography`` is installed."""
    import rarfile

    if not rarfile._have_crypto:
        try:
            from Cryptodome.Cipher import AES

            rarfile.AES, rarfile._have_crypto = AES, 2
        except ImportError:  # pragma: no cover
            pass
    return rarfile


def rar_members(path: Path, limits: ArchiveLimits, budget: ByteBudget,
                 passwords: list[bytes]) -> Iterator[Member]:
    rarfile = _rarfile()
    with open_archive(path) as fh:
        try:
            archive = rarfile.RarFile(fh)
            infos = archive.infolist()
            opened_with: int | None = None
            if not infos and archive.needs_password():  # file names encrypted (-hp)
                archive = None
                for index, password in enumerate(passwords):
                    text = password_text(password)
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
                    yield Member(_RAR_ENCRYPTED_NAMES, 0, "encrypted", reason, no_data)
                    return
            error = archive.strerror()
        except MemoryError:
            raise
        except Exception as exc:
            raise ArchiveError(f"corrupt rar: {short_reason(exc)}") from exc
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
    packed_so_far = unpacked_so_far = 0  # of the file entries before this one (solid)
    for index, info in enumerate(infos):
        if info.is_dir():
            continue
        solid_before = (packed_so_far, unpacked_so_far) if solid else None
        packed_so_far += int(info.compress_size or 0)
        unpacked_so_far += int(info.file_size or 0)
        count += 1
        if count > limits.max_members:
            yield too_many(limits)
            return
        name = member_label(info.filename)
        size = int(info.file_size or 0)
        if info.file_redir or info.is_symlink():
            yield Member(name, 0, "skipped", "link in archive not followed", no_data)
            continue
        if info.flags & rarfile.RAR_FILE_SPLIT_BEFORE or info.flags & rarfile.RAR_FILE_SPLIT_AFTER:
            yield Member(name, size, "failed",
                         "member continues in another volume of a multi-volume RAR (not read)",
                         no_data)
            continue
        if solid and solid_broken is not None:
            yield Member(name, size, *solid_broken, no_data)
            continue
        if size > limits.max_member_bytes:
            yield Member(name, size, "skipped", declared_too_big(size, limits), no_data)
            solid_broken = ("skipped", "not read: follows a member beyond the limits in a "
                                       "solid archive")
            continue
        if size == 0:  # nothing to decode (and nothing a password would show)
            yield Member(name, 0, "ok", "", no_data)
            continue
        password, reason = None, ""
        if info.needs_password():
            found = _rar_password(path, index, info, passwords, preferred)
            if found is None:
                reason = "password-protected member"
                if passwords:
                    reason += "; no known password opened it"
                yield Member(name, size, "encrypted", reason, no_data)
                continue
            slot, password = found
            preferred[:] = [slot]
            reason = f"opened with password #{slot + 1} of the list"
        elif opened_with is not None:
            password = password_text(passwords[opened_with])
        if (spent := budget.exhausted()) is not None:
            yield Member(name, size, "skipped", spent, no_data)
            continue
        state: dict[str, tuple[str, str]] = {}
        yield Member(name, size, "ok", reason,
                     _rar_reader(path, index, info, password, file_size, limits, budget, state,
                                 solid_before))
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
                dies_with_parent(_rar_command(index, password, fd)), stdin=subprocess.DEVNULL,
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
                limits: ArchiveLimits, budget: ByteBudget, state: dict[str, tuple[str, str]],
                solid_before: tuple[int, int] | None) -> Callable[[], Iterator[bytes]]:
    size = int(info.file_size or 0)  # type: ignore[attr-defined]
    packed = min(int(info.compress_size or 0), file_size)  # type: ignore[attr-defined]
    before = None
    if solid_before is not None:  # the ratio of the solid stream so far (see Meter)
        packed = min(packed + solid_before[0], file_size)
        before = solid_before[1]
    crc = _rar_crc(info)

    def chunks() -> Iterator[bytes]:
        produced = 0
        # The compressed bytes behind the output: the member's packed size (unar reads it
        # whole; rarfile checked it against the file while walking the headers).
        meter = Meter(limits, budget, lambda: packed, before=before)
        meter.start = 0
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
    crc = getattr(info, "CRC", None)
    if crc is None:
        return None
    if isinstance(info, rarfile.Rar5FileInfo):  # RAR5: the CRC is optional, maybe keyed
        if not (info.file_flags or 0) & rarfile.RAR5_FILE_FLAG_HAS_CRC32:
            return None
        if info.file_encryption[1] & rarfile.RAR5_XENC_TWEAKED:
            return None
    return int(crc)


def _rar_password(path: Path, index: int, info: object, passwords: list[bytes],
                  preferred: list[int]) -> tuple[int, str] | None:
    """(index in the list, password) of the first password that opens member ``index``: the
    whole member is decoded and its CRC checked when under 1 MiB, else its first 64 KiB."""
    size = int(info.file_size or 0)  # type: ignore[attr-defined]
    crc = _rar_crc(info)
    whole = size <= CHUNK and crc is not None
    order = preferred + [i for i in range(len(passwords)) if i not in preferred]
    for slot in order:
        text = password_text(passwords[slot])
        if text is None:
            continue
        data, digest = 0, 0
        stream = _rar_stream(path, index, text)
        try:
            for chunk in stream:
                data += len(chunk)
                digest = zlib.crc32(chunk, digest)
                if not whole and data >= INPUT:
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
