"""7z sample maker (py7zr): :func:`make_7z` writes a real 7z archive with the given members."""

from __future__ import annotations

from pathlib import Path

import py7zr


def make_7z(path: Path, members: dict[str, bytes], *, password: str | None = None,
            header_encryption: bool = False) -> None:
    """Write a 7z archive (LZMA2, one solid block) holding ``members`` (name → bytes) in order."""
    with py7zr.SevenZipFile(path, "w", password=password,
                            header_encryption=header_encryption) as archive:
        for name, data in members.items():
            archive.writestr(data, name)
