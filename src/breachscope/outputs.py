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
