"""Writing what leaves the case: every output file is created owner-only (``0600``), in a
folder created ``0700``.

Outputs are the second copy of the case's most sensitive data (letters name people, the
mail-merge file holds their addresses). Creating the file with its mode, rather than
``chmod`` after writing, leaves no moment when another account can open it.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) owner-only; an existing folder keeps its mode."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


def write_private_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path``, created (or truncated) with mode ``0600``."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                 FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # an existing file keeps its old mode through O_CREAT
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(data)
    finally:
        if fd >= 0:
            os.close(fd)
    return path


def write_private_text(path: Path, text: str) -> Path:
    return write_private_bytes(path, text.encode("utf-8"))


def make_private(path: Path) -> Path:
    """Set an existing output (one written by a library, DuckDB's ``COPY``...) to ``0600``."""
    os.chmod(path, FILE_MODE)
    return path


# --------------------------------------------------------------------------- protected outputs

ARCHIVE_SUFFIX = ".7z"


class ProtectedOutput:
    """Files that hold identities, written either in clear to a folder (each ``0600``) or, for
    an encrypted case, into one 7z archive encrypted with AES-256 and encrypted headers (file
    names hidden too), the case key as its password.

    Why 7z: 7-Zip (or any p7zip/Keka/The Unarchiver) on the DPO's workstation opens it with the
    case key, where a bespoke format would need breachscope. Each file is compressed and
    encrypted from memory as it is added (py7zr reads from the bytes given), so nothing in
    clear ever reaches the disk; the archive is created ``0600`` and removed if writing fails.

    Use as a context manager::

        with ProtectedOutput(out_dir, password=key, archive_name="letters.7z") as out:
            out.add("letters/P123.pdf", pdf_bytes)
        out.written  # the paths written: the archive, or each file
    """

    def __init__(self, directory: Path, *, password: str | None, archive_name: str) -> None:
        self.directory = directory
        self.password = password
        self.archive_path = directory / archive_name if password is not None else None
        self.written: list[Path] = []
        self.names: list[str] = []
        self._archive = None
        self._fh = None

    @property
    def encrypted(self) -> bool:
        return self.password is not None

    def __enter__(self) -> ProtectedOutput:
        private_dir(self.directory)
        if self.archive_path is not None:
            import py7zr

            fd = os.open(self.archive_path,
                         os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                         FILE_MODE)
            os.fchmod(fd, FILE_MODE)
            self._fh = os.fdopen(fd, "wb")
            self._archive = py7zr.SevenZipFile(self._fh, "w", password=self.password,
                                               header_encryption=True)
        return self

    def add(self, name: str, data: bytes) -> None:
        """Add the file ``name`` (a relative path with ``/``) holding ``data``."""
        parts = Path(name).parts
        if not parts or Path(name).is_absolute() or ".." in parts:
            raise ValueError("an output name must be a relative path inside the output")
        self.names.append(name)
        if self._archive is not None:
            self._archive.writestr(data, name)
        else:
            self.written.append(write_private_bytes(self.directory / name, data))

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._archive is None:
            return
        try:
            self._archive.close()
        finally:
            self._fh.close()
        if exc_type is not None:
            self.archive_path.unlink(missing_ok=True)
        else:
            self.written.append(self.archive_path)


def protected_file(path: Path, data: bytes, *, password: str | None) -> Path:
    """Write one output file: ``path`` in clear (``0600``) without a password, else
    ``path`` + ``.7z`` holding it encrypted (see :class:`ProtectedOutput`). Returns the path
    written."""
    if password is None:
        return write_private_bytes(path, data)
    with ProtectedOutput(path.parent, password=password,
                         archive_name=path.name + ARCHIVE_SUFFIX) as out:
        out.add(path.name, data)
    return out.written[0]
