"""Plain text → :class:`TextUnit` pieces small enough for detection.

The text is decoded by :mod:`breachscope.extract.encoding`. Lines are the physical lines of
the file (split on ``\\r\\n``, ``\\r`` or ``\\n`` only, as an editor counts them); a unit
holds at most :data:`MAX_LINES` lines joined with ``\\n`` and its ``first_line`` is the number
of its first line in the file, so ``first_line + i`` is the file line of the unit's line ``i``.

A single line longer than :data:`MAX_CHARS` (a minified dump, a log without newlines) is cut
into several units that all carry that line's number.
"""

from __future__ import annotations

import re
from pathlib import Path

from breachscope.extract.encoding import decode_bytes
from breachscope.extract.units import TextUnit

MAX_LINES = 2000
MAX_CHARS = 1_000_000

_LINE_BREAKS = re.compile(r"\r\n?|\n")


def _cut_long_line(line: str) -> list[str]:
    """Pieces of at most MAX_CHARS, cut at a space when there is one near the limit so that
    a value is not split in two."""
    pieces = []
    start = 0
    while len(line) - start > MAX_CHARS:
        end = start + MAX_CHARS
        space = line.rfind(" ", end - 1000, end)
        end = space + 1 if space > start else end
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return pieces


def split_text(text: str, name: str = "") -> list[TextUnit]:
    """Cut ``text`` into units of at most :data:`MAX_LINES` lines / about :data:`MAX_CHARS`
    characters, numbering lines from 1."""
    units: list[TextUnit] = []
    chunk: list[str] = []
    chunk_first = 1
    chunk_chars = 0

    def flush() -> None:
        if chunk and any(line.strip() for line in chunk):
            units.append(TextUnit(text="\n".join(chunk), name=name, first_line=chunk_first))

    for number, line in enumerate(_LINE_BREAKS.split(text), start=1):
        if chunk and (len(chunk) >= MAX_LINES or chunk_chars + len(line) > MAX_CHARS):
            flush()
            chunk, chunk_chars = [], 0
        if not chunk:
            chunk_first = number
        if len(line) > MAX_CHARS:
            units.extend(TextUnit(text=piece, name=name, first_line=number)
                         for piece in _cut_long_line(line))
            continue
        chunk.append(line)
        chunk_chars += len(line) + 1
    flush()
    return units


def partition_text(path: Path) -> list[TextUnit]:
    """Read a text file into :class:`TextUnit` pieces (``name`` ``""``); no unit for a file
    holding only whitespace."""
    text, _encoding = decode_bytes(Path(path).read_bytes())
    return split_text(text.replace("\x00", ""))
