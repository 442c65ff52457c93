"""Plain text → :class:`TextUnit` pieces small enough for detection, streamed.

The file is decoded incrementally (:mod:`breachscope.extract.stream`: encoding guessed from the
head). Lines are the physical lines of the file (split on ``\\r\\n``, ``\\r`` or ``\\n`` only, as
an editor counts them); a unit holds at most :data:`MAX_LINES` lines / about :data:`MAX_CHARS`
characters joined with ``\\n`` and its ``first_line`` is the number of its first line in the
file, so ``first_line + i`` is the file line of the unit's line ``i``.

A single line longer than :data:`MAX_CHARS` (a minified dump, a log without newlines) is cut
into several units that all carry that line's number. Consecutive pieces **overlap** by
:data:`OVERLAP` characters, so an identifier crossing a cut is found whole in the next piece
(detection drops the findings repeated in the overlap: same value, same location). The line is
never held whole: memory stays around a few :data:`MAX_CHARS` whatever the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from breachscope.extract.stream import decoded_chunks, segments, text_segments
from breachscope.extract.units import TextUnit

MAX_LINES = 2000
MAX_CHARS = 1_000_000
#: Characters repeated at the start of the next piece of a cut line.
OVERLAP = 256
#: A cut is moved back to a space when there is one within this many characters.
SPACE_WINDOW = 1000

_LINES = re.compile(r"\r\n?|\n")


def _cut(line: str) -> int:
    """Where to end the piece of an over-long ``line`` (``len(line) > MAX_CHARS``): at a space
    near :data:`MAX_CHARS` when there is one, so that a value is less often split."""
    end = MAX_CHARS
    window = min(SPACE_WINDOW, MAX_CHARS // 4)
    space = line.rfind(" ", end - window, end)
    return space + 1 if space > 0 else end


def text_units(pieces: Iterable[tuple[str, bool]], name: str = "",
               first_line: int = 1) -> Iterator[TextUnit]:
    """Units of the lines given as :func:`~breachscope.extract.stream.segments` pieces,
    numbering lines from ``first_line``. Units holding only whitespace are left out."""
    chunk: list[str] = []
    chunk_first = first_line
    chunk_chars = 0
    number = first_line
    long = ""  # the current line when it is cut into pieces (or may have to be)
    cutting = False  # a piece of the current line was already emitted
    overlap = min(OVERLAP, MAX_CHARS // 4)

    for piece, ended in pieces:
        if not ended or long or cutting or len(piece) > MAX_CHARS:
            long += piece
            if len(long) > MAX_CHARS:
                if chunk:  # the lines before the long one
                    if any(line.strip() for line in chunk):
                        yield TextUnit(text="\n".join(chunk), name=name, first_line=chunk_first)
                    chunk, chunk_chars = [], 0
                while len(long) > MAX_CHARS:
                    end = _cut(long)
                    text = long[:end]
                    if text.strip():
                        yield TextUnit(text=text, name=name, first_line=number)
                    long = long[max(end - overlap, 1):]
                    cutting = True
            if not ended:
                continue
            line, long = long, ""
            if cutting:
                cutting = False
                if line.strip():
                    yield TextUnit(text=line, name=name, first_line=number)
                number += 1
                continue
        else:
            line = piece
        if chunk and (len(chunk) >= MAX_LINES or chunk_chars + len(line) > MAX_CHARS):
            if any(c.strip() for c in chunk):
                yield TextUnit(text="\n".join(chunk), name=name, first_line=chunk_first)
            chunk, chunk_chars = [], 0
        if not chunk:
            chunk_first = number
        chunk.append(line)
        chunk_chars += len(line) + 1
        number += 1
    if chunk and any(c.strip() for c in chunk):
        yield TextUnit(text="\n".join(chunk), name=name, first_line=chunk_first)
    if long.strip():  # only when the pieces did not end their last line
        yield TextUnit(text=long, name=name, first_line=number)


def split_text(text: str, name: str = "", first_line: int = 1) -> list[TextUnit]:
    """Cut ``text`` (already in memory) into units as :func:`partition_text` does."""
    return list(text_units(text_segments(text), name, first_line))


def partition_text(path: Path, *, start_line: int = 1) -> Iterator[TextUnit]:
    """Stream a text file into :class:`TextUnit` pieces (``name`` ``""``); no unit for a file
    holding only whitespace. ``start_line`` skips the lines before it (used when another
    extractor falls back to text part-way through a file)."""
    pieces = segments(decoded_chunks(Path(path)))
    if start_line > 1:
        pieces = _skip_lines(pieces, start_line - 1)
    return text_units(pieces, "", start_line)


def _skip_lines(pieces: Iterator[tuple[str, bool]], count: int) -> Iterator[tuple[str, bool]]:
    skipped = 0
    for piece, ended in pieces:
        if skipped < count:
            skipped += ended
            continue
        yield piece, ended


class PlacedText:
    """Text pieces laid out on the line of the source they come from (the text of an XML
    element, the visible text of an HTML page), so that ``line N`` in a finding is the source
    line. Pieces are added in source order with :meth:`add`; units come out of :meth:`add` and
    :meth:`flush` every ~:data:`MAX_CHARS` characters, or when the name changes, the line goes
    backwards or jumps more than :data:`MAX_GAP` lines (the next unit starts there)."""

    MAX_GAP = 1000

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.first = 1
        self.lines: list[str] = []  # complete lines
        self.last: list[str] = []  # pieces of the last line (joined with spaces)
        self.size = 0

    def _next_line(self) -> int:
        return self.first + len(self.lines) + 1  # the line after the last one

    def add(self, line: int, text: str, name: str | None = None) -> list[TextUnit]:
        """Place ``text`` starting on source line ``line``; the units now complete."""
        out: list[TextUnit] = []
        if not text.strip():
            return out
        name = self.name if name is None else name
        if self.last and (name != self.name or line < self._next_line() - 1
                          or line - self._next_line() > self.MAX_GAP or self.size > MAX_CHARS):
            out = self.flush()
        if not self.last:
            self.name, self.first = name, line
        parts = _LINES.split(text)
        current = self._next_line() - 1  # the line of self.last
        if line > current:
            self.lines.append(" ".join(self.last))
            self.lines.extend([""] * (line - current - 1))
            self.last = []
        self.last.append(parts[0])
        if len(parts) > 1:
            self.lines.append(" ".join(self.last))
            self.lines.extend(parts[1:-1])
            self.last = [parts[-1]]
        self.size += len(text) + 1
        return out

    def flush(self) -> list[TextUnit]:
        if not self.last:
            return []
        text = "\n".join([*self.lines, " ".join(self.last)])
        self.lines, self.last, self.size = [], [], 0
        return split_text(text, self.name, self.first)
