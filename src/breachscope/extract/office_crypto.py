"""Password-protected Office documents → the units of the document inside, when a known
password (``scan --passwords FILE``) opens it; else recorded ``encrypted``.

- A protected Word/Excel/PowerPoint 2007+ file is an OLE compound file holding an
  ``EncryptedPackage`` stream (the docx/xlsx/pptx zip, AES-encrypted, ECMA-376 "agile" or
  "standard" encryption) and its ``EncryptionInfo``. ``msoffcrypto-tool`` (MIT, maintained,
  pure Python over ``cryptography``) checks each password against the file's verifier and
  decrypts; it also knows the legacy RC4 encryption of ``.doc``, ``.xls`` and ``.ppt``
  (:func:`partition_decrypted` serves their extractors).
- The plain document never touches the disk when it can be helped: it is decrypted into an
  anonymous in-memory file (``memfd_create``) that the delegated extractor opens by its
  ``/proc/self/fd`` path, so nothing readable is left in the work area, even after a kill.
  A ``.doc`` goes to antiword with the in-memory file's descriptor; an extractor that hands
  the file to another program by name would get a temporary file under ``TMPDIR`` (the
  case's work area), removed at once.
  The encrypted package may not exceed :data:`MAX_PACKAGE` (the plain document is as big,
  and msoffcrypto holds it in memory twice while decrypting).
- The decrypted bytes are sniffed again (:func:`~breachscope.ingest.sniff.sniff_type`) and
  read by that type's extractor: the findings are the document's own, under its path.
- Reasons never quote a password or the content: ``Office document encrypted (password
  protected)``, with ``no known password opens it`` when passwords were tried.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO

from breachscope.extract.passwords import known_password_texts
from breachscope.extract.units import EncryptedContent, ExtractionError, Unit

#: The biggest encrypted package decrypted (bytes).
MAX_PACKAGE = 256 * 1024 * 1024
#: Sniffed types whose extractor can read the in-memory file by its ``/proc/self/fd`` path:
#: those read in this process, and ``doc``, whose programs get the descriptor
#: (:class:`~breachscope.extract._program.Program`).
_IN_PROCESS = frozenset({"docx", "xlsx", "xlsb", "pptx", "ppt", "xls", "ods", "odt", "csv",
                         "text", "doc"})
_REASON = "Office document encrypted (password protected)"
#: Set while a decrypted document is read: a document that still says it is encrypted once
#: decrypted is not decrypted again (no loop).
_DECRYPTING: ContextVar[bool] = ContextVar("breachscope_decrypting", default=False)


def partition_office_encrypted(path: Path) -> Iterator[Unit]:
    """Stream the units of the password-protected OOXML document at ``path``."""
    yield from partition_decrypted(Path(path), "Office document")


def partition_decrypted(path: Path, kind: str) -> Iterator[Unit]:
    """Decrypt the protected Office file at ``path`` (OOXML, or legacy ``.doc``/``.xls``/
    ``.ppt``) with the known passwords and stream the plain document's units; raise
    :class:`EncryptedContent` (``<kind> encrypted (password protected)``) when no known
    password opens it."""
    import msoffcrypto
    from msoffcrypto.exceptions import DecryptionError, FileFormatError, ParseError

    reason = f"{kind} encrypted (password protected)"
    passwords = known_password_texts()
    if not passwords or _DECRYPTING.get():
        raise EncryptedContent(reason)
    with Path(path).open("rb") as source:
        try:
            office = msoffcrypto.OfficeFile(source)
            _check_size(office)
            if not office.is_encrypted():
                raise ExtractionError(f"corrupt {kind}: marked encrypted but not encrypted")
        except (FileFormatError, ParseError):
            raise EncryptedContent(f"{reason}; encryption not supported") from None
        except ExtractionError:
            raise
        except Exception as exc:
            raise EncryptedContent(f"{reason}; encryption unreadable "
                                   f"({type(exc).__name__})") from None
        for password in passwords:
            with _plain_file() as (plain, plain_path):
                try:
                    _load_key(office, password)
                    office.decrypt(plain)
                except (DecryptionError, ParseError):
                    continue  # a wrong password (verifier or padding mismatch)
                except Exception:
                    continue  # msoffcrypto may fail in other ways on a wrong key
                plain.flush()
                token = _DECRYPTING.set(True)
                try:
                    yield from _delegate(plain_path, kind)
                finally:
                    _DECRYPTING.reset(token)
                return
    raise EncryptedContent(f"{reason}; no known password opens it")


def _load_key(office: object, password: str) -> None:
    """Give ``password`` to msoffcrypto, checked against the file's verifier: the OOXML
    formats check it when asked (``verify_password``), the legacy ones always do."""
    import inspect

    load_key = office.load_key  # type: ignore[attr-defined]
    if "verify_password" in inspect.signature(load_key).parameters:
        load_key(password=password, verify_password=True)
    else:
        load_key(password=password)


def _check_size(office: object) -> None:
    """Refuse a document whose encrypted stream is over :data:`MAX_PACKAGE` (olefile's
    directory gives the size before anything is read)."""
    ole = getattr(office, "file", None)
    get_size = getattr(ole, "get_size", None)
    if get_size is None:
        return
    for stream in ("EncryptedPackage", "WordDocument", "Workbook", "PowerPoint Document"):
        size = 0
        with contextlib.suppress(Exception):
            size = get_size(stream)
        if size > MAX_PACKAGE:
            raise ExtractionError(
                f"encrypted document refused: over {MAX_PACKAGE // 1024**2} MiB")


@contextlib.contextmanager
def _plain_file() -> Iterator[tuple[IO[bytes], Path]]:
    """A writable file for the decrypted document and a path to open it by: an anonymous
    in-memory file where the system has them (Linux), else a file under ``TMPDIR``."""
    if hasattr(os, "memfd_create") and Path("/proc/self/fd").is_dir():
        fd = os.memfd_create("breachscope-decrypted", os.MFD_CLOEXEC)
        with os.fdopen(fd, "w+b") as handle:
            yield handle, Path(f"/proc/self/fd/{fd}")
        return
    with tempfile.TemporaryDirectory(prefix="breachscope-decrypted-") as work:
        target = Path(work) / "document"
        with target.open("w+b") as handle:
            yield handle, target


def _delegate(plain_path: Path, kind: str) -> Iterator[Unit]:
    from breachscope.extract.dispatch import UnsupportedType, partition
    from breachscope.ingest.sniff import sniff_type

    file_type = sniff_type(plain_path)
    if file_type == "office_encrypted":
        raise EncryptedContent(f"{_REASON}; encrypted twice")
    if file_type in ("zip", "binary", "ole", "empty"):
        raise ExtractionError(f"{kind} decrypted, but the content is not a document "
                              f"({file_type})")
    try:
        if file_type in _IN_PROCESS:
            yield from partition(plain_path, file_type)
            return
        # Another program reads it: it needs a real file (under TMPDIR, removed at once).
        with tempfile.TemporaryDirectory(prefix="breachscope-decrypted-") as work:
            target = Path(work) / f"document.{file_type}"
            with plain_path.open("rb") as source, target.open("wb") as copy:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            yield from partition(target, file_type)
    except UnsupportedType as exc:
        raise ExtractionError(f"{kind} decrypted: {exc}") from None
