"""Rich Text Format (``.rtf``) → text units, one line per paragraph or line break.

- ``striprtf`` (BSD-3-Clause, maintained): a small converter that follows the RTF grammar
  (groups, ignorable destinations such as ``\\fonttbl``, ``\\pict``, ``\\object`` and ``\\*``,
  ``\\'xx`` escapes in the document's code page (``\\ansicpg``), ``\\uN`` characters). Nothing
  in the file is ever interpreted beyond text: embedded objects and fields are skipped.
- The file is read whole (striprtf works on a string): up to :data:`MAX_RTF_BYTES`. A larger
  file (usually pictures in hex) is streamed as plain text instead, so identifiers typed in
  it are still found (``line N`` then counts the lines of the RTF source).
- Units: :class:`TextUnit` pieces of at most ``MAX_LINES`` lines, ``name`` ``""``, lines
  numbered from 1 in the converted text: a finding reads ``line 12``, the 12th paragraph or
  line of the document as a word processor shows it (empty paragraphs included).
- A truncated or damaged file gives the text that could be read (RTF has no index to break).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from striprtf.striprtf import rtf_to_text

from breachscope.extract.text import partition_text, split_text
from breachscope.extract.units import ExtractionError, TextUnit

#: Files larger than this are streamed as text rather than converted in memory.
MAX_RTF_BYTES = 128 * 1024 * 1024


def partition_rtf(path: Path) -> Iterator[TextUnit]:
    """Stream the text of the RTF document at ``path``."""
    path = Path(path)
    if path.stat().st_size > MAX_RTF_BYTES:
        yield from partition_text(path)
        return
    raw = path.read_bytes()
    if not raw.lstrip().startswith(b"{\\rtf"):
        raise ExtractionError("corrupt rtf: no {\\rtf header")
    # RTF is 7-bit in principle; raw 8-bit bytes are most often in the Western code page.
    source = raw.decode("cp1252", errors="replace")
    del raw
    try:
        text = rtf_to_text(source, errors="replace")
    except (ValueError, LookupError, IndexError) as exc:
        raise ExtractionError(f"corrupt rtf: {type(exc).__name__}") from None
    del source
    yield from split_text(text.replace("\r\n", "\n").replace("\r", "\n"))
