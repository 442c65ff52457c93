"""Read a text file as a stream: bounded memory whatever its size or line length.

- :func:`stream_encoding` guesses the encoding from the head of the file (see
  :mod:`breachscope.extract.encoding`); when the head is plain ASCII and the file goes on, the
  first block holding non-ASCII bytes (within :data:`LOOKAHEAD_BYTES`) decides between UTF-8
  and a Western code page, so a cp1252 export whose first accented letter is on line 5000 is
  not decoded as UTF-8 with replacement characters.
- :func:`decoded_chunks` decodes the file incrementally, :data:`BLOCK_BYTES` at a time
  (undecodable bytes become U+FFFD, NUL characters are dropped).
- :func:`segments` cuts the decoded chunks into physical lines (split on ``\\r\\n``, ``\\r`` or
  ``\\n``, as an editor counts them). A line is yielded whole as ``(line, True)``; a line longer
  than :data:`SEGMENT_CHARS` is yielded as consecutive pieces ``(piece, False)`` ended by the
  last piece ``(piece, True)``, so no consumer ever has to hold a 64 MB line.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from breachscope.extract.encoding import GUESS_SAMPLE, _bom, guess_encoding

#: Bytes read (and decoded) at a time.
BLOCK_BYTES = 1 << 20
#: How far past an ASCII-only head the encoding guess looks for the first non-ASCII bytes.
LOOKAHEAD_BYTES = 16 << 20
#: The longest piece of a line :func:`segments` yields at once.
SEGMENT_CHARS = 64 * 1024

_LINE_BREAKS = re.compile(r"\r\n?|\n")
_HIGH = re.compile(rb"[\x80-\xff]")


def stream_encoding(path: Path) -> tuple[str, int, bytes]:
    """``(codec, bom length, head)`` for the file at ``path``: the codec to decode the bytes
    after the byte-order mark with, and the first :data:`GUESS_SAMPLE` bytes."""
    with Path(path).open("rb") as handle:
        head = handle.read(GUESS_SAMPLE)
        complete = len(head) < GUESS_SAMPLE
        bom = _bom(head)
        if bom:
            return bom[0].removesuffix("-sig"), bom[1], head
        encoding = guess_encoding(head, partial=not complete)
        if encoding == "utf-8" and not complete and not _HIGH.search(head):
            encoding = _guess_ahead(handle) or encoding
    return encoding, 0, head


def _guess_ahead(handle) -> str | None:  # type: ignore[no-untyped-def]
    """The encoding of the first block holding non-ASCII bytes, None when there is none."""
    read = 0
    while read < LOOKAHEAD_BYTES:
        block = handle.read(BLOCK_BYTES)
        if not block:
            return None
        read += len(block)
        match = _HIGH.search(block)
        if match:
            start = max(0, match.start() - 64)  # the bytes before are ASCII: a clean start
            window = block[start : start + GUESS_SAMPLE]
            if len(window) < GUESS_SAMPLE // 2:
                window += handle.read(GUESS_SAMPLE)
            encoding = guess_encoding(window, partial=True)
            return encoding if not encoding.startswith("utf-16") else None
    return None


def decoded_chunks(path: Path, encoding: str | None = None,
                   bom_length: int = 0) -> Iterator[str]:
    """The text of the file at ``path``, decoded :data:`BLOCK_BYTES` at a time."""
    if encoding is None:
        encoding, bom_length, _head = stream_encoding(path)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with Path(path).open("rb") as handle:
        handle.seek(bom_length)
        while True:
            block = handle.read(BLOCK_BYTES)
            text = decoder.decode(block, final=not block)
            if text:
                yield text.replace("\x00", "") if "\x00" in text else text
            if not block:
                return


def segments(chunks: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Physical lines of the text made of ``chunks`` (see the module docstring). A text that
    does not end with a line break still ends its last line; an empty text gives nothing."""
    pending = ""  # the start of a line not ended yet (shorter than SEGMENT_CHARS)
    started = False  # pieces of the current line were already yielded
    hold = ""  # a \r at the end of a chunk: the next chunk may start with its \n
    for chunk in chunks:
        if not chunk:
            continue
        buffer = hold + chunk
        hold = ""
        if buffer.endswith("\r"):
            buffer, hold = buffer[:-1], "\r"
        start = 0
        for match in _LINE_BREAKS.finditer(buffer):
            if start == 0 and pending:
                line = pending + buffer[: match.start()]
                pending = ""
            else:
                line = buffer[start : match.start()]
            yield line, True
            started = False
            start = match.end()
        rest = pending + buffer[start:] if start == 0 else buffer[start:]
        pending = ""
        while len(rest) > SEGMENT_CHARS:
            yield rest[:SEGMENT_CHARS], False
            started = True
            rest = rest[SEGMENT_CHARS:]
        pending = rest
    if hold or pending or started:
        yield pending, True


def text_segments(text: str) -> Iterator[tuple[str, bool]]:
    """:func:`segments` of a string already in memory."""
    return segments([text])
